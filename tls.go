package mqttkit

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"

	"github.com/mqttkit/mqttkit/internal/transport"
)

// CertificateError is a TLS handshake that failed over a certificate: the
// server's (its host name, an unknown authority, expired) or the client's
// (refused by the server). Its message says what did not match and what to
// do; errors.As also finds the crypto/x509 error under it. Dial returns it
// at once: retrying cannot fix a certificate.
type CertificateError = transport.CertificateError

// tlsSettings collects the TLS and WebSocket options; Dial turns them into
// one transport configuration, so a file that cannot be read fails Dial at
// once instead of every connection attempt.
type tlsSettings struct {
	base          *tls.Config
	caFiles       []string
	certFile      string
	keyFile       string
	keyPassphrase []byte
	serverName    string
	alpn          []string
	minVersion    uint16
	header        http.Header
}

// WithTLSConfig sets the TLS configuration of mqtts://, tls:// and wss://
// connections, for what the other TLS options do not cover (a custom
// VerifyPeerCertificate, a certificate from a hardware key, session
// tickets). It is cloned; the other TLS options are applied on top of it.
// Without it the client verifies the server against the system's roots,
// with TLS 1.2 or later.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(c *config) { c.tls.base = cfg }
}

// WithCAFile trusts the certificate authorities in these PEM files instead
// of the system's roots, for servers with a private CA (the embedded
// broker's `mqttkit broker cert`, a company CA). Repeat or pass several.
func WithCAFile(paths ...string) Option {
	return func(c *config) { c.tls.caFiles = append(c.tls.caFiles, paths...) }
}

// WithClientCertificate presents the certificate in certFile with the
// private key in keyFile (both PEM) to servers that authenticate clients by
// certificate (mutual TLS). An encrypted key needs WithKeyPassphrase.
func WithClientCertificate(certFile, keyFile string) Option {
	return func(c *config) { c.tls.certFile, c.tls.keyFile = certFile, keyFile }
}

// WithKeyPassphrase decrypts the key of WithClientCertificate when it is
// encrypted (PKCS #8 "ENCRYPTED PRIVATE KEY" or legacy PEM encryption). The
// passphrase never appears in logs or errors.
func WithKeyPassphrase(passphrase string) Option {
	return func(c *config) { c.tls.keyPassphrase = []byte(passphrase) }
}

// WithServerName sets the name sent as SNI and verified against the
// server's certificate, when it differs from the URL's host: connecting by
// IP address to a server whose certificate names a host, or going through a
// tunnel.
func WithServerName(name string) Option { return func(c *config) { c.tls.serverName = name } }

// WithALPN offers these application protocols in the TLS handshake, for
// servers or load balancers that route by ALPN (AWS IoT on port 443 expects
// "x-amzn-mqtt-ca").
func WithALPN(protocols ...string) Option {
	return func(c *config) { c.tls.alpn = append(c.tls.alpn, protocols...) }
}

// WithTLSMinVersion refuses servers that cannot speak at least this TLS
// version (tls.VersionTLS12 by default; tls.VersionTLS13 to require 1.3).
func WithTLSMinVersion(v uint16) Option { return func(c *config) { c.tls.minVersion = v } }

// WithWebSocketHeader adds a header to the HTTP upgrade request of ws://
// and wss:// connections, e.g. for a proxy that checks an Authorization
// header. Repeat it for several.
func WithWebSocketHeader(key, value string) Option {
	return func(c *config) {
		if c.tls.header == nil {
			c.tls.header = http.Header{}
		}
		c.tls.header.Add(key, value)
	}
}

// build loads the files and returns the transport configuration.
func (s *tlsSettings) build() (*transport.Options, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.base != nil {
		cfg = s.base.Clone()
	}
	if len(s.caFiles) > 0 {
		pool := x509.NewCertPool()
		for _, f := range s.caFiles {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("mqttkit: reading the CA file: %w", err)
			}
			if !pool.AppendCertsFromPEM(b) {
				return nil, fmt.Errorf("mqttkit: CA file %s holds no PEM certificate; pass the CA's certificate (-----BEGIN CERTIFICATE-----)", f)
			}
		}
		cfg.RootCAs = pool
	}
	if s.certFile != "" || s.keyFile != "" {
		cert, err := transport.LoadKeyPair(s.certFile, s.keyFile, s.keyPassphrase)
		if err != nil {
			return nil, fmt.Errorf("mqttkit: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if s.serverName != "" {
		cfg.ServerName = s.serverName
	}
	if len(s.alpn) > 0 {
		cfg.NextProtos = s.alpn
	}
	if s.minVersion != 0 {
		cfg.MinVersion = s.minVersion
	}
	return &transport.Options{TLS: cfg, Header: s.header}, nil
}
