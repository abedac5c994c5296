package mqttkit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mqttkit/mqttkit/internal/session"
	"github.com/mqttkit/mqttkit/internal/transport"
	"github.com/mqttkit/mqttkit/packet"
)

// PublishOption sets a property or flag of an outgoing PUBLISH.
type PublishOption func(*packet.Publish)

// Retain asks the server to keep the message as the topic's retained
// message, sent to every future subscriber.
func Retain() PublishOption { return func(p *packet.Publish) { p.Retain = true } }

// MessageExpiry makes the server drop the message if it could not be
// delivered within d (rounded down to seconds).
func MessageExpiry(d time.Duration) PublishOption {
	return func(p *packet.Publish) { p.Properties.MessageExpiryInterval = durationSeconds(d) }
}

// ContentType sets the MIME type of the payload.
func ContentType(t string) PublishOption {
	return func(p *packet.Publish) { p.Properties.ContentType = t }
}

// UTF8Payload marks the payload as UTF-8 text (Payload Format Indicator 1);
// the client checks it before sending.
func UTF8Payload() PublishOption {
	return func(p *packet.Publish) { p.Properties.PayloadFormatIndicator = 1 }
}

// ResponseTopic sets the topic a responder should publish its reply to.
func ResponseTopic(t string) PublishOption {
	return func(p *packet.Publish) { p.Properties.ResponseTopic = t }
}

// CorrelationData sets the data a responder echoes to match its reply.
func CorrelationData(b []byte) PublishOption {
	return func(p *packet.Publish) { p.Properties.CorrelationData = b }
}

// WithUserProperty adds a user property; repeat it for several.
func WithUserProperty(key, value string) PublishOption {
	return func(p *packet.Publish) {
		p.Properties.UserProperties = append(p.Properties.UserProperties, packet.UserProperty{Key: key, Value: value})
	}
}

// outbound is one message from Publish or PublishAsync until its exchange
// completes. Records of Publish are pooled: the publish path allocates
// nothing per message.
type outbound struct {
	pub       packet.Publish
	id        uint16 // packet id while in flight, 0 before
	seq       uint64 // order of admission, for resending in order
	sent      bool   // written on some connection: resend with DUP
	released  bool   // QoS 2: PUBREC received, PUBREL sent
	relResent bool   // QoS 2: the PUBREL was sent again on a new connection
	async     bool   // done is closed, not signalled; the record is not reused
	waiting   bool   // a Publish call waits for it (false: abandoned)
	finished  bool
	err       error
	done      chan struct{}

	// With WithStore (durable.go): the record's durability, and for
	// PublishAsync the Stored channel, closed once under the client lock.
	commit     session.Commit
	stored     chan struct{}
	storedErr  error
	storedDone bool
}

var outboundPool = sync.Pool{New: func() any { return &outbound{done: make(chan struct{}, 1)} }}

var (
	errNoPacketID = errors.New("mqttkit: all 65535 packet identifiers are in use")
	closedChan    = func() chan struct{} { c := make(chan struct{}); close(c); return c }()
)

// sendError turns a writer error into the client's error for the caller.
func sendError(err error) error {
	var tl *transport.TooLargeError
	if errors.As(err, &tl) {
		return fmt.Errorf("mqttkit: nothing sent: %v; %w", tl, ErrPacketTooLarge)
	}
	return fmt.Errorf("mqttkit: %w", err)
}

// Publish sends a message and waits: at QoS 0 until it is written, at QoS 1
// until PUBACK, at QoS 2 until PUBCOMP. While disconnected it waits for a
// connection until ctx ends; a message that was never sent is then
// withdrawn, and one that was sent stays in flight (it may still be
// delivered). A server refusal is a *ReasonError; a message over the
// server's Maximum Packet Size fails with ErrPacketTooLarge and nothing is
// sent. Publish allocates nothing per message (beyond what opts do).
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, qos QoS, opts ...PublishOption) error {
	o := outboundPool.Get().(*outbound)
	o.pub = packet.Publish{Topic: topic, QoS: qos, Payload: payload}
	for _, opt := range opts {
		opt(&o.pub)
	}
	o.pub.QoS, o.pub.PacketID, o.pub.Dup = qos, 0, false
	err := c.publish(ctx, o)
	*o = outbound{done: o.done}
	outboundPool.Put(o)
	return err
}

