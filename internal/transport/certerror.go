package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CertificateError is a TLS handshake that failed over a certificate: the
// server's (host name, unknown authority, expired) or the client's (refused
// by the server). It says what did not match and what to do, and unwraps to
// the crypto/tls or crypto/x509 error, so errors.As still finds
// x509.HostnameError and the like.
type CertificateError struct {
	Server  string // host:port of the server
	Problem string // what did not match
	Hint    string // what to do about it
	Err     error
}

func (e *CertificateError) Error() string {
	return "TLS handshake with " + e.Server + ": " + e.Problem + "; " + e.Hint
}

// Unwrap returns the underlying TLS or X.509 error.
func (e *CertificateError) Unwrap() error { return e.Err }

// explainTLS turns a failed handshake with server (host:port) into a
// *CertificateError when a certificate is the cause, and into an error that
// names TLS otherwise.
func explainTLS(server string, err error) error {
	var (
		host  x509.HostnameError
		auth  x509.UnknownAuthorityError
		inval x509.CertificateInvalidError
		rec   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &host):
		return &CertificateError{
			Server:  server,
			Problem: fmt.Sprintf("the server's certificate is not valid for %q: it lists %s", host.Host, certNames(host.Certificate)),
			Hint:    "connect with a name the certificate lists, or name the one to verify with WithServerName (CLI: --servername)",
			Err:     err,
		}
	case errors.As(err, &auth):
		issuer := "an unknown issuer"
		if auth.Cert != nil {
			issuer = fmt.Sprintf("%q", auth.Cert.Issuer.String())
		}
		return &CertificateError{
			Server:  server,
			Problem: fmt.Sprintf("the server's certificate is signed by %s, which is not a trusted certificate authority", issuer),
			Hint:    "pass the CA certificate that signed it with WithCAFile (CLI: --cafile or --capath), or install it in the system's trust store",
			Err:     err,
		}
	case errors.As(err, &inval) && inval.Reason == x509.Expired:
		return &CertificateError{
			Server:  server,
			Problem: "the server's certificate " + validity(inval.Cert),
			Hint:    "renew the server's certificate (or check this machine's clock)",
			Err:     err,
		}
	case errors.As(err, &inval):
		return &CertificateError{
			Server:  server,
			Problem: "the server's certificate is not valid: " + inval.Error(),
			Hint:    "issue the server a certificate for server authentication from a CA you trust",
			Err:     err,
		}
	case errors.As(err, &rec):
		return fmt.Errorf("TLS handshake with %s: the server did not answer with TLS (%w); is this a plain mqtt:// or ws:// port?", server, err)
	}
	if e := explainAlert(server, err); e != err {
		return e
	}
	return fmt.Errorf("TLS handshake with %s: %w", server, err)
}

// certNames lists the DNS names and IP addresses a certificate is valid for.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return "no names"
	}
	var names []string
	for _, n := range c.DNSNames {
		names = append(names, n)
	}
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no names (only the common name " + fmt.Sprintf("%q", c.Subject.CommonName) + ", which TLS ignores)"
	}
	return strings.Join(names, ", ")
}

// validity says when a certificate that is out of date was valid.
func validity(c *x509.Certificate) string {
	if c == nil {
		return "has expired or is not valid yet"
	}
	now := time.Now()
	if now.Before(c.NotBefore) {
		return fmt.Sprintf("is not valid before %s (now %s)", c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("expired at %s (now %s)", c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
}
