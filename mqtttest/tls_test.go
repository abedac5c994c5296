package mqtttest

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/broker"
)

// TestCertsAndTLSListeners checks the files of NewCerts and that the TLS
// listeners of WithTLS and MosquittoTLS, both requiring client
// certificates, complete a handshake that verifies against the CA.
func TestCertsAndTLSListeners(t *testing.T) {
	certs := NewCerts(t)
	pem, err := os.ReadFile(certs.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CAFile holds no certificate")
	}
	client, err := tls.LoadX509KeyPair(certs.ClientCert, certs.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBroker(t, WithoutPersistence(), WithTLS(certs, func(c *broker.Config) { c.RequireClientCertificate = true }))
	m := MosquittoTLS(t, certs, MosquittoTLSConfig{RequireCertificate: true})
	for name, addr := range map[string]string{"embedded": b.TLSURL()[len("mqtts://"):], "mosquitto": m.TLSURL()[len("mqtts://"):]} {
		t.Run(name, func(t *testing.T) {
			conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", Certificates: []tls.Certificate{client}})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if st := conn.ConnectionState(); len(st.VerifiedChains) == 0 || st.PeerCertificates[0].NotAfter.Before(time.Now()) {
				t.Fatalf("unverified or expired server certificate: %+v", st.PeerCertificates[0].NotAfter)
			}
		})
	}
}
