package broker

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/mqttkit/mqttkit/packet"
)

// serverConn is one client connection as mochi sees it. Reads go through a
// validating reader: mochi only ever receives the bytes of packets that
// mqttkit's packet decoder accepted, so no malformed input reaches mochi's
// own decoder (which panics on some, mochi issue 501). Writes are
// serialised so that a packet the broker writes itself (a DISCONNECT for a
// malformed packet) never interleaves with one mochi is writing.
type serverConn struct {
	net.Conn
	listener string

	// Read side, used only by mochi's reading goroutine.
	br        *bufio.Reader
	maxSize   uint32
	version   packet.Version    // 0 until CONNECT has been read
	pending   []byte            // validated bytes not yet handed to mochi
	buf       []byte            // reused packet buffer
	decoded   [16]packet.Packet // one reused packet per type, decoded only to validate
	readErr   error             // sticky error after a malformed packet
	onInvalid func(c *serverConn, err *packet.Error)
	onSlow    func(c *serverConn) // the client read nothing while Write waited for it (see awaitRoom)
	onStalled func(c *serverConn) // the client acknowledged nothing while publishers waited (see pace)

	// The publish being processed (see publishing), used only by the
	// goroutine mochi serves the connection on; publishing says the same to
	// a takeover (see awaitTakenOver).
	pub        publishing
	publishing atomic.Bool
	// Set when another connection takes the session over: PUBLISH packets
	// read since are refused (see awaitTakenOver).
	takenOver atomic.Bool
	// The subscriber's connection this connection's PUBLISH waits for in
	// pace; a takeover wakes it (see awaitTakenOver).
	pacedBy atomic.Pointer[serverConn]
	// Set once mochi established the client's session on this connection
	// (see lateMessages).
	established atomic.Bool
	// What the connection that took this one's session over copied of it,
	// stored before that one is established (see lateMessages).
	copied atomic.Pointer[sessionCopy]
	// The connection this one takes the session from, from awaitTakenOver
	// until recordCopy; used only by the goroutine mochi serves it on.
	takesFrom *serverConn
	// The packet ids of the PUBLISH packets the session's resend sent with
	// DUP, stored once it is done; nil when nothing was resent (see
	// staleCopy).
	resentIDs atomic.Pointer[map[uint16]struct{}]
	// The client id whose session this connection takes over, while it
	// holds establishLocks for it (guarded by establishLocks.mu).
	establishing string

	wmu         sync.Mutex
	writeFailed bool       // the connection was closed by a failed write (or will be, once flushed)
	out         outQueue   // bytes for the socket, written by their own goroutine (see write)
	window      sendWindow // the client's Receive Maximum
	wbuf        []byte     // reused buffer of bytes admitted by window
	holdID      uint16     // packet id of the PUBLISH whose ack waits for its routing; 0: none
	resending   bool       // a resumed session is being resent (see resumeOrder)
	resent      [][]byte   // the PUBLISH and PUBREL packets written meanwhile
	held        []byte     // that ack, once mochi wrote it
	hbuf        []byte     // reused buffer of the bytes written around it
}

