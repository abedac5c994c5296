package broker_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
	"github.com/mqttkit/mqttkit/packet"
)

func TestTLSListener(t *testing.T) {
	certFile, keyFile, pool := selfSignedCert(t)
	s, err := broker.New(broker.Config{
		Addr: "127.0.0.1:0", TLSAddr: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: keyFile,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := tls.Dial("tcp", s.TLSAddr(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := pahotest.DialConn(t, conn, pahotest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.Subscribe(t, "tls", 1)
	c.Publish(t, "tls", 1, false, []byte("secure"))
	if m := c.Next(5 * time.Second); m == nil || string(m.Payload) != "secure" {
		t.Fatalf("over TLS got %v", m)
	}
}

func TestTLSConfigErrors(t *testing.T) {
	for _, cfg := range []broker.Config{
		{TLSAddr: "127.0.0.1:0"},
		{TLSCertFile: "c.pem", TLSKeyFile: "k.pem"},
	} {
		if _, err := broker.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted an incomplete TLS listener", cfg)
		}
	}
	s, err := broker.New(broker.Config{TLSAddr: "127.0.0.1:0", TLSCertFile: "/nonexistent.pem", TLSKeyFile: "/nonexistent.key", Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(); err == nil {
		t.Fatal("Start succeeded without the certificate files")
	}
}

func TestWebSocketListener(t *testing.T) {
	s, err := broker.New(broker.Config{Addr: "127.0.0.1:0", WebSocketAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ws, _, err := (&websocket.Dialer{Subprotocols: []string{"mqtt"}}).Dial("ws://"+s.WebSocketAddr()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// CONNECT split over two WebSocket messages: packets need not align
	// with messages.
	b := connectBytes(packet.V5, "ws-client")
	for _, part := range [][]byte{b[:3], b[3:]} {
		if err := ws.WriteMessage(websocket.BinaryMessage, part); err != nil {
			t.Fatal(err)
		}
	}
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := packet.DecodePacket(msg, packet.V5, 0)
	if ack, ok := p.(*packet.Connack); err != nil || !ok || ack.ReasonCode != 0 {
		t.Fatalf("over WebSocket got %v (err %v), want a successful CONNACK", p, err)
	}
	if st := s.Stats(); st.ClientsConnected != 1 {
		t.Fatalf("Stats.ClientsConnected = %d, want 1", st.ClientsConnected)
	}
}

// selfSignedCert writes a certificate for 127.0.0.1 and its key, and
// returns their paths and a pool that trusts the certificate.
func selfSignedCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mqttkit test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
