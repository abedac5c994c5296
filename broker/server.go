package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// ErrClosed is returned by Start on a server that was closed.
var ErrClosed = errors.New("broker: server closed; create a new one with broker.New")

// Server is one embedded broker. Create it with New, then Start it; Close
// stops it. All methods are safe for concurrent use.
type Server struct {
	cfg   Config
	log   *slog.Logger
	auth  *authorizer
	mochi *mqtt.Server
	hook  *hook
	conns *connTracker

	mu        sync.Mutex
	started   bool
	closed    bool
	listeners []*netListener
	closeErr  error
	closeDone chan struct{}
}

// New checks cfg and loads its users and ACL files. It binds nothing; Start
// does.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	auth, err := newAuthorizer(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		auth:      auth,
		conns:     newConnTracker(),
		closeDone: make(chan struct{}),
	}
	s.mochi = mqtt.New(&mqtt.Options{
		Capabilities: s.capabilities(),
		Logger:       slog.New(mochiLog{cfg.Logger.Handler()}),
	})
	// The security hook goes first: mochi stops asking at the first hook
	// that lets a client in, so a client that passed SCRAM or presented
	// its certificate is not also checked (and logged as failing) against
	// the users file.
	if err := s.mochi.AddHook(newSecurityHook(s), nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	s.hook = newHook(s)
	if err := s.mochi.AddHook(s.hook, nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	if cfg.DataDir != "" {
		if err := s.addPersistence(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// capabilities maps cfg.Limits onto mochi's capabilities.
func (s *Server) capabilities() *mqtt.Capabilities {
	c := mqtt.NewDefaultServerCapabilities()
	l := s.cfg.Limits
	c.ReceiveMaximum = l.ReceiveMaximum
	c.MaximumInflight = uint16(l.MaxQueuedMessages)
	c.MaximumClientWritesPending = int32(l.MaxPendingWrites)
	c.MaximumPacketSize = l.MaxPacketSize
	// An ack carries no copy of the PUBLISH's properties. mochi v2.7.9
	// copies them by default, and an ack with properties is written with
	// its reason code, which for a successful PUBACK is mochi's 0x01
	// ("granted QoS 1"), not a PUBACK reason code: strict clients then
	// drop the connection with a protocol error.
	c.Compatibilities.NoInheritedPropertiesOnAck = true
	c.MaximumClients = math.MaxInt64
	if l.MaxClients > 0 {
		c.MaximumClients = int64(l.MaxClients)
	}
	return c
}

// Start binds every configured listener and starts serving. The bound
// addresses are then available from Addr, WebSocketAddr and TLSAddr.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.started:
		return errors.New("broker: Start called twice; call it once per Server")
	}
	s.started = true
	if err := s.listen(); err != nil {
		for _, l := range s.listeners {
			_ = l.ln.Close()
		}
		s.listeners = nil
		return err
	}
	for _, l := range s.listeners {
		if err := s.mochi.AddListener(l); err != nil {
			return fmt.Errorf("broker: %w", err)
		}
	}
	if err := s.mochi.Serve(); err != nil {
		return fmt.Errorf("broker: starting: %w; if it names the data store, check Config.DataDir", err)
	}
	for _, l := range s.listeners {
		s.log.Info("broker: listening", "protocol", l.protocol, "addr", l.Address())
	}
	return nil
}

// listen binds the TCP listener and the optional TLS and WebSocket ones.
func (s *Server) listen() error {
	ln, err := listenTCP("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	s.listeners = append(s.listeners, newNetListener("tcp", "tcp", ln, s))
	if err := s.listenSecure(); err != nil {
		return err
	}
	if s.cfg.WebSocketAddr != "" {
		ln, err := listenTCP("ws", s.cfg.WebSocketAddr)
		if err != nil {
			return err
		}
		s.listeners = append(s.listeners, newNetListener("ws", "ws", newWebSocketListener(ln, s.log), s))
	}
	return nil
}

// listenTCP binds addr with an error that says what to do.
func listenTCP(what, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("broker: %s listener on %s: %w; choose a free port, or port 0 for any free one", what, addr, err)
	}
	return ln, nil
}

// Addr is the bound TCP address (host:port), or "" before Start.
func (s *Server) Addr() string { return s.listenerAddr("tcp") }

// TLSAddr is the bound TLS address, or "" when there is none.
func (s *Server) TLSAddr() string { return s.listenerAddr("tls") }

// WebSocketAddr is the bound WebSocket address, or "" when there is none.
func (s *Server) WebSocketAddr() string { return s.listenerAddr("ws") }

func (s *Server) listenerAddr(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.listeners {
		if l.id == id {
			return l.Address()
		}
	}
	return ""
}

// Run starts the server, serves until ctx is done, then closes it: the
// whole life of a broker in one call, for commands and small programs.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	return s.Close()
}

// Close disconnects every client (DISCONNECT 0x8B for MQTT v5), stops the
// listeners, flushes and closes the data store, and waits for every
// goroutine the server started. It is safe to call more than once and from
// several goroutines; every call returns the first call's result.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.closeDone
		return s.closeErr
	}
	s.closed = true
	s.mu.Unlock()

	err := s.mochi.Close() // also stops the hooks, closing the data store
	s.closeErr = err
	close(s.closeDone)
	return err
}
