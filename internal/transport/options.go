package transport

import (
	"crypto/tls"
	"net/http"
)

// Options carries what a Dialer needs beyond the URL: the TLS settings of
// mqtts://, tls:// and wss://, and the HTTP headers of the WebSocket
// handshake. The zero value dials with the system's roots and no extra
// headers.
type Options struct {
	// TLS is cloned for every connection; ServerName defaults to the URL's
	// host name. Nil means a default configuration (system roots, TLS 1.2+).
	TLS *tls.Config
	// Header is sent with the WebSocket upgrade request (ws://, wss://),
	// e.g. an Authorization header a proxy in front of the broker checks.
	Header http.Header
}

// tlsConfig returns the configuration for one connection to host.
func (o *Options) tlsConfig(host string) *tls.Config {
	var c *tls.Config
	if o != nil && o.TLS != nil {
		c = o.TLS.Clone()
	} else {
		c = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if c.ServerName == "" {
		c.ServerName = host
	}
	return c
}