// PublishMessage publishes m's topic, payload, QoS, Retain flag and
// properties and waits like Publish. It lets middleware such as DeadLetter
// forward a message with everything it carries.
func (c *Client) PublishMessage(ctx context.Context, m *Message) error {
	o := outboundPool.Get().(*outbound)
	o.pub = packet.Publish{Topic: m.Topic, QoS: m.QoS, Retain: m.Retain, Payload: m.Payload, Properties: m.Properties}
	o.pub.Properties.SubscriptionIdentifiers = nil
	o.pub.Properties.TopicAlias = 0
	err := c.publish(ctx, o)
	*o = outbound{done: o.done}
	outboundPool.Put(o)
	return err
}

func (c *Client) publish(ctx context.Context, o *outbound) error {
	if err := c.checkPublish(&o.pub); err != nil {
		return err
	}
	if o.pub.QoS == QoS0 {
		return c.publishQoS0(ctx, o)
	}
	o.waiting = true
	c.mu.Lock()
	for {
		if c.closed {
			c.mu.Unlock()
			return ErrClosed
		}
		if c.inUse < c.window {
			break
		}
		c.mu.Unlock()
		select {
		case <-c.room:
		case <-ctx.Done():
			return fmt.Errorf("mqttkit: publish to %q: the server's Receive Maximum is used up: %w", o.pub.Topic, ctx.Err())
		}
		c.mu.Lock()
	}
	if err := c.admitLocked(o); err != nil {
		c.mu.Unlock()
		return err
	}
	if c.inUse < c.window {
		c.signalRoom() // pass the wake-up on to the next waiter
	}
	c.mu.Unlock()
	select {
	case <-o.done:
		o.waitRecord(ctx)
		return o.err
	case <-ctx.Done():
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if o.finished {
		<-o.done
		return o.err
	}
	if !o.sent {
		c.releaseLocked(o)
		return fmt.Errorf("mqttkit: publish to %q withdrawn, never sent: %w", o.pub.Topic, ctx.Err())
	}
	// In flight: the record lives on until its ack, without its caller.
	o.waiting = false
	c.inflight[o.id] = c.detachLocked(o)
	return fmt.Errorf("mqttkit: publish to %q sent but not acknowledged (it may still be delivered): %w", o.pub.Topic, ctx.Err())
}

// detachLocked copies a pooled record whose caller gave up, so that the
// caller can return its record to the pool.
func (c *Client) detachLocked(o *outbound) *outbound {
	d := &outbound{}
	*d = *o
	d.done = make(chan struct{}, 1)
	return d
}

// publishQoS0 writes a QoS 0 message on the live connection, waiting for one.
func (c *Client) publishQoS0(ctx context.Context, o *outbound) error {
	for {
		cn, err := c.waitUp(ctx)
		if err != nil {
			return err
		}
		if err := cn.w.WaitSpace(ctx); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("mqttkit: publish to %q: %w", o.pub.Topic, ctx.Err())
			}
			continue // the connection ended; wait for the next
		}
		c.mu.Lock()
		err = c.writeLocked(cn, o)
		c.mu.Unlock()
		if err == nil {
			c.stats.published.Add(1)
			return nil
		}
		var tl *transport.TooLargeError
		if errors.As(err, &tl) || !errors.Is(err, transport.ErrWriterClosed) {
			return sendError(err)
		}
	}
}

// checkPublish rejects what the protocol or the server would refuse, before
// anything is sent.
func (c *Client) checkPublish(p *packet.Publish) error {
	if p.QoS > QoS2 {
		return fmt.Errorf("mqttkit: publish QoS %d is not 0, 1 or 2", p.QoS)
	}
	if err := packet.ValidateTopicName(p.Topic); err != nil {
		return fmt.Errorf("mqttkit: publish: %w", err)
	}
	if p.Properties.PayloadFormatIndicator == 1 && !utf8.Valid(p.Payload) {
		return fmt.Errorf("mqttkit: publish to %q: payload marked UTF-8 is not valid UTF-8: %w", p.Topic, ErrPayloadFormat)
	}
	c.mu.Lock()
	cn := c.cn
	c.mu.Unlock()
	if cn == nil {
		return nil // checked again when sent
	}
	return cn.checkPublish(p)
}

