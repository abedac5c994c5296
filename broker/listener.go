package broker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// netListener serves one net.Listener (TCP, or TLS over TCP) to mochi. It
// replaces mochi's own TCP listener so that the bound address is known
// before serving (port 0), every connection goes through the server's
// connection tracker and validating reader, and Close waits for its accept
// loop and every connection it started.
type netListener struct {
	id       string
	protocol string
	ln       net.Listener
	srv      *Server

	mu      sync.Mutex
	closed  bool
	serving bool
	done    chan struct{} // closed when Serve returns
}

var _ listeners.Listener = (*netListener)(nil)

func newNetListener(id, protocol string, ln net.Listener, srv *Server) *netListener {
	return &netListener{id: id, protocol: protocol, ln: ln, srv: srv, done: make(chan struct{})}
}

// ID names the listener in mochi and in logs.
func (l *netListener) ID() string { return l.id }

// Address is the bound address, with the real port when port 0 was asked.
func (l *netListener) Address() string { return l.ln.Addr().String() }

// Protocol is "tcp" or "tls".
func (l *netListener) Protocol() string { return l.protocol }

// Init does nothing: the socket is already bound by Server.Start.
func (l *netListener) Init(*slog.Logger) error { return nil }

// Serve accepts connections until the listener is closed.
func (l *netListener) Serve(establish listeners.EstablishFn) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.serving = true
	l.mu.Unlock()
	defer close(l.done)

	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				l.srv.log.Error("broker: accepting connections stopped", "listener", l.id, "error", err)
			}
			return
		}
		l.srv.serveConn(l.id, conn, establish)
	}
}

// Close stops accepting, disconnects this listener's clients, closes every
// connection still open (including ones that never sent
// CONNECT) and waits until all of them are finished.
func (l *netListener) Close(listeners.CloseFn) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	serving := l.serving
	l.mu.Unlock()

	_ = l.ln.Close()
	if serving {
		<-l.done
	}
	// A client that stopped reading must not hold Close up: mochi writes
	// each DISCONNECT synchronously.
	l.srv.conns.setWriteDeadline(l.id, time.Now().Add(closeWriteTimeout))
	l.srv.disconnectClients(l.id)
	l.srv.conns.closeListener(l.id)
}

// disconnectClients sends DISCONNECT 0x8B (server shutting down) to the
// listener's connected clients. It replaces mochi's closeListenerClients,
// whose Clients.GetByListener takes the clients' read lock twice and so
// deadlocks against a client being added at the same moment: Close racing
// a new connection could hang forever.
func (s *Server) disconnectClients(listenerID string) {
	for _, cl := range s.mochi.Clients.GetAll() {
		if cl.Net.Listener == listenerID && !cl.Closed() {
			_ = s.mochi.DisconnectClient(cl, packets.ErrServerShuttingDown)
		}
	}
}

// closeWriteTimeout bounds each write to a client while the server closes.
const closeWriteTimeout = time.Second

// serveConn runs mochi's connection handling for one accepted connection on
// a goroutine the tracker accounts for; a server that is closing refuses it.
func (s *Server) serveConn(listenerID string, conn net.Conn, establish listeners.EstablishFn) {
	tc, ok := s.conns.add(listenerID, conn)
	if !ok {
		_ = conn.Close()
		return
	}
	_ = conn.SetReadDeadline(time.Now().Add(s.cfg.Limits.ConnectTimeout))
	go func() {
		defer s.conns.done(tc)
		defer s.hook.establish.release(tc) // ended before its CONNACK, or ended its session (OnDisconnect)
		err := establish(listenerID, s.wrapConn(tc))
		s.logConnEnd(listenerID, conn, err)
	}()
}

// logConnEnd logs why a connection ended, at a level that keeps ordinary
// disconnects out of warning-level logs.
func (s *Server) logConnEnd(listenerID string, conn net.Conn, err error) {
	if err == nil {
		return
	}
	level := slog.LevelInfo
	var code packets.Code
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, mqtt.ErrConnectionClosed):
		level = slog.LevelDebug
	case errors.As(err, &code) && code.Code < packets.ErrUnspecifiedError.Code:
		level = slog.LevelDebug
	case errors.As(err, new(*malformedError)):
		level = slog.LevelWarn
	}
	s.log.Log(context.Background(), level, "broker: connection closed", "listener", listenerID, "remote", conn.RemoteAddr().String(), "reason", err.Error())
}
