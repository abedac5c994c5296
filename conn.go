package mqttkit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mqttkit/mqttkit/internal/session"
	"github.com/mqttkit/mqttkit/internal/transport"
	"github.com/mqttkit/mqttkit/packet"
)

// conn is one network connection of a Client, from CONNACK to its end. Its
// reader goroutine decodes every packet into structs it reuses; its writer
// goroutine (transport.Writer) owns the socket's write side.
type conn struct {
	c       *Client
	nc      net.Conn
	br      *bufio.Reader
	w       *transport.Writer
	server  *url.URL
	connack packet.Connack

	// What the server allows, from CONNACK.
	receiveMax    int
	maxPacket     uint32 // 0: no limit
	maxQoS        QoS
	retainOK      bool
	wildcardOK    bool
	sharedOK      bool
	subIDsOK      bool
	topicAliasMax uint16
	keepAlive     time.Duration
	sessionExpiry uint32 // the session's Session Expiry Interval: the CONNECT's, or the CONNACK's when the server set one

	acks     *session.AckQueue // see ackQueue
	acksSet  bool              // acks has its full size (reader goroutine only)
	aliases  map[uint16]string // inbound topic aliases
	outAlias map[string]uint16 // outbound topic aliases, guarded by c.mu

	received     atomic.Uint64 // QoS 1 and 2 PUBLISH packets (reader goroutine)
	acked        atomic.Uint64 // PUBACK and PUBREC sent for them (under the ack queue's lock)
	room         chan struct{} // an acknowledgement left the ack queue
	paused       atomic.Bool   // the reader waits for handlers (backpressure), not for the server
	kaTimer      *time.Timer   // runs keepalive
	pingSent     time.Time     // of the PINGREQ awaiting an answer (keepalive only)
	warnedWindow bool          // waitRoom logged already (reader goroutine only)

	lastRead    atomic.Int64 // unix nanoseconds
	warnedAck   bool         // tolerateAck logged already (reader goroutine only)
	warnedReuse bool         // onPublish logged a reused QoS 2 packet id already (reader goroutine only)
	warnedStray bool         // strayAck logged already (reader goroutine only)

	once sync.Once
	err  error         // why the connection ended
	done chan struct{} // closed when the connection ends

	// Scratch packets, allocated on first use so that an idle connection
	// does without them: the reader's, and the ack queue's (used under its
	// lock, allocated with it).
	rs      *readScratch
	routed  []*Subscription // onPublish's, reused
	as      *ackScratch
	wPubrel packet.Pubrel
	body    []byte
}

func newConn(c *Client, nc net.Conn, br *bufio.Reader, u *url.URL, ack *packet.Connack) *conn {
	cn := &conn{
		c:          c,
		nc:         nc,
		br:         br,
		server:     u,
		connack:    *ack,
		receiveMax: 65535,
		maxPacket:  ack.Properties.MaximumPacketSize,
		maxQoS:     QoS2,
		done:       make(chan struct{}),
		room:       make(chan struct{}, 1),
		aliases:    make(map[uint16]string),
		outAlias:   make(map[string]uint16),
	}
	p := &ack.Properties
	if p.Present.Has(packet.PropReceiveMaximum) && p.ReceiveMaximum > 0 {
		cn.receiveMax = int(p.ReceiveMaximum)
	}
	if p.Present.Has(packet.PropMaximumQoS) {
		cn.maxQoS = QoS(p.MaximumQoS)
	}
	cn.retainOK = !p.Present.Has(packet.PropRetainAvailable) || p.RetainAvailable == 1
	cn.wildcardOK = !p.Present.Has(packet.PropWildcardSubscriptionAvailable) || p.WildcardSubscriptionAvailable == 1
	cn.sharedOK = !p.Present.Has(packet.PropSharedSubscriptionAvailable) || p.SharedSubscriptionAvailable == 1
	cn.subIDsOK = !p.Present.Has(packet.PropSubscriptionIdentifierAvailable) || p.SubscriptionIdentifierAvailable == 1
	cn.topicAliasMax = p.TopicAliasMaximum
	cn.keepAlive = c.cfg.keepAlive.Truncate(time.Second)
	if p.Present.Has(packet.PropServerKeepAlive) {
		cn.keepAlive = time.Duration(p.ServerKeepAlive) * time.Second
	}
	writeTimeout := 30 * time.Second
	if cn.keepAlive > 0 {
		writeTimeout = cn.keepAlive * 3 / 2
	}
	cn.w = transport.NewWriter(nc, writeTimeout)
	cn.lastRead.Store(time.Now().UnixNano())
	// A placeholder until the first QoS 1 or 2 message (ackQueue): an idle
	// connection does not hold a queue of Receive Maximum entries.
	cn.acks = session.NewAckQueue(1, cn.sendAck)
	return cn
}