// checkPublish applies the server's CONNACK limits.
func (cn *conn) checkPublish(p *packet.Publish) error {
	if p.QoS > cn.maxQoS {
		return fmt.Errorf("mqttkit: publish to %q at QoS %d: the server's Maximum QoS is %d: %w", p.Topic, p.QoS, cn.maxQoS, ErrQoSNotSupported)
	}
	if p.Retain && !cn.retainOK {
		return fmt.Errorf("mqttkit: publish to %q with Retain: the server has no retained messages: %w", p.Topic, ErrRetainNotSupported)
	}
	return nil
}

// admitLocked gives o a packet id and a slot of the window and sends it when
// connected; o is then in flight until its acknowledgement.
func (c *Client) admitLocked(o *outbound) error {
	id, ok := c.ids.Get()
	if !ok {
		return errNoPacketID
	}
	c.seq++
	if c.state != nil {
		o.pub.PacketID = id // recorded with the id it is sent with
		if cm := c.state.AddOutbound(c.seq, &o.pub); cm != nil {
			if err := cm.Err(); err != nil {
				c.ids.Put(id)
				return fmt.Errorf("mqttkit: publish to %q: nothing sent: recording the message in the session store: %w", o.pub.Topic, err)
			}
			c.recordedLocked(o, cm)
		}
	}
	o.id = id
	o.seq = c.seq
	c.inUse++
	if uint64(c.inUse) > c.stats.inFlightPeak.Load() {
		c.stats.inFlightPeak.Store(uint64(c.inUse))
	}
	c.inflight[id] = o
	if c.cn != nil {
		if err := c.sendLocked(c.cn, o, true); err != nil && !o.async {
			c.releaseLocked(o)
			return err
		}
	}
	return nil
}

// sendLocked writes o, or its PUBREL, on cn. A message the server cannot
// take (too large, a QoS or Retain it does not support) fails; it is
// released unless the caller handles that.
func (c *Client) sendLocked(cn *conn, o *outbound, resumed bool) error {
	if o.released {
		o.relResent = true
		cn.wPubrel.PacketID, cn.wPubrel.ReasonCode = o.id, packet.Success
		_ = cn.w.Append(&cn.wPubrel, packet.V5, cn.maxPacket)
		return nil
	}
	err := cn.checkPublish(&o.pub)
	if err == nil {
		o.pub.PacketID = o.id
		o.pub.Dup = o.sent && resumed
		err = c.writeLocked(cn, o)
	}
	if err == nil {
		o.sent = true
		return nil
	}
	if errors.Is(err, transport.ErrWriterClosed) {
		return nil // the connection is ending; o is sent on the next one
	}
	if o.async {
		c.releaseLocked(o)
		c.finishLocked(o, sendError(err))
	}
	return sendError(err)
}

// writeLocked encodes o's PUBLISH on cn, with a topic alias when enabled.
func (c *Client) writeLocked(cn *conn, o *outbound) error {
	p := &o.pub
	if !c.cfg.outboundAlias || cn.topicAliasMax == 0 {
		return cn.w.Append(p, packet.V5, cn.maxPacket)
	}
	topic := p.Topic
	alias, known := cn.outAlias[topic]
	if !known && len(cn.outAlias) < int(cn.topicAliasMax) {
		alias = uint16(len(cn.outAlias) + 1)
		cn.outAlias[topic] = alias
	} else if known {
		p.Topic = ""
	}
	p.Properties.TopicAlias = alias
	err := cn.w.Append(p, packet.V5, cn.maxPacket)
	p.Topic, p.Properties.TopicAlias = topic, 0
	if err != nil && !known && alias != 0 {
		delete(cn.outAlias, topic)
	}
	return err
}