// Read hands mochi the bytes of whole, validated packets.
func (c *serverConn) Read(p []byte) (int, error) {
	if len(c.pending) == 0 {
		if c.readErr != nil {
			return 0, c.readErr
		}
		if err := c.next(); err != nil {
			c.readErr = err
			return 0, err
		}
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// next reads and validates one packet into c.pending.
func (c *serverConn) next() error {
	hlen, err := c.peekHeaderLen()
	if err != nil {
		return err
	}
	head, _ := c.br.Peek(hlen)
	if c.version == 0 && packet.Type(head[0]>>4) != packet.CONNECT {
		return c.invalid(&packet.Error{Code: packet.ProtocolError, Msg: "the first packet must be CONNECT"})
	}
	c.buf = append(c.buf[:0], head...)
	h, err := packet.ReadFixedHeader(c.br, c.maxSize)
	if err != nil {
		return c.fail(err)
	}
	if err := c.checkDirection(h.Type); err != nil {
		return c.invalid(err)
	}
	size := h.Size()
	if cap(c.buf) < size {
		c.buf = append(make([]byte, 0, size), c.buf...)
	}
	c.buf = c.buf[:size]
	if _, err := io.ReadFull(c.br, c.buf[hlen:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	v := c.version
	if v == 0 {
		v = packet.V5 // CONNECT carries its own version
	}
	pk := c.decoded[h.Type]
	if pk == nil {
		if pk, err = packet.NewPacket(h.Type); err != nil {
			return c.fail(err)
		}
		c.decoded[h.Type] = pk
	}
	if err := pk.Decode(h.Flags, c.buf[hlen:], v); err != nil {
		if h.Type == packet.CONNECT && errors.Is(err, &packet.Error{Code: packet.UnsupportedProtocolVersion}) {
			c.refuseVersion(c.buf[hlen:])
		}
		return c.fail(err)
	}
	switch p := pk.(type) {
	case *packet.Connect:
		c.version = p.ProtocolVersion
		c.decoded[packet.CONNECT] = nil // holds the password; never needed again
		if c.version == packet.V5 {
			c.wmu.Lock()
			c.window.limit(p.Properties.ReceiveMaximum)
			c.wmu.Unlock()
		}
	case *packet.Puback:
		c.acked(p.PacketID)
	case *packet.Pubcomp:
		c.acked(p.PacketID)
	case *packet.Pubrec:
		if p.ReasonCode >= 0x80 {
			c.acked(p.PacketID) // the exchange ends with an error PUBREC
		} else {
			c.wmu.Lock()
			c.ackRead()
			c.wmu.Unlock()
		}
	case *packet.Publish:
		if cap(p.Payload) > 64<<10 {
			c.decoded[packet.PUBLISH] = nil // do not pin a large payload
		}
	}
	c.pending = c.buf
	if cap(c.buf) > 64<<10 {
		c.buf = nil // do not pin a large buffer for an idle connection
	}
	return nil
}

// peekHeaderLen waits for a whole fixed header and returns its length, so
// its bytes can be copied before ReadFixedHeader consumes them.
func (c *serverConn) peekHeaderLen() (int, error) {
	for n := 2; ; n++ {
		b, err := c.br.Peek(n)
		if err != nil {
			if errors.Is(err, io.EOF) && len(b) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if b[n-1]&0x80 == 0 || n == 5 {
			return n, nil
		}
	}
}

// refuseVersion answers a CONNECT of an unsupported protocol version (body
// is the CONNECT after its fixed header) as the spec allows: MQTT 3.1 and
// older levels get CONNACK return code 1 in the 3.1/3.1.1 format, levels
// above 5 CONNACK 0x84 in the MQTT 5 format. A wrong protocol name gets no
// answer: the client is not speaking MQTT.
func (c *serverConn) refuseVersion(body []byte) {
	if len(body) < 2 {
		return
	}
	at := 2 + (int(body[0])<<8 | int(body[1]))
	if at >= len(body) {
		return
	}
	name, level := string(body[2:at]), body[at]
	switch {
	case (name == "MQIsdp" && level == 3) || (name == "MQTT" && level < byte(packet.V311)):
		_, _ = c.Write([]byte{0x20, 0x02, 0x00, 0x01})
	case name == "MQTT" && level > byte(packet.V5):
		_, _ = c.Write([]byte{0x20, 0x03, 0x00, byte(packet.UnsupportedProtocolVersion), 0x00})
	}
}

// checkDirection rejects packets only a server may send, and a second
// CONNECT.
func (c *serverConn) checkDirection(t packet.Type) *packet.Error {
	switch {
	case t == packet.CONNECT && c.version != 0:
		return &packet.Error{Code: packet.ProtocolError, Packet: t, Msg: "a second CONNECT on one connection"}
	case t == packet.CONNACK || t == packet.SUBACK || t == packet.UNSUBACK || t == packet.PINGRESP:
		return &packet.Error{Code: packet.ProtocolError, Packet: t, Msg: "a client must not send " + t.String()}
	}
	return nil
}

// fail turns a decoding error into the connection's end: packet errors
// close it as malformed, I/O errors pass through.
func (c *serverConn) fail(err error) error {
	var pe *packet.Error
	if errors.As(err, &pe) {
		return c.invalid(pe)
	}
	return err
}

// invalid ends the connection for a malformed or forbidden packet: for an
// MQTT v5 client it first sends DISCONNECT with the error's reason code
// (0x81 Malformed Packet, 0x82 Protocol Error, 0x95 Packet Too Large).
func (c *serverConn) invalid(pe *packet.Error) error {
	if c.onInvalid != nil {
		c.onInvalid(c, pe)
	}
	if c.version == packet.V5 {
		if b, err := (&packet.Disconnect{ReasonCode: pe.Code}).Append(nil, packet.V5); err == nil {
			_, _ = c.Write(b)
		}
	}
	_ = c.Close() // after the DISCONNECT is written
	return &malformedError{err: pe}
}

// Write writes one or more whole packets. It never reports a failed write
// to mochi: v2.7.9's processPublish stores a QoS 1/2 message's PUBACK or
// PUBREC, writes it, and on a write error returns before routing the
// message, so the publisher, handed the stored ack on its next connection,
// takes a message nobody received as delivered. Instead a failed write
// closes the connection, which ends mochi's read side and cleans the
// client up as any lost connection; mochi carries on, routes the message,
// and the publisher, not having seen the ack, resends it with DUP (a
// duplicate, allowed at QoS 1; at QoS 2 mochi's stored PUBREC answers it).
// Every later write on the dead connection is discarded the same way.
//
// A QoS 1/2 PUBLISH beyond the client's Receive Maximum is held back (see
// sendWindow), so Write never blocks on flow control; what it lets through
// is queued for the connection's own writer goroutine, and Write waits only
// while more than highWater bytes are queued (see outqueue.go).
func (c *serverConn) Write(p []byte) (int, error) {
	n := len(p)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.awaitRoom()
	if c.holdID != 0 {
		p = c.holdAck(p)
	}
	if c.resending {
		p = c.collectResent(p)
	}
	c.send(p)
	return n, nil
}

// send writes b through the send window. c.wmu must be held.
func (c *serverConn) send(b []byte) {
	if c.window.max == 0 {
		c.write(b)
		return
	}
	c.wbuf = c.window.admit(c.wbuf[:0], b)
	c.write(c.wbuf)
	c.trimWriteBuffer()
}

// holdAck keeps back the PUBACK or PUBREC of the PUBLISH being processed
// and returns the other packets of p. mochi v2.7.9 writes that ack before
// it routes the message: a broker closed (or restarted) in between, or a
// subscriber connecting in between, saw a message the publisher already
// counted as delivered go missing or arrive out of turn. Held back until
// mochi has finished with the PUBLISH (releaseAck, from the hook's
// OnPacketProcessed), the ack means "routed, and stored where persistence
// is on". c.wmu must be held.
func (c *serverConn) holdAck(p []byte) []byte {
	for b := p; len(b) > 0; {
		n, id, kind := outgoing(b)
		if n == 0 {
			return p
		}
		if kind == outAck && id == c.holdID {
			at := len(p) - len(b)
			c.held = append(c.held, b[:n]...)
			c.hbuf = append(append(c.hbuf[:0], p[:at]...), b[n:]...)
			return c.hbuf
		}
		b = b[n:]
	}
	return p
}

// waitForRouting starts holding back the ack of PUBLISH id (see holdAck).
func (c *serverConn) waitForRouting(id uint16) {
	c.wmu.Lock()
	c.holdID = id
	c.wmu.Unlock()
}

// releaseAck writes the ack held back by holdAck, if any.
func (c *serverConn) releaseAck() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.holdID = 0
	if len(c.held) == 0 {
		return
	}
	c.send(c.held)
	c.held = c.held[:0]
}

// acked tells the send window that the client completed exchange id, and
// writes the held-back packets that now fit.
func (c *serverConn) acked(id uint16) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ackRead()
	if c.window.max == 0 {
		return
	}
	c.wbuf = c.window.release(c.wbuf[:0], id)
	c.write(c.wbuf)
	c.trimWriteBuffer()
}

// trimWriteBuffer lets a large write buffer go, so that one big message
// does not pin memory for the connection's lifetime. c.wmu must be held.
func (c *serverConn) trimWriteBuffer() {
	if cap(c.wbuf) > 64<<10 {
		c.wbuf = nil
	}
}

// malformedError is why a connection was closed for a malformed, oversized
// or forbidden packet.
type malformedError struct {
	err *packet.Error
}

func (e *malformedError) Error() string { return fmt.Sprintf("connection closed: %v", e.err) }
func (e *malformedError) Unwrap() error { return e.err }

// wrapConn prepares c's validating reader and returns the net.Conn mochi
// reads and writes.
func (s *Server) wrapConn(c *serverConn) net.Conn {
	c.br = bufio.NewReaderSize(c.Conn, 4096)
	c.maxSize = s.cfg.Limits.MaxPacketSize
	c.onInvalid = s.hook.countInvalid
	c.onSlow = s.slowClient
	c.onStalled = s.stalledClient
	return c
}