// serve runs the connection's goroutines and returns why it ended.
func (cn *conn) serve() error {
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		if err := cn.w.Run(); err != nil {
			cn.fail(fmt.Errorf("mqttkit: writing to %s: %w", cn.server.Redacted(), err))
		}
	}()
	read := make(chan struct{})
	go func() {
		defer close(read)
		cn.fail(cn.read())
	}()
	if cn.keepAlive > 0 {
		// A timer, not a goroutine: an idle connection then costs no stack.
		cn.kaTimer = time.AfterFunc(time.Hour, cn.keepalive)
		cn.kaTimer.Reset(cn.keepAlive * 3 / 4)
		defer cn.kaTimer.Stop()
	}
	<-cn.done
	// Let the writer flush what is queued (a final DISCONNECT), then cut the
	// socket so that the reader returns. After Close's DISCONNECT, first let
	// the server close the connection, within the same second: it has then
	// read and processed everything before DISCONNECT, the last
	// acknowledgements included, so a connection that resumes the session
	// next does not get those messages again (the server may take the
	// session over before it reads what the old connection still holds).
	cn.w.Close()
	t := time.NewTimer(time.Second)
	select {
	case <-wrote:
		if errors.Is(cn.err, ErrClosed) {
			select {
			case <-read:
			case <-t.C:
			}
		}
	case <-t.C:
	}
	t.Stop()
	_ = cn.nc.Close()
	<-wrote
	<-read
	return cn.err
}

// fail ends the connection with err; the first call wins.
func (cn *conn) fail(err error) {
	cn.once.Do(func() {
		cn.err = err
		close(cn.done)
	})
}

// disconnect sends DISCONNECT with code and ends the connection with err.
func (cn *conn) disconnect(code packet.ReasonCode, err error) {
	cn.disconnectWith(&packet.Disconnect{ReasonCode: code}, err)
}

// disconnectWith sends d and ends the connection with err.
func (cn *conn) disconnectWith(d *packet.Disconnect, err error) {
	_ = cn.w.Append(d, packet.V5, cn.maxPacket)
	cn.fail(err)
}

// protocolError disconnects a server that broke the protocol.
func (cn *conn) protocolError(code packet.ReasonCode, format string, args ...any) error {
	return cn.violation(code, &ViolationError{Code: code, Detail: fmt.Sprintf(format, args...)})
}

// violation ends the connection with err after DISCONNECT with code, whose
// Reason String tells the server's operator what was wrong, when the
// server's Maximum Packet Size leaves room for it.
func (cn *conn) violation(code packet.ReasonCode, err error) error {
	cn.c.log.Error("mqttkit: disconnecting a server that broke the protocol", "server", cn.server.Redacted(), "reason_code", byte(code), "err", err)
	d := &packet.Disconnect{ReasonCode: code}
	d.Properties.ReasonString = err.Error()
	if cn.w.Append(d, packet.V5, cn.maxPacket) != nil {
		d.Properties.ReasonString = ""
		_ = cn.w.Append(d, packet.V5, cn.maxPacket)
	}
	cn.fail(err)
	return err
}

// keepalive pings the server when nothing was written or read for three
// quarters of the keepalive interval (the server allows 1.5 times it), and
// ends the connection when no packet arrives within half the interval after
// a ping: a half-open connection is found within 1.25 times the keepalive,
// before the server's own timeout. It runs on cn.kaTimer, which it re-arms.
func (cn *conn) keepalive() {
	select {
	case <-cn.done:
		return
	default:
	}
	ka := cn.keepAlive
	idleLimit := ka * 3 / 4
	now := time.Now()
	if cn.paused.Load() {
		// Unread packets wait in the socket while handlers catch up:
		// silence is the client's own doing, not a dead server.
		cn.lastRead.Store(now.UnixNano())
	}
	lastRead := time.Unix(0, cn.lastRead.Load())
	if !cn.pingSent.IsZero() {
		if lastRead.After(cn.pingSent) {
			cn.pingSent = time.Time{}
		} else if now.Sub(cn.pingSent) >= ka/2 {
			cn.fail(ErrKeepAliveTimeout)
			return
		}
	}
	writeIdle, readIdle := now.Sub(cn.w.LastWrite()), now.Sub(lastRead)
	if cn.pingSent.IsZero() && (writeIdle >= idleLimit || readIdle >= idleLimit) {
		if err := cn.w.Append(&packet.Pingreq{}, packet.V5, 0); err != nil {
			return
		}
		cn.pingSent, writeIdle = now, 0
	}
	// The next check comes at the first of these: the write side idle for
	// three quarters of the keepalive (MQTT-3.1.2-22: the client sends a
	// packet at least once per keepalive, even while it reads nothing
	// because handlers hold it back), the read side idle as long, or the
	// PINGRESP overdue.
	next := idleLimit - writeIdle
	if cn.pingSent.IsZero() {
		next = min(next, idleLimit-readIdle)
	} else {
		next = min(next, ka/2-now.Sub(cn.pingSent))
	}
	cn.kaTimer.Reset(max(next, 10*time.Millisecond))
}

