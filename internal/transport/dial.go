package transport

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Dialer opens a connection to one server. Implementations exist per URL
// scheme, so TLS and WebSocket transports can be added without touching the
// client engine.
type Dialer interface {
	Dial(ctx context.Context, u *url.URL) (net.Conn, error)
}

// TCP dials mqtt:// and tcp:// URLs with a plain TCP connection.
type TCP struct{}

// Dial connects to u.Host, adding the default MQTT port 1883 when u has none.
func (TCP) Dial(ctx context.Context, u *url.URL) (net.Conn, error) {
	return dialTCP(ctx, hostPort(u, "1883"))
}

// dialTCP opens a TCP connection to addr without Nagle's algorithm: the
// Writer coalesces packets itself, so Nagle would only add latency.
func dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	return c, nil
}

func hostPort(u *url.URL, defPort string) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), defPort)
}

// ForScheme returns the Dialer for a URL scheme, configured by o (which may
// be nil), or an error naming the schemes that are supported.
func ForScheme(scheme string, o *Options) (Dialer, error) {
	switch scheme {
	case "mqtt", "tcp":
		return TCP{}, nil
	case "mqtts", "tls", "ssl":
		return &TLS{opts: o}, nil
	case "ws", "wss":
		return &WebSocket{opts: o}, nil
	}
	return nil, fmt.Errorf("unsupported URL scheme %q: use mqtt://, tcp://, mqtts://, tls://, ws:// or wss://", scheme)
}

// ParseURLs splits a comma-separated list of server URLs and checks each:
// a scheme this package can dial and a host. A URL without a scheme
// ("127.0.0.1:1883") is taken as mqtt://.
func ParseURLs(list ...string) ([]*url.URL, error) {
	var out []*url.URL
	for _, l := range list {
		for _, s := range strings.Split(l, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if !strings.Contains(s, "://") {
				s = "mqtt://" + s
			}
			u, err := url.Parse(s)
			if err != nil {
				return nil, fmt.Errorf("server URL %q: %v", redact(s), err)
			}
			if _, err := ForScheme(u.Scheme, nil); err != nil {
				return nil, fmt.Errorf("server URL %q: %w", u.Redacted(), err)
			}
			if u.Hostname() == "" {
				return nil, fmt.Errorf("server URL %q has no host: write it as mqtt://host:port", u.Redacted())
			}
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no server URL given: pass one such as mqtt://127.0.0.1:1883")
	}
	return out, nil
}

// redact hides a password in a URL that failed to parse.
func redact(s string) string {
	at := strings.LastIndex(s, "@")
	scheme := strings.Index(s, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return s
	}
	return s[:scheme+3] + "xxxxx" + s[at:]
}
