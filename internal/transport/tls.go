package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"sync/atomic"
)

// TLS dials mqtts://, tls:// and ssl:// URLs: TCP, then a TLS handshake
// that verifies the server's certificate unless the configuration says
// InsecureSkipVerify.
type TLS struct {
	opts *Options
}

// Dial connects to u.Host (default port 8883) and completes the handshake
// within ctx. A certificate problem comes back as a *CertificateError that
// says what did not match and what to do.
func (d *TLS) Dial(ctx context.Context, u *url.URL) (net.Conn, error) {
	addr := hostPort(u, "8883")
	raw, err := dialTCP(ctx, addr)
	if err != nil {
		return nil, err
	}
	cfg := d.opts.tlsConfig(u.Hostname())
	req := &certRequest{}
	req.install(cfg)
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, req.explain(addr, explainTLS(addr, err))
	}
	return &tlsConn{Conn: tc, server: addr, req: req}, nil
}

// tlsConn explains a connection that fails before the server's first
// bytes: with TLS 1.3 a server that refuses the client's certificate says
// so only after the handshake, in an alert the client reads while waiting
// for CONNACK, or by resetting the connection under the CONNECT it writes.
type tlsConn struct {
	*tls.Conn
	server string
	req    *certRequest
	heard  atomic.Bool // the server has sent application data
}

func (c *tlsConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.heard.Store(true)
	}
	if err != nil {
		err = explainAlert(c.server, err)
		if !c.heard.Load() {
			err = c.req.explain(c.server, err)
		}
	}
	return n, err
}

func (c *tlsConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil && !c.heard.Load() {
		err = c.req.explain(c.server, err)
	}
	return n, err
}

// explainAlert turns an alert server sent about the client's certificate
// into a *CertificateError; other errors pass unchanged.
func explainAlert(server string, err error) error {
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "remote error" {
		return err
	}
	hint, ok := alertHints[oe.Err.Error()]
	if !ok {
		return err
	}
	return &CertificateError{Server: server, Problem: "the server refused the client certificate (" + oe.Err.Error() + ")", Hint: hint, Err: err}
}

var alertHints = map[string]string{
	"tls: certificate required":          "the server requires a client certificate: pass one with WithClientCertificate (CLI: --cert and --key)",
	"tls: bad certificate":               "the server does not accept the client certificate: use one signed by a CA the server trusts",
	"tls: unknown certificate authority": "the server does not trust the CA that signed the client certificate: use one signed by a CA the server trusts",
	"tls: expired certificate":           "the client certificate expired (or is not valid yet): renew it",
	"tls: certificate revoked":           "the client certificate was revoked: get a new one",
	"tls: unsupported certificate":       "the server cannot use the client certificate (key type or usage): issue one for client authentication",
}
