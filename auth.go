package mqttkit

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/mqttkit/mqttkit/packet"
)

// Authenticator runs MQTT v5 enhanced authentication: a challenge and
// response exchange of AUTH packets between CONNECT and CONNACK, and again
// whenever Reauthenticate asks for it. SCRAM is one; a Kerberos or OAuth
// exchange would be another. Implementations must not log or print the
// secrets they hold.
type Authenticator interface {
	// Method is the Authentication Method, e.g. "SCRAM-SHA-256".
	Method() string
	// Start begins one exchange (on every connection, and on every
	// Reauthenticate) and returns the Authentication Data to send first.
	Start() (AuthExchange, []byte, error)
}

// AuthExchange is one run of an Authenticator's exchange.
type AuthExchange interface {
	// Continue answers the server's challenge (AUTH, Continue
	// authentication) with the next Authentication Data.
	Continue(challenge []byte) ([]byte, error)
	// Finish checks the Authentication Data of the CONNACK or AUTH
	// (Success) that ends the exchange; with SCRAM it verifies that the
	// server knows the password too.
	Finish(final []byte) error
}

// WithAuthenticator authenticates with enhanced authentication (MQTT v5
// AUTH) instead of, or besides, a password: see SCRAM.
func WithAuthenticator(a Authenticator) Option { return func(c *config) { c.auth = a } }

// AuthError is a failure of the client's side of enhanced authentication:
// the authenticator could not answer, or the server's final proof did not
// verify (a server that does not know the credentials, or one in the
// middle). Dial returns it at once; retrying would not change it.
type AuthError struct {
	Method string
	Err    error
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("mqttkit: %s authentication: %v", e.Method, e.Err)
}

// Unwrap returns the authenticator's error.
func (e *AuthError) Unwrap() error { return e.Err }

// authRun is an exchange in progress and the method it runs.
type authRun struct {
	method string
	ex     AuthExchange
}

// startAuth begins an exchange for p (CONNECT), when an Authenticator is
// configured, and puts its method and first data into p.
func (c *Client) startAuth(p *packet.Properties) (*authRun, error) {
	a := c.cfg.auth
	if a == nil {
		return nil, nil
	}
	ex, data, err := a.Start()
	if err != nil {
		return nil, &AuthError{Method: a.Method(), Err: err}
	}
	p.AuthenticationMethod, p.AuthenticationData = a.Method(), data
	return &authRun{method: a.Method(), ex: ex}, nil
}

// step answers a server's AUTH with the AUTH to send back.
func (r *authRun) step(p *packet.Auth) (*packet.Auth, error) {
	if r == nil {
		return nil, &ReasonError{Packet: packet.AUTH, Code: packet.ProtocolError,
			Reason: "the server sent AUTH, but this client uses no enhanced authentication"}
	}
	if p.ReasonCode != packet.ContinueAuthentication || p.Properties.AuthenticationMethod != r.method {
		return nil, &ReasonError{Packet: packet.AUTH, Code: packet.ProtocolError,
			Reason: fmt.Sprintf("unexpected AUTH (reason 0x%02X, method %q) during %s authentication", byte(p.ReasonCode), p.Properties.AuthenticationMethod, r.method)}
	}
	data, err := r.ex.Continue(p.Properties.AuthenticationData)
	if err != nil {
		return nil, &AuthError{Method: r.method, Err: err}
	}
	resp := &packet.Auth{ReasonCode: packet.ContinueAuthentication}
	resp.Properties.AuthenticationMethod, resp.Properties.AuthenticationData = r.method, data
	return resp, nil
}

// finish checks the final data of a successful CONNACK or AUTH.
func (r *authRun) finish(p *packet.Properties) error {
	if r == nil {
		return nil
	}
	if p.AuthenticationMethod != r.method {
		return &AuthError{Method: r.method, Err: fmt.Errorf("the server accepted the connection without %s authentication (method %q); it does not support the method, or is not the server it claims to be", r.method, p.AuthenticationMethod)}
	}
	if err := r.ex.Finish(p.AuthenticationData); err != nil {
		return &AuthError{Method: r.method, Err: err}
	}
	return nil
}

// ErrNoAuthenticator is returned by Reauthenticate on a client without
// WithAuthenticator.
var ErrNoAuthenticator = errors.New("mqttkit: Reauthenticate needs WithAuthenticator")

// reauth is the client's re-authentication in progress, if any.
type reauth struct {
	mu   sync.Mutex
	run  *authRun
	cn   *conn
	done chan error // receives the outcome once
}

// Reauthenticate runs the Authenticator's exchange again on the live
// connection (AUTH with reason Re-authenticate), e.g. before a token
// expires, and returns when the server accepted it. A server that refuses
// it disconnects the client, which then reconnects (authenticating from
// scratch); Reauthenticate returns the refusal.
func (c *Client) Reauthenticate(ctx context.Context) error {
	if c.cfg.auth == nil {
		return ErrNoAuthenticator
	}
	cn, err := c.waitUp(ctx)
	if err != nil {
		return err
	}
	ra := c.cfg.reauth
	ra.mu.Lock()
	if ra.run != nil {
		ra.mu.Unlock()
		return errors.New("mqttkit: a re-authentication is already running; wait for it")
	}
	var p packet.Properties
	run, err := c.startAuth(&p)
	if err != nil {
		ra.mu.Unlock()
		return err
	}
	done := make(chan error, 1)
	ra.run, ra.cn, ra.done = run, cn, done
	ra.mu.Unlock()
	defer ra.clear(done)
	if err := cn.w.Append(&packet.Auth{ReasonCode: packet.ReAuthenticate, Properties: p}, packet.V5, cn.maxPacket); err != nil {
		return fmt.Errorf("mqttkit: sending AUTH: %w", err)
	}
	select {
	case err := <-done:
		return err
	case <-cn.done:
		return fmt.Errorf("mqttkit: the connection ended during re-authentication: %w", cn.err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// clear forgets the exchange that reports to done.
func (ra *reauth) clear(done chan error) {
	ra.mu.Lock()
	if ra.done == done {
		ra.run, ra.cn, ra.done = nil, nil, nil
	}
	ra.mu.Unlock()
}

// onAuth handles an AUTH from the server on a live connection: the steps
// and the end of a re-authentication.
func (cn *conn) onAuth(p *packet.Auth) error {
	ra := cn.c.cfg.reauth
	ra.mu.Lock()
	run, done := ra.run, ra.done
	if ra.cn != cn {
		run = nil
	}
	ra.mu.Unlock()
	if run == nil {
		return cn.protocolError(packet.ProtocolError, "AUTH (reason 0x%02X) without a re-authentication in progress", byte(p.ReasonCode))
	}
	if p.ReasonCode == packet.Success {
		report(done, run.finish(&p.Properties))
		return nil
	}
	resp, err := run.step(p)
	if err != nil {
		report(done, err)
		var re *ReasonError
		if errors.As(err, &re) {
			return cn.protocolError(re.Code, "%s", re.Reason)
		}
		cn.disconnect(packet.NotAuthorized, err)
		return err
	}
	return cn.w.Append(resp, packet.V5, cn.maxPacket)
}

// report hands the outcome of a re-authentication to Reauthenticate; a
// second outcome (a server that repeats itself) is dropped rather than
// blocking the reader.
func report(done chan error, err error) {
	select {
	case done <- err:
	default:
	}
}
