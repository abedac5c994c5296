package broker

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
)

// listenSecure binds the TLS and secure WebSocket listeners, when
// configured.
func (s *Server) listenSecure() error {
	if s.cfg.TLSAddr == "" && s.cfg.SecureWebSocketAddr == "" {
		return nil
	}
	cfg, err := s.cfg.serverTLS()
	if err != nil {
		return err
	}
	if s.cfg.TLSAddr != "" {
		ln, err := listenTCP("tls", s.cfg.TLSAddr)
		if err != nil {
			return err
		}
		s.listeners = append(s.listeners, newNetListener("tls", "tls", tls.NewListener(ln, cfg), s))
	}
	if s.cfg.SecureWebSocketAddr != "" {
		ln, err := listenTCP("wss", s.cfg.SecureWebSocketAddr)
		if err != nil {
			return err
		}
		s.listeners = append(s.listeners, newNetListener("wss", "wss", newWebSocketListener(tls.NewListener(ln, cfg), s.log), s))
	}
	return nil
}

// serverTLS builds the listeners' TLS configuration from the files.
func (c Config) serverTLS() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("broker: loading TLS certificate: %w; check TLSCertFile and TLSKeyFile (PEM)", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.ClientCAFile != "" {
		b, err := os.ReadFile(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("broker: reading ClientCAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("broker: ClientCAFile %s holds no PEM certificate; pass the CA certificate that signs the client certificates", c.ClientCAFile)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		if c.RequireClientCertificate {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return cfg, nil
}

// SecureWebSocketAddr is the bound secure WebSocket (wss) address, or ""
// when there is none.
func (s *Server) SecureWebSocketAddr() string { return s.listenerAddr("wss") }

// peerCertificate returns the verified certificate a client connection
// presented in its TLS handshake, looking through the broker's and the
// WebSocket's wrappers; nil for plain connections and clients without one.
func peerCertificate(c net.Conn) *x509.Certificate {
	for c != nil {
		switch v := c.(type) {
		case *tls.Conn:
			st := v.ConnectionState()
			if len(st.VerifiedChains) == 0 || len(st.PeerCertificates) == 0 {
				return nil
			}
			return st.PeerCertificates[0]
		case *serverConn:
			c = v.Conn
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}
