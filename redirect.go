package mqttkit

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/mqttkit/mqttkit/internal/transport"
	"github.com/mqttkit/mqttkit/packet"
)

// maxRedirects bounds how many Server References the client follows in a
// row, so that servers pointing at each other cannot keep it busy.
const maxRedirects = 3

// followRedirects follows the Server Reference of err, a CONNACK or
// DISCONNECT with 0x9C Use Another Server or 0x9D Server Moved from the
// server at from, and connects there instead (at most maxRedirects times
// in a row). It returns err unchanged when there is nothing to follow. A
// reference is followed only when it is a URL with the same scheme as from,
// so that a redirect never moves the credentials from TLS to plain TCP. It
// is not remembered: the next reconnect starts from the configured servers
// again (which redirect again if they still mean it).
func (c *Client) followRedirects(ctx context.Context, from *url.URL, err error, first bool) (*conn, error) {
	for range maxRedirects {
		to, ok := c.redirectTarget(from, err)
		if !ok {
			return nil, err
		}
		c.log.Info("mqttkit: following the server's redirect", "from", from.Redacted(), "to", to.Redacted(), "err", err)
		cn, nerr := c.connectOnce(ctx, to, first)
		if nerr == nil {
			return cn, nil
		}
		from, err = to, nerr
	}
	if _, ok := c.redirectTarget(from, err); !ok {
		return nil, err
	}
	return nil, fmt.Errorf("mqttkit: more than %d server redirects in a row, the last from %s: %w", maxRedirects, from.Redacted(), err)
}

// redirectTarget returns the server err refers the client to, if any.
func (c *Client) redirectTarget(from *url.URL, err error) (*url.URL, bool) {
	var re *ReasonError
	if !errors.As(err, &re) || re.ServerReference == "" ||
		(re.Code != packet.UseAnotherServer && re.Code != packet.ServerMoved) {
		return nil, false
	}
	ref := strings.TrimSpace(re.ServerReference)
	if !strings.Contains(ref, "://") {
		c.log.Warn("mqttkit: not following a server reference that is not a URL", "from", from.Redacted(), "reference", ref)
		return nil, false
	}
	us, perr := transport.ParseURLs(ref)
	if perr != nil || len(us) != 1 || us[0].Scheme != from.Scheme {
		shown := "(unparsable)"
		if u, err := url.Parse(ref); err == nil {
			shown = u.Redacted()
		}
		c.log.Warn("mqttkit: not following a server reference that is not one URL with the scheme of the server that sent it",
			"from", from.Redacted(), "reference", shown)
		return nil, false
	}
	to := us[0]
	to.User = nil // credentials come from the client's configuration only
	return to, true
}
