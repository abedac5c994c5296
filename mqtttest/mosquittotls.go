package mqtttest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// MosquittoTLSConfig is the TLS listener of MosquittoTLS.
type MosquittoTLSConfig struct {
	// CertFile and KeyFile default to the Certs' server certificate.
	CertFile, KeyFile string
	// RequireCertificate refuses clients without a certificate from the
	// Certs' CA (require_certificate).
	RequireCertificate bool
	// IdentityAsUsername makes a client certificate's Common Name the
	// username (use_identity_as_username).
	IdentityAsUsername bool
	// ACLFile is a Mosquitto acl_file ("user NAME" and "topic readwrite
	// FILTER" lines); empty allows everything.
	ACLFile string
}

// MosquittoTLS starts mosquitto with a plain listener and a TLS listener
// configured by cfg with the files of certs, and returns it; TLSURL is the
// TLS listener's URL. It skips like Mosquitto when mosquitto is missing.
// Mosquitto 2.0.11 as packaged by Debian is built without WebSocket
// support, so there is no WebSocket listener.
func MosquittoTLS(t testing.TB, certs *Certs, cfg MosquittoTLSConfig) *MosquittoTLSServer {
	t.Helper()
	bin, err := mosquittoPath()
	if err != nil {
		if requireMosquitto() {
			t.Fatalf("mqtttest: MQTTKIT_REQUIRE_MOSQUITTO=1 but %v", err)
		}
		t.Skipf("mqtttest: skipping: %v", err)
	}
	if cfg.CertFile == "" {
		cfg.CertFile, cfg.KeyFile = certs.ServerCert, certs.ServerKey
	}
	dir := t.TempDir()
	m := &MosquittoServer{t: t, bin: bin, log: newTestLog(t, "mosquitto: ")}
	t.Cleanup(m.stop)
	s := &MosquittoTLSServer{MosquittoServer: m}
	for attempt := 0; ; attempt++ {
		m.port, s.tlsPort = freePort(t), freePort(t)
		m.conf = filepath.Join(dir, "mosquitto.conf")
		if err := os.WriteFile(m.conf, []byte(mosquittoTLSConfig(certs, cfg, m.port, s.tlsPort)), 0o600); err != nil {
			t.Fatalf("mqtttest: writing mosquitto config: %v", err)
		}
		err := m.start()
		if err == nil {
			break
		}
		if attempt == 2 {
			t.Fatalf("mqtttest: %v", err)
		}
	}
	m.proxy = NewProxy(t, m.addr())
	return s
}

// MosquittoTLSServer is a mosquitto process with a TLS listener.
type MosquittoTLSServer struct {
	*MosquittoServer
	tlsPort int
}

// TLSURL is "mqtts://127.0.0.1:PORT" of the TLS listener.
func (s *MosquittoTLSServer) TLSURL() string { return "mqtts://127.0.0.1:" + strconv.Itoa(s.tlsPort) }

func mosquittoTLSConfig(certs *Certs, cfg MosquittoTLSConfig, port, tlsPort int) string {
	var b strings.Builder
	if os.Geteuid() == 0 {
		b.WriteString("user root\n")
	}
	b.WriteString("per_listener_settings false\nallow_anonymous true\nlog_dest stderr\nlog_type error\nlog_type warning\n")
	fmt.Fprintf(&b, "listener %d 127.0.0.1\n", port)
	fmt.Fprintf(&b, "listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\n", tlsPort, certs.CAFile, cfg.CertFile, cfg.KeyFile)
	fmt.Fprintf(&b, "require_certificate %t\nuse_identity_as_username %t\n", cfg.RequireCertificate, cfg.IdentityAsUsername)
	if cfg.ACLFile != "" {
		fmt.Fprintf(&b, "acl_file %s\n", cfg.ACLFile)
	}
	return b.String()
}
