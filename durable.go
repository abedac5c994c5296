package mqttkit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/mqttkit/mqttkit/internal/session"
	"github.com/mqttkit/mqttkit/packet"
	"github.com/mqttkit/mqttkit/store"
)

// WithStore keeps the client's session in s, so that a process that dies
// loses nothing it was told was stored, and a process started again on the
// same store resumes where the last one stopped:
//
//	st, err := store.Open("./session") // locked: one process per directory
//	if err != nil { … }
//	defer st.Close() // after the client's Close
//	c, err := mqttkit.Dial(ctx, url, mqttkit.WithStore(st))
//
// What changes with a store:
//   - Publish at QoS 1 and 2 returns once the server acknowledged the
//     message and its record is durable in s; concurrent publishes share
//     one fsync (group commit). PublishAsync reports the record's
//     durability separately, with PublishResult.Stored.
//   - Dial loads s first: the client identifier is the stored one unless
//     WithClientID is given (a generated one is stored before the first
//     CONNECT); the messages a previous process had not completed are sent
//     again with DUP and their original packet identifiers (QoS 2 messages
//     the server had received get their PUBREL), and Client.Resumed
//     reports their completion; inbound QoS 2 messages awaiting PUBREL are
//     remembered, and one recorded as handled (the record is durable
//     before its PUBREC leaves) is not handled again when the server sends
//     it once more: exactly once across a restart.
//   - Unless WithCleanStart or WithSessionExpiry say otherwise, the first
//     CONNECT resumes the server's session (Clean Start 0) and the session
//     is kept one hour, also across Close, like a consumer group member's:
//     a process restarted on the store gets what the server queued for it.
//
// Messages waiting in PublishAsync's queue (beyond the server's Receive
// Maximum, or while disconnected) are recorded when they enter the window;
// until then Stored is open. The caller owns s: close it after the client.
func WithStore(s store.Store) Option { return func(c *config) { c.store = s } }

// Resumed is a message that a previous process published with the same
// store and that the server had not acknowledged: Dial sends it again.
type Resumed struct {
	// Message is what was published (topic, payload, QoS, Retain,
	// properties), for the application to tell which message it was.
	Message *Message
	// Result completes when the server acknowledges the message, or fails
	// (ErrClosed at Close: the record stays for the next process).
	Result *PublishResult
}

// Resumed returns the messages Dial loaded from the store (WithStore) and
// sends again, in the order they were first published. Their completion is
// reported only here: wait on each Result.
func (c *Client) Resumed() []Resumed { return slices.Clone(c.dur.resumed) }

// durable is the client's part of a durable session.
type durable struct {
	resumed []Resumed // set by Dial

	// Subscriptions the server may still hold from a previous process, by
	// identifier, until a subscription of the same filters takes the
	// identifier over. Guarded by the client's mu.
	subs map[uint32][]packet.Subscription

	// Async publishes whose record is not durable yet, in the order they
	// were recorded, which is the order their commits complete in.
	mu      sync.Mutex
	pending []*outbound
	running bool // the watchStored goroutine is running
}

// resume loads the store given WithStore, if any, into the client before
// its first connection: the client id, the outbound messages (in flight
// again, with their packet ids), inbound QoS 2 ids and the subscription ids
// in use at the server. It runs in Dial, before anything else touches c.
func (c *Client) resume(ctx context.Context) error {
	st := c.cfg.store
	if st == nil {
		return nil
	}
	d := session.NewDurable(st)
	r, err := d.Load()
	if err != nil {
		return err
	}
	c.state = d
	if c.cfg.clientID == "" && r.ClientID != "" {
		c.clientID = r.ClientID
	}
	if !c.cfg.cleanStartSet {
		c.cfg.cleanStart = false
	}
	if !c.cfg.sessionExpirySet {
		c.sessionExpiry = max(c.sessionExpiry, c.cfg.groupExpiry)
	}
	for _, ro := range r.Outbound {
		res := &PublishResult{o: outbound{pub: *ro.Publish, seq: ro.Seq, sent: true, released: ro.Released,
			async: true, done: make(chan struct{}), stored: closedChan, storedDone: true}}
		o := &res.o
		o.pub.Dup = false
		o.id = o.pub.PacketID
		if !c.ids.Take(o.id) {
			// Two records with one packet id: only a damaged store has
			// them. Send this one as a new message.
			o.id, _ = c.ids.Get()
			o.sent, o.released = false, false
		}
		c.inflight[o.id] = o
		c.inUse++
		c.seq = max(c.seq, o.seq)
		m := &Message{Topic: o.pub.Topic, Payload: o.pub.Payload, QoS: o.pub.QoS, Retain: o.pub.Retain, Properties: o.pub.Properties}
		c.dur.resumed = append(c.dur.resumed, Resumed{Message: m, Result: res})
	}
	for _, id := range r.InboundQoS2 {
		// Held: a PUBLISH the server sends again is handled (the handler
		// may not have finished before the crash); a PUBREL completes it.
		c.inbound2[id] = &arrival{held: true}
	}
	for _, id := range r.HandledQoS2 {
		// Handled: a copy the server sends again (our PUBREC was lost
		// in the crash) is acknowledged, not handled again.
		c.inbound2[id] = &arrival{handled: true}
	}
	c.dur.subs = r.Subscriptions
	for id := range r.Subscriptions {
		c.nextSubID = max(c.nextSubID, id)
	}
	if r.ClientID != c.clientID {
		d.SetClientID(c.clientID)
		if err := st.Apply().Wait(ctx); err != nil {
			return fmt.Errorf("mqttkit: storing the client identifier in the session store: %w", err)
		}
	}
	if n := len(r.Outbound); n > 0 {
		c.log.Info("mqttkit: resuming messages from the session store", "messages", n, "client_id", c.clientID)
	}
	return nil
}