// releaseLocked frees o's packet id and window slot.
func (c *Client) releaseLocked(o *outbound) {
	if c.inflight[o.id] == o {
		if c.state != nil {
			c.state.RemoveOutbound(o.seq)
		}
		delete(c.inflight, o.id)
		c.ids.Put(o.id)
		c.inUse--
		c.pumpQueueLocked()
		c.signalRoom()
	}
}

// finishLocked completes o with err (nil: acknowledged).
func (c *Client) finishLocked(o *outbound, err error) {
	if o.finished {
		return
	}
	o.finished, o.err = true, err
	o.storedOnFinishLocked(err)
	if err == nil {
		c.stats.published.Add(1)
	}
	if o.async {
		close(o.done)
		return
	}
	if o.waiting {
		o.done <- struct{}{}
	}
}

// pumpQueueLocked moves queued PublishAsync messages into flight while the
// window has room, and writes queued QoS 0 messages when connected. A
// message leaves the queue before it is handled, and a nested call (a
// failed send releases its slot, which pumps) returns at once, so nothing is
// handled twice.
func (c *Client) pumpQueueLocked() {
	if c.pumping {
		return
	}
	c.pumping = true
	defer func() { c.pumping = false }()
	for len(c.queue) > 0 {
		o := c.queue[0]
		if o.pub.QoS == QoS0 {
			if c.cn == nil {
				return
			}
			err := c.writeLocked(c.cn, o)
			if err != nil && errors.Is(err, transport.ErrWriterClosed) {
				return
			}
			c.popQueueLocked()
			c.finishLocked(o, sendErrorOrNil(err))
			continue
		}
		if c.inUse >= c.window {
			return
		}
		c.popQueueLocked()
		if err := c.admitLocked(o); err != nil {
			c.finishLocked(o, err)
		}
	}
}

func (c *Client) popQueueLocked() {
	c.queue[0] = nil
	c.queue = c.queue[1:]
	if len(c.queue) == 0 {
		c.queue = nil
	}
}

func sendErrorOrNil(err error) error {
	if err == nil {
		return nil
	}
	return sendError(err)
}

// PublishResult is the outcome of PublishAsync.
type PublishResult struct{ o outbound }

// Done is closed when the publish completed: written (QoS 0), acknowledged
// (QoS 1 and 2) or failed.
func (r *PublishResult) Done() <-chan struct{} { return r.o.done }

// Err returns the publish's error once Done is closed (nil: success).
func (r *PublishResult) Err() error {
	select {
	case <-r.o.done:
		return r.o.err
	default:
		return errors.New("mqttkit: publish still in progress; wait for Done or call Wait")
	}
}