// The read buffer starts small, since most connections of a process that
// holds many are idle, and grows once the connection is busy: when packets
// arrive faster than they are handled, one read fills the whole small
// buffer, and a larger one then takes many packets per syscall. A packet
// larger than the buffer is read into its own slice, past the buffer.
const (
	initialReadBuffer = 2 << 10
	busyReadBuffer    = 64 << 10
)

// read decodes packets until the connection fails and returns why.
func (cn *conn) read() error {
	maxSize := cn.c.cfg.maxPacketSize
	burst := 0 // bytes of small packets read since the buffer was last empty
	for {
		if cn.br.Buffered() == 0 {
			if burst >= cn.br.Size() && cn.br.Size() < busyReadBuffer {
				cn.br = bufio.NewReaderSize(cn.nc, busyReadBuffer) // nothing buffered is lost
			}
			burst = 0
		}
		h, err := packet.ReadFixedHeader(cn.br, maxSize)
		if err != nil {
			return cn.readError(err)
		}
		if cap(cn.body) < h.Remaining {
			cn.body = make([]byte, h.Remaining)
		}
		body := cn.body[:h.Remaining]
		if _, err := io.ReadFull(cn.br, body); err != nil {
			return cn.readError(err)
		}
		if h.Remaining < cn.br.Size() {
			burst += 2 + h.Remaining
		}
		cn.lastRead.Store(time.Now().UnixNano())
		if err := cn.handle(h, body); err != nil {
			return err
		}
		if cap(cn.body) > 1<<20 {
			cn.body = nil // do not keep a huge buffer for one large message
		}
	}
}

func (cn *conn) readError(err error) error {
	var pe *packet.Error
	if errors.As(err, &pe) {
		return cn.protocolError(pe.Code, "%v", pe)
	}
	select {
	case <-cn.done:
		return cn.err
	default:
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("mqttkit: %s closed the connection", cn.server.Redacted())
	}
	return fmt.Errorf("mqttkit: reading from %s: %w", cn.server.Redacted(), err)
}

// readScratch holds the packets the reader decodes into, reused.
type readScratch struct {
	publish    packet.Publish
	puback     packet.Puback
	pubrec     packet.Pubrec
	pubrel     packet.Pubrel
	pubcomp    packet.Pubcomp
	suback     packet.Suback
	unsuback   packet.Unsuback
	disconnect packet.Disconnect
	pubcompOut packet.Pubcomp // onPubrel's answer
}

// ackScratch holds the acknowledgements sendAck encodes, reused.
type ackScratch struct {
	puback packet.Puback
	pubrec packet.Pubrec
}

