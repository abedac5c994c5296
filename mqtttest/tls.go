package mqtttest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/broker"
)

// Certs are certificate files for TLS tests, issued by a development CA
// made for one test (broker.DevCA) and written to t.TempDir().
type Certs struct {
	Dir    string
	CAFile string // the CA certificate: what clients trust
	// ServerCert and ServerKey are valid for 127.0.0.1 and localhost for a
	// day.
	ServerCert, ServerKey string
	// ClientCert and ClientKey have the Common Name "client".
	ClientCert, ClientKey string

	t  testing.TB
	ca *broker.DevCA
}

// NewCerts creates a CA and a server and a client certificate from it.
func NewCerts(t testing.TB) *Certs {
	t.Helper()
	ca, err := broker.NewDevCA("mqttkit test CA", 24*time.Hour)
	if err != nil {
		t.Fatalf("mqtttest: creating a CA: %v", err)
	}
	c := &Certs{Dir: t.TempDir(), t: t, ca: ca}
	c.CAFile = c.write("ca.pem", ca.CertPEM)
	c.ServerCert, c.ServerKey = c.Server(broker.ValidFor(24*time.Hour), "127.0.0.1", "localhost")
	c.ClientCert, c.ClientKey = c.Client("client", broker.ValidFor(24*time.Hour))
	return c
}

// Server issues another server certificate, e.g. an expired one or one for
// other hosts, and returns its files.
func (c *Certs) Server(v broker.Validity, hosts ...string) (certFile, keyFile string) {
	c.t.Helper()
	cert, key, err := c.ca.IssueServer(hosts, v)
	if err != nil {
		c.t.Fatalf("mqtttest: issuing a server certificate: %v", err)
	}
	name := "server-" + hosts[0] + "-" + v.NotAfter.Format("20060102150405")
	return c.write(name+".pem", cert), c.write(name+".key", key)
}

// Client issues a client certificate with Common Name name.
func (c *Certs) Client(name string, v broker.Validity) (certFile, keyFile string) {
	c.t.Helper()
	cert, key, err := c.ca.IssueClient(name, v)
	if err != nil {
		c.t.Fatalf("mqtttest: issuing a client certificate: %v", err)
	}
	file := "client-" + name + "-" + v.NotAfter.Format("20060102150405")
	return c.write(file+".pem", cert), c.write(file+".key", key)
}

func (c *Certs) write(name string, b []byte) string {
	c.t.Helper()
	p := filepath.Join(c.Dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		c.t.Fatalf("mqtttest: writing %s: %v", name, err)
	}
	return p
}

// WithTLS (embedded broker only) adds a TLS listener, a WebSocket and a
// secure WebSocket listener with the certificates of certs; fn, if not nil,
// then adjusts the configuration (e.g. RequireClientCertificate). Reach
// them with TLSURL, WebSocketURL and SecureWebSocketURL.
func WithTLS(certs *Certs, fn func(*broker.Config)) Option {
	return func(o *options) {
		prev := o.brokerConfig
		o.brokerConfig = func(cfg *broker.Config) {
			if prev != nil {
				prev(cfg)
			}
			cfg.TLSAddr, cfg.WebSocketAddr, cfg.SecureWebSocketAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
			cfg.TLSCertFile, cfg.TLSKeyFile, cfg.ClientCAFile = certs.ServerCert, certs.ServerKey, certs.CAFile
			if fn != nil {
				fn(cfg)
			}
		}
	}
}

// TLSURL is "mqtts://127.0.0.1:PORT" of the TLS listener (WithTLS), not
// through the proxy.
func (b *Broker) TLSURL() string { return "mqtts://" + b.srv.TLSAddr() }

// WebSocketURL is "ws://127.0.0.1:PORT/mqtt" of the WebSocket listener.
func (b *Broker) WebSocketURL() string { return "ws://" + b.srv.WebSocketAddr() + "/mqtt" }

// SecureWebSocketURL is "wss://127.0.0.1:PORT/mqtt" of the secure WebSocket
// listener.
func (b *Broker) SecureWebSocketURL() string { return "wss://" + b.srv.SecureWebSocketAddr() + "/mqtt" }
