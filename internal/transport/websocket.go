package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// WebSocket dials ws:// and wss:// URLs: an HTTP upgrade to the URL's path
// (default "/") asking for the subprotocol "mqtt", over TLS for wss:// with
// the same verification as mqtts://. MQTT packets then travel in binary
// messages.
type WebSocket struct {
	opts *Options
}

// Dial connects to u (default port 80 for ws://, 443 for wss://). User
// information in u is MQTT's, not HTTP's, so it is not sent in the upgrade
// request.
func (d *WebSocket) Dial(ctx context.Context, u *url.URL) (net.Conn, error) {
	target := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawQuery: u.RawQuery}
	if target.Path == "" {
		target.Path = "/"
	}
	wd := &websocket.Dialer{
		NetDialContext: func(ctx context.Context, _, addr string) (net.Conn, error) { return dialTCP(ctx, addr) },
		Subprotocols:   []string{"mqtt"},
	}
	req := &certRequest{}
	if u.Scheme == "wss" {
		wd.TLSClientConfig = d.opts.tlsConfig(u.Hostname())
		req.install(wd.TLSClientConfig)
	}
	var header http.Header
	if d.opts != nil {
		header = d.opts.Header
	}
	ws, resp, err := wd.DialContext(ctx, target.String(), header)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if errors.Is(err, websocket.ErrBadHandshake) && resp != nil {
			return nil, fmt.Errorf("WebSocket upgrade at %s refused with HTTP %s: check the URL's path and the headers the server expects", target, resp.Status)
		}
		if u.Scheme == "wss" {
			addr := hostPort(u, "443")
			return nil, req.explain(addr, explainTLS(addr, err))
		}
		return nil, err
	}
	return &wsConn{ws: ws, server: u.Host}, nil
}

// WebSocketConn turns a WebSocket connection into a byte stream for MQTT:
// every Write is one binary message, and Read concatenates the messages it
// receives, which need not align with packet boundaries. The broker uses it
// for its WebSocket listeners too.
func WebSocketConn(ws *websocket.Conn) net.Conn { return &wsConn{ws: ws} }

type wsConn struct {
	ws     *websocket.Conn
	server string // host:port, for errors
	r      io.Reader
	wmu    sync.Mutex
	// The write deadline SetWriteDeadline set last (unix nanoseconds, 0:
	// none). gorilla's Conn applies its own deadline at every write and may
	// not have it set during one, so Write hands it over, under wmu.
	writeDeadline atomic.Int64
}

func (c *wsConn) Read(p []byte) (int, error) {
	for {
		if c.r == nil {
			typ, r, err := c.ws.NextReader()
			if err != nil {
				return 0, explainAlert(c.server, err)
			}
			if typ != websocket.BinaryMessage {
				return 0, errors.New("websocket: MQTT needs binary messages, got a text message")
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if errors.Is(err, io.EOF) {
			c.r = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}

func (c *wsConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var t time.Time
	if ns := c.writeDeadline.Load(); ns != 0 {
		t = time.Unix(0, ns)
	}
	_ = c.ws.SetWriteDeadline(t)
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close sends a close frame (briefly, the peer may be gone) and closes the
// connection.
func (c *wsConn) Close() error {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(100*time.Millisecond))
	return c.ws.Close()
}

func (c *wsConn) LocalAddr() net.Addr  { return c.ws.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr { return c.ws.RemoteAddr() }
func (c *wsConn) SetDeadline(t time.Time) error {
	_ = c.ws.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}
func (c *wsConn) SetReadDeadline(t time.Time) error { return c.ws.SetReadDeadline(t) }

// SetWriteDeadline may be called while another goroutine writes (the
// broker's Close does, to end a write stuck on a client that stopped
// reading): it bounds that write through the connection underneath, and
// the later ones through Write.
func (c *wsConn) SetWriteDeadline(t time.Time) error {
	ns := int64(0)
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	c.writeDeadline.Store(ns)
	return c.ws.NetConn().SetWriteDeadline(t)
}

// NetConn exposes the connection under the WebSocket (TCP, or TLS for
// wss://), e.g. for the broker to read a client certificate.
func (c *wsConn) NetConn() net.Conn { return c.ws.NetConn() }
