package mqttkit

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/mqttkit/mqttkit/internal/session"
	"github.com/mqttkit/mqttkit/packet"
)

// arrival is one inbound QoS 1 or 2 PUBLISH on its way through the handlers
// of every subscription it matched. Its acknowledgement is queued when the
// last of them settles it; an inbound QoS 2 arrival lives on, keyed by packet
// id, until PUBREL, so that a redelivered copy is acknowledged, not handled
// again.
type arrival struct {
	pending atomic.Int32 // subscriptions still handling it

	mu      sync.Mutex
	q       *session.AckQueue // the queue of the connection to acknowledge on
	seq     uint64
	handled bool // settled: the acknowledgement may go
	held    bool // a handler failed under RedeliverOnError: never acknowledge

	state session.State // QoS 2 with a session State: record "handled" first (durable.go)
	id    uint16
	sum   uint64 // inbound QoS 2: contentSum of the message, 0 when unknown (restored from a store)
}

// contentSum is FNV-1a over a message's topic and payload: what tells a
// copy of an inbound QoS 2 message from another message under its packet id.
func contentSum(p *packet.Publish) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(p.Topic); i++ {
		h = (h ^ uint64(p.Topic[i])) * 1099511628211
	}
	h = (h ^ 0xff) * 1099511628211 // topic "ab" + payload "c" is not topic "a" + payload "bc"
	for _, b := range p.Payload {
		h = (h ^ uint64(b)) * 1099511628211
	}
	return max(h, 1)
}

// bind points the acknowledgement at the entry seq of q, the newest
// connection the message arrived on. It reports whether the message was
// handled already; the acknowledgement is then queued at once.
func (a *arrival) bind(q *session.AckQueue, seq uint64) bool {
	a.mu.Lock()
	a.q, a.seq = q, seq
	handled := a.handled
	a.mu.Unlock()
	if handled {
		q.Done(seq, byte(packet.Success))
	}
	return handled
}

// settle records that one subscription is done with the message; hold keeps
// it unacknowledged for redelivery.
func (a *arrival) settle(hold bool) {
	if hold {
		a.mu.Lock()
		a.held = true
		a.mu.Unlock()
	}
	if a.pending.Add(-1) != 0 {
		return
	}
	a.mu.Lock()
	if a.held {
		a.mu.Unlock()
		return
	}
	a.handled = true
	q, seq := a.q, a.seq
	a.mu.Unlock()
	a.recordHandled(q, seq)
}

// onPublish routes an inbound PUBLISH to the handlers of the subscriptions
// it matches and queues its acknowledgement.
func (cn *conn) onPublish(p *packet.Publish) error {
	c := cn.c
	c.stats.received.Add(1)
	if a := p.Properties.TopicAlias; a != 0 {
		if a > c.cfg.topicAliasMax {
			return cn.protocolError(packet.TopicAliasInvalid, "topic alias %d is above the client's Topic Alias Maximum of %d", a, c.cfg.topicAliasMax)
		}
		if p.Topic == "" {
			t, ok := cn.aliases[a]
			if !ok {
				return cn.protocolError(packet.ProtocolError, "topic alias %d was never set on this connection", a)
			}
			p.Topic = t
		} else {
			cn.aliases[a] = p.Topic
		}
	} else if p.Topic == "" {
		return cn.protocolError(packet.ProtocolError, "PUBLISH without topic name or topic alias")
	}
	c.mu.Lock()
	stopping := c.draining || c.closed // Close waits for the server to close (conn.serve)
	c.mu.Unlock()
	if stopping {
		return nil // not handled, not acknowledged: the server keeps it
	}
	var a *arrival
	if p.QoS > 0 {
		acks := cn.ackQueue()
		seq, ok := acks.Push(p.PacketID, byte(p.QoS))
		if !ok {
			var err error
			if seq, err = cn.waitRoom(p); err != nil {
				return err
			}
		}
		cn.received.Add(1)
		if p.QoS == QoS2 {
			sum := contentSum(p)
			c.mu.Lock()
			old := c.inbound2[p.PacketID]
			if old != nil && old.sum != 0 && old.sum != sum {
				// The server reused the packet id of an exchange it never
				// completed (it sent no PUBREL): it lost that state, since
				// MQTT-2.2.1-4 forbids reuse before. Dropping this as a
				// copy would lose it; it is a new message.
				level := slog.LevelDebug
				if !cn.warnedReuse {
					cn.warnedReuse, level = true, slog.LevelWarn // once per connection
				}
				c.log.Log(context.Background(), level, "mqttkit: server sent another message under the packet id of a QoS 2 message it never released; delivering it as new", "packet_id", p.PacketID, "topic", p.Topic)
				old = nil
			}
			if old == nil || old.held {
				a = &arrival{state: c.state, id: p.PacketID, sum: sum}
				c.inbound2[p.PacketID] = a
				if c.state != nil {
					c.state.AddInboundQoS2(p.PacketID)
				}
			}
			c.mu.Unlock()
			if a == nil {
				old.bind(acks, seq) // a copy of a message handled or being handled
				return nil
			}
		} else {
			a = &arrival{}
		}
		a.q, a.seq = acks, seq
	}
	// The reader's own slice: route allocates nothing per message.
	cn.routed = c.route(p, cn.routed[:0])
	subs := cn.routed
	if len(subs) == 0 {
		c.stats.unrouted.Add(1)
		c.log.Debug("mqttkit: message matched no subscription; acknowledged", "topic", p.Topic)
		if a != nil {
			a.pending.Store(1)
			a.settle(false)
		}
		return nil
	}
	if a != nil {
		a.pending.Store(int32(len(subs)))
	}
	for _, s := range subs {
		m := &Message{
			Topic:      p.Topic,
			Payload:    p.Payload,
			QoS:        p.QoS,
			Retain:     p.Retain,
			Dup:        p.Dup,
			PacketID:   p.PacketID,
			Properties: p.Properties,
			arr:        a,
			sub:        s,
		}
		m.Properties.TopicAlias = 0
		switch ids := p.Properties.SubscriptionIdentifiers; len(ids) {
		case 0:
		case 1:
			m.subID[0] = ids[0]
			m.Properties.SubscriptionIdentifiers = m.subID[:]
		default:
			m.Properties.SubscriptionIdentifiers = slices.Clone(ids)
		}
		switch s.deliver(cn, m) {
		case unsubscribed:
			if a != nil {
				a.settle(false) // nobody wants it any more
			}
		case connectionLost:
			if a != nil {
				a.settle(true) // not handled: a redelivered copy must be
			}
		}
	}
	return nil
}

// route appends to out the subscriptions an inbound message is for: those
// whose identifiers it carries, each once, or, when it carries none, those
// whose filters match its topic.
func (c *Client) route(p *packet.Publish, out []*Subscription) []*Subscription {
	c.subMu.RLock()
	defer c.subMu.RUnlock()
	for _, id := range p.Properties.SubscriptionIdentifiers {
		if s := c.subs[id]; s != nil && !containsSub(out, s) {
			out = append(out, s)
		}
	}
	if len(p.Properties.SubscriptionIdentifiers) > 0 {
		return out
	}
	for _, s := range c.subs {
		if s.matches(p.Topic) {
			out = append(out, s)
		}
	}
	return out
}

func containsSub(list []*Subscription, s *Subscription) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
