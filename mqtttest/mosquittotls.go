package mqtttest

import (
	"fmt"
	"os"
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
	if cfg.CertFile == "" {
		cfg.CertFile, cfg.KeyFile = certs.ServerCert, certs.ServerKey
	}
	s := &MosquittoTLSServer{}
	s.MosquittoServer = launchMosquitto(t, func(_ string, port int) string {
		s.tlsPort = freePort(t)
		return mosquittoTLSConfig(certs, cfg, port, s.tlsPort)
	})
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
