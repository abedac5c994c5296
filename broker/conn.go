package broker

import (
	"net"
	"sync"
)

// serverConn is one client connection as mochi sees it. Writes are
// serialised so that a packet the broker writes itself (a DISCONNECT for a
// malformed packet) never interleaves with one mochi is writing.
type serverConn struct {
	net.Conn
	listener string

	wmu sync.Mutex
}

// Write writes one or more whole packets.
func (c *serverConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.Conn.Write(p)
}

// malformedError is why a connection was closed for a malformed or
// oversized packet.
type malformedError struct {
	err error
}

func (e *malformedError) Error() string { return "malformed packet: " + e.err.Error() }
func (e *malformedError) Unwrap() error { return e.err }

// wrapConn returns the net.Conn mochi reads and writes for c.
func (s *Server) wrapConn(c *serverConn) net.Conn {
	return c
}