// handle processes one packet; an error ends the connection.
func (cn *conn) handle(h packet.FixedHeader, body []byte) error {
	c := cn.c
	if h.Type == packet.PINGRESP {
		return nil
	}
	if cn.rs == nil {
		cn.rs = new(readScratch)
	}
	rs := cn.rs
	decode := func(p packet.Packet) error {
		if err := p.Decode(h.Flags, body, packet.V5); err != nil {
			var pe *packet.Error
			if errors.As(err, &pe) {
				return cn.protocolError(pe.Code, "%v", pe)
			}
			return cn.protocolError(packet.MalformedPacket, "%v", err)
		}
		return nil
	}
	switch h.Type {
	case packet.PUBLISH:
		p := &rs.publish
		// The message is handed to handlers: never reuse its slices, except
		// the Subscription Identifiers, which onPublish copies.
		p.Payload, p.Properties.UserProperties, p.Properties.CorrelationData = nil, nil, nil
		if err := decode(p); err != nil {
			return err
		}
		return cn.onPublish(p)
	case packet.PUBACK:
		p := &rs.puback
		if err := p.Decode(h.Flags, body, packet.V5); err != nil && !cn.tolerateAck(body, &p.PacketID, &p.ReasonCode, &p.Properties, err) {
			return decode(p)
		}
		c.onPuback(cn, p)
	case packet.PUBREC:
		p := &rs.pubrec
		if err := p.Decode(h.Flags, body, packet.V5); err != nil && !cn.tolerateAck(body, &p.PacketID, &p.ReasonCode, &p.Properties, err) {
			return decode(p)
		}
		c.onPubrec(cn, p)
	case packet.PUBREL:
		if err := decode(&rs.pubrel); err != nil {
			return err
		}
		cn.onPubrel(&rs.pubrel)
	case packet.PUBCOMP:
		if err := decode(&rs.pubcomp); err != nil {
			return err
		}
		c.onPubcomp(cn, &rs.pubcomp)
	case packet.SUBACK:
		if err := decode(&rs.suback); err != nil {
			return err
		}
		c.onRequestAck(rs.suback.PacketID, rs.suback.ReasonCodes, rs.suback.Properties.ReasonString)
	case packet.UNSUBACK:
		if err := decode(&rs.unsuback); err != nil {
			return err
		}
		c.onRequestAck(rs.unsuback.PacketID, rs.unsuback.ReasonCodes, rs.unsuback.Properties.ReasonString)
	case packet.AUTH:
		var p packet.Auth
		if err := decode(&p); err != nil {
			return err
		}
		return cn.onAuth(&p)
	case packet.DISCONNECT:
		if err := decode(&rs.disconnect); err != nil {
			return err
		}
		d := &rs.disconnect
		return &ReasonError{Packet: packet.DISCONNECT, Code: d.ReasonCode, Reason: d.Properties.ReasonString,
			ServerReference: d.Properties.ServerReference}
	default:
		return cn.protocolError(packet.ProtocolError, "unexpected %s packet from the server", h.Type)
	}
	return nil
}

// tolerateAck accepts a PUBACK or PUBREC whose only fault is a success-range
// reason code the packet does not define: mochi-mqtt v2.7.9 answers a QoS 1
// PUBLISH that carries properties with PUBACK reason 0x01 ("Granted QoS 1").
// Refusing it would disconnect, resend and be refused again forever; the
// server did accept the message, so it counts as Success, logged once per
// connection. Any other malformation is still a protocol error.
func (cn *conn) tolerateAck(body []byte, id *uint16, code *packet.ReasonCode, props *packet.Properties, err error) bool {
	if len(body) < 3 || body[2] >= 0x80 || !errors.Is(err, packet.ErrProtocol) {
		return false
	}
	*id, *code, *props = uint16(body[0])<<8|uint16(body[1]), packet.Success, packet.Properties{}
	if !cn.warnedAck {
		cn.warnedAck = true
		cn.c.log.Warn("mqttkit: server sent an acknowledgement with an undefined success reason code; treating it as Success", "reason_code", body[2], "err", err)
	}
	return true
}

// onPubrel completes an inbound QoS 2 exchange: the message was delivered
// once, and its id may be used again.
func (cn *conn) onPubrel(p *packet.Pubrel) {
	c := cn.c
	c.mu.Lock()
	delete(c.inbound2, p.PacketID)
	if c.state != nil {
		c.state.RemoveInboundQoS2(p.PacketID)
	}
	out := &cn.rs.pubcompOut
	out.PacketID = p.PacketID
	out.ReasonCode = packet.Success
	if p.ReasonCode != packet.Success {
		out.ReasonCode = packet.PacketIdentifierNotFound
	}
	_ = cn.w.Append(out, packet.V5, cn.maxPacket)
	c.mu.Unlock()
}

// ackQueue returns the connection's ack queue, sized to the client's
// Receive Maximum on first use. Only the reader goroutine calls it; others
// read cn.acks after the reader has ended.
func (cn *conn) ackQueue() *session.AckQueue {
	if !cn.acksSet {
		cn.acksSet = true
		cn.as = new(ackScratch)
		cn.acks = session.NewAckQueue(int(cn.c.cfg.receiveMax), cn.sendAck)
	}
	return cn.acks
}

// sendAck is the AckQueue's output: PUBACK or PUBREC, in arrival order.
func (cn *conn) sendAck(id uint16, qos byte, reason byte) {
	cn.acked.Add(1)
	select {
	case cn.room <- struct{}{}:
	default:
	}
	if qos == 1 {
		cn.as.puback.PacketID, cn.as.puback.ReasonCode = id, packet.ReasonCode(reason)
		_ = cn.w.Append(&cn.as.puback, packet.V5, cn.maxPacket)
		return
	}
	cn.as.pubrec.PacketID, cn.as.pubrec.ReasonCode = id, packet.ReasonCode(reason)
	_ = cn.w.Append(&cn.as.pubrec, packet.V5, cn.maxPacket)
}
