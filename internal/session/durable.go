package session

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/mqttkit/mqttkit/packet"
	"github.com/mqttkit/mqttkit/store"
)

// Durable is a State that writes every change into a store.Store, so that a
// process started again on the same store resumes the session: Load returns
// what the previous process left. Records (kinds of package store):
//
//	Meta/MetaClientID   the client identifier
//	Outbound/seq        the encoded PUBLISH, with its packet identifier
//	Released/seq        the PUBREL marker: PUBREC received for Outbound/seq
//	InboundQoS2/id      an inbound QoS 2 message between PUBLISH and PUBREL;
//	                    the value is 1 once it was handled
//	Subscription/id     an encoded SUBSCRIBE with the subscription's filters
//
// Only the changes that return a Commit are waited for (by the engine,
// outside its lock); the others are ordered after them and become durable with the next group
// commit. A lost one costs at most a duplicate (see docs/STORE.md).
type Durable struct {
	st store.Store

	mu       sync.Mutex
	buf      []byte          // encoding scratch
	clientID string          // last recorded, to skip rewriting it on every reconnect
	released map[uint64]bool // outbound messages with a Released marker
	// Subscriptions a previous process recorded, by id, until a new
	// subscription of one of their filters replaces them at the server.
	stale map[uint32][]packet.Subscription
}

// NewDurable returns a State that records into st.
func NewDurable(st store.Store) *Durable {
	return &Durable{st: st, released: map[uint64]bool{}, stale: map[uint32][]packet.Subscription{}}
}

// Resume is the session a store holds: what Load found.
type Resume struct {
	ClientID string
	// Outbound messages whose exchange had not completed, in the order
	// they were published.
	Outbound []ResumedOutbound
	// InboundQoS2 holds the packet ids of inbound QoS 2 messages whose
	// PUBREL had not arrived and that were not recorded as handled: a copy
	// must be handled.
	InboundQoS2 []uint16
	// HandledQoS2 holds those recorded as handled: a copy is only
	// acknowledged.
	HandledQoS2 []uint16
	// Subscriptions the server may still hold in the session, by
	// subscription identifier.
	Subscriptions map[uint32][]packet.Subscription
}

// ResumedOutbound is one outbound message of a Resume.
type ResumedOutbound struct {
	Seq     uint64
	Publish *packet.Publish // with the packet identifier it was sent with
	// Released means the server acknowledged the PUBLISH with PUBREC: only
	// the PUBREL is sent again.
	Released bool
}

