package broker_test

import (
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/broker"
)

func TestSecurityConfigErrors(t *testing.T) {
	certFile, keyFile, _ := selfSignedCert(t)
	dir := t.TempDir()
	badSCRAM := filepath.Join(dir, "bad-scram")
	if err := os.WriteFile(badSCRAM, []byte("alice:SCRAM-SHA-1:4096:c2FsdA==:a2V5:a2V5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  broker.Config
		want string
	}{
		{"wss without certificate", broker.Config{SecureWebSocketAddr: "127.0.0.1:0"}, "TLSCertFile"},
		{"require certificate without CA", broker.Config{TLSAddr: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: keyFile, RequireClientCertificate: true}, "needs ClientCAFile"},
		{"identity without require", broker.Config{TLSAddr: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: keyFile, ClientCAFile: certFile, CertificateIdentityAsUsername: true}, "needs RequireClientCertificate"},
		{"missing SCRAM file", broker.Config{SCRAMFile: filepath.Join(dir, "nonexistent")}, "SCRAMFile"},
		{"SCRAM file with an unknown mechanism", broker.Config{SCRAMFile: badSCRAM}, "line 1"},
		{"SCRAM file counts as credentials off loopback, then its bad line fails", broker.Config{Addr: "0.0.0.0:0", SCRAMFile: badSCRAM}, "line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Logger = slog.New(slog.DiscardHandler)
			if tc.cfg.Addr == "" {
				tc.cfg.Addr = "127.0.0.1:0"
			}
			s, err := broker.New(tc.cfg)
			if err == nil {
				err = s.Start()
				_ = s.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestClientCAFileErrors(t *testing.T) {
	certFile, keyFile, _ := selfSignedCert(t)
	for _, tc := range []struct{ name, ca, want string }{
		{"missing", filepath.Join(t.TempDir(), "ca.pem"), "ClientCAFile"},
		{"not a certificate", keyFile, "holds no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := broker.New(broker.Config{Addr: "127.0.0.1:0", TLSAddr: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: keyFile, ClientCAFile: tc.ca, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Start(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Start: %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestDevCA(t *testing.T) {
	ca, err := broker.NewDevCA("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ca.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := broker.LoadDevCA(ca.CertPEM, key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM)
	serverPEM, _, err := loaded.IssueServer([]string{"broker.test", "127.0.0.1"}, broker.ValidFor(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	clientPEM, _, err := loaded.IssueClient("alice", broker.ValidFor(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		pem   []byte
		host  string
		usage x509.ExtKeyUsage
	}{
		{"server by name", serverPEM, "broker.test", x509.ExtKeyUsageServerAuth},
		{"server by IP", serverPEM, "127.0.0.1", x509.ExtKeyUsageServerAuth},
		{"client", clientPEM, "", x509.ExtKeyUsageClientAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := pem.Decode(tc.pem)
			cert, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: tc.host, KeyUsages: []x509.ExtKeyUsage{tc.usage}}); err != nil {
				t.Fatalf("the issued certificate does not verify against the CA: %v", err)
			}
		})
	}
	if _, _, err := ca.IssueServer(nil, broker.ValidFor(time.Hour)); err == nil {
		t.Error("IssueServer without hosts succeeded")
	}
	if _, _, err := ca.IssueClient("", broker.ValidFor(time.Hour)); err == nil {
		t.Error("IssueClient without a name succeeded")
	}
	if _, err := broker.LoadDevCA(serverPEM, key); err == nil {
		t.Error("LoadDevCA accepted a server certificate as CA")
	}
}
