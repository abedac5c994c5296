package broker

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// wsListener turns WebSocket upgrades on a TCP listener into net.Conns, so
// WebSocket clients take the same path (tracking, validation) as TCP ones.
type wsListener struct {
	ln    net.Listener
	http  *http.Server
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

func newWebSocketListener(ln net.Listener, log *slog.Logger) *wsListener {
	l := &wsListener{ln: ln, conns: make(chan net.Conn), done: make(chan struct{})}
	up := &websocket.Upgrader{
		Subprotocols: []string{"mqtt"},
		CheckOrigin:  func(*http.Request) bool { return true },
	}
	l.http = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ws, err := up.Upgrade(w, r, nil)
			if err != nil {
				return // Upgrade has answered with an HTTP error
			}
			select {
			case l.conns <- &wsConn{ws: ws}:
			case <-l.done:
				_ = ws.Close()
			}
		}),
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		_ = l.http.Serve(ln)
	}()
	return l
}

// Accept returns the next upgraded connection.
func (l *wsListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops the HTTP server and waits for it.
func (l *wsListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		_ = l.http.Close()
		l.wg.Wait()
	})
	return nil
}

// Addr is the bound TCP address.
func (l *wsListener) Addr() net.Addr { return l.ln.Addr() }

// wsConn is a WebSocket connection as a byte stream: MQTT packets travel in
// binary messages, which need not align with packet boundaries.
type wsConn struct {
	ws  *websocket.Conn
	r   io.Reader
	wmu sync.Mutex
}

func (c *wsConn) Read(p []byte) (int, error) {
	for {
		if c.r == nil {
			typ, r, err := c.ws.NextReader()
			if err != nil {
				return 0, err
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
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *wsConn) Close() error                       { return c.ws.Close() }
func (c *wsConn) LocalAddr() net.Addr                { return c.ws.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr               { return c.ws.RemoteAddr() }
func (c *wsConn) SetDeadline(t time.Time) error      { return c.ws.NetConn().SetDeadline(t) }
func (c *wsConn) SetReadDeadline(t time.Time) error  { return c.ws.SetReadDeadline(t) }
func (c *wsConn) SetWriteDeadline(t time.Time) error { return c.ws.SetWriteDeadline(t) }