// Wait waits until the publish completed and returns its error, or until ctx
// ends; the message stays queued or in flight in that case.
func (r *PublishResult) Wait(ctx context.Context) error {
	select {
	case <-r.o.done:
		return r.o.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PublishAsync publishes without waiting: the result reports completion.
// The message is sent at once when connected and the server's Receive
// Maximum allows; otherwise it waits in a queue of WithQueueSize messages,
// and a full queue fails the result with ErrQueueFull at once. Nothing is
// dropped silently. ctx is only checked before queueing.
func (c *Client) PublishAsync(ctx context.Context, topic string, payload []byte, qos QoS, opts ...PublishOption) *PublishResult {
	r := &PublishResult{o: outbound{async: true, done: make(chan struct{}), stored: make(chan struct{})}}
	o := &r.o
	o.pub = packet.Publish{Topic: topic, QoS: qos, Payload: payload}
	for _, opt := range opts {
		opt(&o.pub)
	}
	o.pub.QoS, o.pub.PacketID, o.pub.Dup = qos, 0, false
	fail := func(err error) *PublishResult {
		o.err, o.finished = err, true
		o.storedLocked(err)
		close(o.done)
		return r
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := c.checkPublish(&o.pub); err != nil {
		return fail(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fail(ErrClosed)
	}
	switch {
	case len(c.queue) == 0 && qos == QoS0 && c.cn != nil:
		c.finishLocked(o, sendErrorOrNil(c.writeLocked(c.cn, o)))
	case len(c.queue) == 0 && qos > QoS0 && c.inUse < c.window:
		if err := c.admitLocked(o); err != nil {
			c.finishLocked(o, err)
		}
	case len(c.queue) < c.cfg.queueSize:
		c.queue = append(c.queue, o)
	default:
		o.err, o.finished = ErrQueueFull, true
		o.storedLocked(ErrQueueFull)
		close(o.done)
	}
	return r
}

// onPuback completes a QoS 1 publish.
func (c *Client) onPuback(cn *conn, p *packet.Puback) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.inflight[p.PacketID]
	if o == nil || o.pub.QoS != QoS1 {
		cn.strayAck("PUBACK", p.PacketID)
		return
	}
	c.releaseLocked(o)
	c.finishLocked(o, c.ackError(packet.PUBACK, p.ReasonCode, p.Properties.ReasonString))
}

// onPubrec moves a QoS 2 publish to its second step, or fails it.
func (c *Client) onPubrec(cn *conn, p *packet.Pubrec) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.inflight[p.PacketID]
	if o == nil || o.pub.QoS != QoS2 {
		// Answer anyway, so that a server with stale state can complete.
		cn.wPubrel.PacketID, cn.wPubrel.ReasonCode = p.PacketID, packet.PacketIdentifierNotFound
		_ = cn.w.Append(&cn.wPubrel, packet.V5, cn.maxPacket)
		return
	}
	if err := c.ackError(packet.PUBREC, p.ReasonCode, p.Properties.ReasonString); err != nil {
		c.releaseLocked(o)
		c.finishLocked(o, err)
		return
	}
	o.released = true
	if c.state != nil {
		c.state.ReleaseOutbound(o.seq, true)
	}
	_ = c.sendLocked(cn, o, true)
}

// strayAck logs an acknowledgement for a packet id that awaits none: a
// Warn once per connection, then Debug. After a reconnect that is mostly an
// acknowledgement answered twice (the embedded broker resends a PUBCOMP it
// had stored when the session was copied, and answers the client's PUBREL
// again): harmless, but a Warn each time flooded the log.
func (cn *conn) strayAck(kind string, id uint16) {
	level := slog.LevelDebug
	if !cn.warnedStray {
		cn.warnedStray, level = true, slog.LevelWarn
	}
	cn.c.log.Log(context.Background(), level, "mqttkit: "+kind+" for a packet id that awaits none; ignored (once per connection, then at Debug)", "packet_id", id)
}

// onPubcomp completes a QoS 2 publish.
func (c *Client) onPubcomp(cn *conn, p *packet.Pubcomp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.inflight[p.PacketID]
	if o == nil || !o.released {
		cn.strayAck("PUBCOMP", p.PacketID)
		return
	}
	c.releaseLocked(o)
	if p.ReasonCode == packet.PacketIdentifierNotFound {
		// The server accepted the message with its PUBREC; PUBCOMP only
		// frees the packet id. Not knowing the id of a PUBREL sent again
		// after a reconnect means its first PUBCOMP was lost with the
		// connection (§3.7.2.1: "not an error during recovery").
		level := slog.LevelWarn
		if o.relResent {
			level = slog.LevelDebug
		}
		c.log.Log(context.Background(), level, "mqttkit: server did not know the packet id of a PUBREL; the message was accepted with PUBREC, so it counts as delivered",
			"packet_id", p.PacketID, "topic", o.pub.Topic, "resent", o.relResent)
		c.finishLocked(o, nil)
		return
	}
	c.finishLocked(o, c.ackError(packet.PUBCOMP, p.ReasonCode, p.Properties.ReasonString))
}

// ackError is nil for a success code (including 0x10 No matching
// subscribers, counted in Stats) and a *ReasonError for a failure.
func (c *Client) ackError(t packet.Type, code packet.ReasonCode, reason string) error {
	if code == packet.NoMatchingSubscribers {
		c.stats.noSubscribers.Add(1)
	}
	if !code.IsError() {
		return nil
	}
	return &ReasonError{Packet: t, Code: code, Reason: reason}
}