// Load reads the session the store holds. Call it once, before the engine
// records anything. A record that does not decode is an error that names it:
// the store belongs to something else, or is damaged.
func (d *Durable) Load() (*Resume, error) {
	r := &Resume{Subscriptions: map[uint32][]packet.Subscription{}}
	bySeq := map[uint64]int{}
	var orphans []uint64
	err := d.st.Load(func(k store.Key, v []byte) error {
		switch k.Kind {
		case store.Meta:
			if k.ID == store.MetaClientID {
				r.ClientID = string(v)
			}
		case store.Outbound:
			p, err := decode(v, packet.PUBLISH)
			if err != nil {
				return fmt.Errorf("record %s/%d: %w", k.Kind, k.ID, err)
			}
			bySeq[k.ID] = len(r.Outbound)
			r.Outbound = append(r.Outbound, ResumedOutbound{Seq: k.ID, Publish: p.(*packet.Publish)})
		case store.Released:
			i, ok := bySeq[k.ID]
			if !ok {
				// The message's own record was deleted first and a crash
				// came before this one's delete: it is complete.
				orphans = append(orphans, k.ID)
				return nil
			}
			r.Outbound[i].Released = true
		case store.InboundQoS2:
			if k.ID == 0 || k.ID > 65535 {
				return fmt.Errorf("record %s/%d: not a packet identifier", k.Kind, k.ID)
			}
			if len(v) > 0 && v[0] == inboundHandled {
				r.HandledQoS2 = append(r.HandledQoS2, uint16(k.ID))
			} else {
				r.InboundQoS2 = append(r.InboundQoS2, uint16(k.ID))
			}
		case store.Subscription:
			p, err := decode(v, packet.SUBSCRIBE)
			if err != nil {
				return fmt.Errorf("record %s/%d: %w", k.Kind, k.ID, err)
			}
			if k.ID == 0 || k.ID > 1<<28-1 {
				return fmt.Errorf("record %s/%d: not a subscription identifier", k.Kind, k.ID)
			}
			r.Subscriptions[uint32(k.ID)] = p.(*packet.Subscribe).Subscriptions
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mqttkit: loading the session store: %w; move the session directory aside to start a new session", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clientID = r.ClientID
	for _, o := range r.Outbound {
		if o.Released {
			d.released[o.Seq] = true
		}
	}
	for id, subs := range r.Subscriptions {
		d.stale[id] = subs
	}
	for _, seq := range orphans {
		d.st.Delete(store.Key{Kind: store.Released, ID: seq})
	}
	return r, nil
}

// decode parses one recorded packet of type want.
func decode(v []byte, want packet.Type) (packet.Packet, error) {
	p, err := packet.ReadPacket(bufio.NewReader(bytes.NewReader(v)), packet.V5, 0)
	if err != nil {
		return nil, fmt.Errorf("not a valid %s packet: %w", want, err)
	}
	if p.Type() != want {
		return nil, fmt.Errorf("a %s packet where a %s was recorded", p.Type(), want)
	}
	return p, nil
}

// SetClientID implements State.
func (d *Durable) SetClientID(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if id == d.clientID {
		return
	}
	d.clientID = id
	d.st.Put(store.Key{Kind: store.Meta, ID: store.MetaClientID}, []byte(id))
}

// AddOutbound implements State: the encoded PUBLISH under its sequence.
func (d *Durable) AddOutbound(seq uint64, p *packet.Publish) Commit {
	d.mu.Lock()
	defer d.mu.Unlock()
	var err error
	if d.buf, err = p.Append(d.buf[:0], packet.V5); err != nil {
		return failed{fmt.Errorf("encoding the message: %w", err)}
	}
	c := d.st.Put(store.Key{Kind: store.Outbound, ID: seq}, d.buf)
	if cap(d.buf) > 1<<20 {
		d.buf = nil // do not keep a huge buffer for one large message
	}
	return c
}

// ReleaseOutbound implements State: the PUBREL marker.
func (d *Durable) ReleaseOutbound(seq uint64, released bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := store.Key{Kind: store.Released, ID: seq}
	if !released {
		if d.released[seq] {
			delete(d.released, seq)
			d.st.Delete(k)
		}
		return
	}
	d.released[seq] = true
	d.st.Put(k, nil)
}

// RemoveOutbound implements State. The message's record goes before its
// marker: a crash between the two leaves a marker that Load ignores, never a
// PUBLISH that would be sent again as new.
func (d *Durable) RemoveOutbound(seq uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.Delete(store.Key{Kind: store.Outbound, ID: seq})
	if d.released[seq] {
		delete(d.released, seq)
		d.st.Delete(store.Key{Kind: store.Released, ID: seq})
	}
}

// AddInboundQoS2 implements State.
func (d *Durable) AddInboundQoS2(id uint16) {
	d.st.Put(store.Key{Kind: store.InboundQoS2, ID: uint64(id)}, nil)
}

// inboundHandled is the value of an InboundQoS2 record once the message was
// handled.
const inboundHandled = 1

// HandledInboundQoS2 implements State: the record's value becomes 1.
func (d *Durable) HandledInboundQoS2(id uint16) Commit {
	return d.st.Put(store.Key{Kind: store.InboundQoS2, ID: uint64(id)}, []byte{inboundHandled})
}

// RemoveInboundQoS2 implements State.
func (d *Durable) RemoveInboundQoS2(id uint16) {
	d.st.Delete(store.Key{Kind: store.InboundQoS2, ID: uint64(id)})
}

// AddSubscription implements State: the filters, encoded as a SUBSCRIBE
// that carries the identifier. A subscription a previous process recorded
// for one of the same filters is gone from the server now (a SUBSCRIBE
// replaces the subscription of its filter), so its record goes too.
func (d *Durable) AddSubscription(id uint32, subs []packet.Subscription) {
	p := &packet.Subscribe{PacketID: 1, Subscriptions: subs}
	p.Properties.SubscriptionIdentifiers = []uint32{id}
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := p.Append(nil, packet.V5)
	if err != nil {
		return // the server granted it, so it encodes; nothing to resume otherwise
	}
	d.st.Put(store.Key{Kind: store.Subscription, ID: uint64(id)}, b)
	delete(d.stale, id)
	for old, filters := range d.stale {
		if slices.ContainsFunc(filters, func(f packet.Subscription) bool {
			return slices.ContainsFunc(subs, func(s packet.Subscription) bool { return s.Filter == f.Filter })
		}) {
			delete(d.stale, old)
			d.st.Delete(store.Key{Kind: store.Subscription, ID: uint64(old)})
		}
	}
}

// RemoveSubscription implements State.
func (d *Durable) RemoveSubscription(id uint32) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.stale, id)
	d.st.Delete(store.Key{Kind: store.Subscription, ID: uint64(id)})
}

// failed is a Commit that failed before anything was recorded.
type failed struct{ err error }

var closedDone = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Done is closed: the commit is over.
func (f failed) Done() <-chan struct{} { return closedDone }

// Err says why nothing was recorded.
func (f failed) Err() error { return f.err }
