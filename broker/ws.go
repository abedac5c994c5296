package broker

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/mqttkit/mqttkit/internal/transport"
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
			case l.conns <- transport.WebSocketConn(ws):
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