// subscriptionIDLocked returns the Subscription Identifier for a new
// subscription s. A subscription of the same filters that the server may
// still hold from a previous process on the store keeps its identifier:
// the messages the server queued for it carry that identifier, and are
// routed to s. Any other gets an identifier no stored subscription has, so
// that an old subscription's messages never reach a new handler.
func (c *Client) subscriptionIDLocked(s *Subscription) uint32 {
	for id, old := range c.dur.subs {
		if c.subs[id] == nil && slices.EqualFunc(old, s.filters, func(a, b packet.Subscription) bool { return a.Filter == b.Filter }) {
			delete(c.dur.subs, id)
			return id
		}
	}
	c.nextSubID++
	return c.nextSubID
}

// recordHandled makes "handled" durable for an inbound QoS 2 message with a
// session State and then marks entry seq of q done, which lets its PUBREC
// go: a copy the server sends after a crash is then acknowledged, not
// handled again (exactly once across a restart). Without a State, or with
// the record durable already, the entry is done at once; otherwise a
// goroutine waits for the commit, so that neither the read loop nor a
// worker waits for an fsync (concurrent records share one). A failed commit
// still lets the PUBREC go: the message was handled, and the store reports
// its error on the next publish.
func (a *arrival) recordHandled(q *session.AckQueue, seq uint64) {
	if a.state == nil {
		q.Done(seq, byte(packet.Success))
		return
	}
	cm := a.state.HandledInboundQoS2(a.id)
	if cm == nil || isDone(cm) {
		q.Done(seq, byte(packet.Success))
		return
	}
	go func() {
		<-cm.Done()
		q.Done(seq, byte(packet.Success))
	}()
}

// storedLocked completes o's Stored with err, once.
func (o *outbound) storedLocked(err error) {
	if o.stored == nil || o.storedDone {
		return
	}
	o.storedDone, o.storedErr = true, err
	close(o.stored)
}

// recordedLocked takes the Commit of o's record: a PublishAsync result
// learns when it completes.
func (c *Client) recordedLocked(o *outbound, cm session.Commit) {
	o.commit = cm
	if o.stored == nil {
		return // Publish waits for the commit itself
	}
	select {
	case <-cm.Done():
		o.storedLocked(cm.Err())
		return
	default:
	}
	c.dur.mu.Lock()
	c.dur.pending = append(c.dur.pending, o)
	start := !c.dur.running
	c.dur.running = true
	c.dur.mu.Unlock()
	if start {
		go c.watchStored()
	}
}

// watchStored completes the Stored of async publishes as their commits
// complete, and returns when none is left. Commits complete in order, so it
// waits for the oldest and then takes every completed one with it.
func (c *Client) watchStored() {
	for {
		c.dur.mu.Lock()
		batch := c.dur.pending
		c.dur.pending = nil
		if len(batch) == 0 {
			c.dur.running = false
			c.dur.mu.Unlock()
			return
		}
		c.dur.mu.Unlock()
		for i := 0; i < len(batch); {
			<-batch[i].commit.Done()
			c.mu.Lock()
			for ; i < len(batch) && isDone(batch[i].commit); i++ {
				batch[i].storedLocked(batch[i].commit.Err())
				batch[i] = nil
			}
			c.mu.Unlock()
		}
	}
}

func isDone(cm session.Commit) bool {
	select {
	case <-cm.Done():
		return true
	default:
		return false
	}
}

// storedOnFinishLocked completes Stored when the publish completes: an
// acknowledged message is safe whatever its record; a failed one is stored
// only if its record became durable before.
func (o *outbound) storedOnFinishLocked(err error) {
	if err != nil && o.commit != nil && isDone(o.commit) && o.commit.Err() == nil {
		err = nil
	}
	o.storedLocked(err)
}

// waitRecord waits, after the acknowledgement of a Publish, until its record
// is durable too, or ctx ends: the acknowledged message is safe either way,
// so neither changes the result.
func (o *outbound) waitRecord(ctx context.Context) {
	if o.commit == nil || o.err != nil {
		return
	}
	select {
	case <-o.commit.Done():
	case <-ctx.Done():
	}
}

// Stored is closed once the message cannot be lost by a crash of this
// process: its record is durable in the WithStore store, or the server
// acknowledged it; or once the publish failed before either (StoredErr
// says which). Without a store, and for QoS 0, it closes with Done.
func (r *PublishResult) Stored() <-chan struct{} { return r.o.stored }

// StoredErr returns, once Stored is closed, nil when the message is safe
// from a crash of this process, and otherwise why not: the store's error
// (the message may still be acknowledged; see Err) or the publish's.
func (r *PublishResult) StoredErr() error {
	select {
	case <-r.o.stored:
		return r.o.storedErr
	default:
		return errors.New("mqttkit: publish not stored yet; wait for Stored or call WaitStored")
	}
}

// WaitStored waits until Stored is closed and returns StoredErr, or until
// ctx ends.
func (r *PublishResult) WaitStored(ctx context.Context) error {
	select {
	case <-r.o.stored:
		return r.o.storedErr
	case <-ctx.Done():
		return ctx.Err()
	}
}
