package transport

import (
	"crypto/tls"
	"errors"
	"sync/atomic"
)

// certRequest records whether the server asked for a client certificate
// during the handshake, and whether the client sent one. With TLS 1.3 a
// server that refuses the client's certificate decides after the client's
// handshake is complete: its alert can be lost when the client's first
// write (CONNECT) meets a connection the server already reset, leaving only
// "connection reset by peer". What the handshake recorded still says what
// went wrong.
type certRequest struct {
	asked atomic.Bool
	sent  atomic.Bool
}

// install wraps cfg's choice of client certificate to record the request;
// the choice itself is Go's default (the first certificate the server's
// request supports) or cfg.GetClientCertificate.
func (r *certRequest) install(cfg *tls.Config) {
	get := cfg.GetClientCertificate
	certs := cfg.Certificates
	cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		r.asked.Store(true)
		if get != nil {
			c, err := get(cri)
			r.sent.Store(err == nil && c != nil && len(c.Certificate) > 0)
			return c, err
		}
		for i := range certs {
			if cri.SupportsCertificate(&certs[i]) == nil {
				r.sent.Store(true)
				return &certs[i], nil
			}
		}
		return &tls.Certificate{}, nil
	}
}

// explain turns err, a failure right after the handshake, into a
// *CertificateError when the server had asked for a client certificate;
// other errors, and those explained already, pass unchanged.
func (r *certRequest) explain(server string, err error) error {
	if err == nil || !r.asked.Load() || errors.As(err, new(*CertificateError)) {
		return err
	}
	if !r.sent.Load() {
		return &CertificateError{Server: server, Problem: "the server asked for a client certificate, the client has none, and the server closed the connection",
			Hint: "pass one with WithClientCertificate (CLI: --cert and --key)", Err: err}
	}
	return &CertificateError{Server: server, Problem: "the server closed the connection right after checking the client certificate",
		Hint: "it probably refused it: use a certificate signed by a CA the server trusts, valid now, issued for client authentication", Err: err}
}
