package session

import (
	"slices"
	"sync"

	"github.com/mqttkit/mqttkit/packet"
)

// State is told every change of the session state that a restarted process
// needs to resume its session (MQTT v5 §4.1): the client identifier,
// outbound QoS 1 and 2 messages from admission until their exchange
// completes, inbound QoS 2 packet ids between PUBREC and PUBREL, and the
// subscriptions. The engine keeps the live state in its own structures and
// calls State under its lock, in the order the changes happen; a durable
// implementation (package store) writes them down. A nil State records
// nothing, which is the default: the session then lives as long as the
// process.
type State interface {
	// SetClientID records the identifier in use, given or server-assigned.
	SetClientID(id string)
	// AddOutbound records message seq, with its packet id in p, before it
	// is first sent. p must be copied: the engine reuses it. The Commit
	// completes when the record is durable; nil means there is nothing to
	// wait for. A Commit that failed at once (a closed store) refuses the
	// message.
	AddOutbound(seq uint64, p *packet.Publish) Commit
	// ReleaseOutbound records that QoS 2 message seq was received by the
	// server (PUBREC): after a restart only its PUBREL is sent again. With
	// released false it takes that back: the server lost its session, and
	// the message is published again from the start.
	ReleaseOutbound(seq uint64, released bool)
	// RemoveOutbound records that message seq is complete or withdrawn.
	RemoveOutbound(seq uint64)
	// AddInboundQoS2 records that inbound QoS 2 message id was received and
	// must not be handled again.
	AddInboundQoS2(id uint16)
	// HandledInboundQoS2 records that inbound QoS 2 message id was
	// handled: after a restart, a copy the server sends again is
	// acknowledged, not handled again. The PUBREC leaves once the Commit
	// completes (nil: at once). Unlike the other methods it is called
	// outside the engine's lock, by the goroutine that settled the
	// message; the protocol orders it between AddInboundQoS2 and
	// RemoveInboundQoS2 of the same id.
	HandledInboundQoS2(id uint16) Commit
	// RemoveInboundQoS2 records the PUBREL of inbound message id.
	RemoveInboundQoS2(id uint16)
	// AddSubscription records subscription id and its filters once the
	// server granted it.
	AddSubscription(id uint32, subs []packet.Subscription)
	// RemoveSubscription records that subscription id ended.
	RemoveSubscription(id uint32)
}

// Commit is the durability of a recorded change: Done is closed when the
// change is durable or failed, and Err then tells which. *store.Commit
// implements it.
type Commit interface {
	Done() <-chan struct{}
	Err() error
}

// Outbound is an outbound message as Memory holds it.
type Outbound struct {
	Publish  packet.Publish
	Released bool
}

// Memory is a State that keeps a copy of everything in memory: the
// reference for durable implementations, and what tests inspect to check
// that the engine reports every change.
type Memory struct {
	mu       sync.Mutex
	clientID string
	out      map[uint64]*Outbound
	in2      map[uint16]bool // true once handled
	subs     map[uint32][]packet.Subscription
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory {
	return &Memory{out: map[uint64]*Outbound{}, in2: map[uint16]bool{}, subs: map[uint32][]packet.Subscription{}}
}

// SetClientID implements State.
func (m *Memory) SetClientID(id string) {
	m.mu.Lock()
	m.clientID = id
	m.mu.Unlock()
}

// AddOutbound implements State.
func (m *Memory) AddOutbound(seq uint64, p *packet.Publish) Commit {
	cp := *p
	cp.Payload = slices.Clone(p.Payload)
	cp.Properties.UserProperties = slices.Clone(p.Properties.UserProperties)
	cp.Properties.CorrelationData = slices.Clone(p.Properties.CorrelationData)
	m.mu.Lock()
	m.out[seq] = &Outbound{Publish: cp}
	m.mu.Unlock()
	return nil
}

// ReleaseOutbound implements State.
func (m *Memory) ReleaseOutbound(seq uint64, released bool) {
	m.mu.Lock()
	if o := m.out[seq]; o != nil {
		o.Released = released
	}
	m.mu.Unlock()
}

// RemoveOutbound implements State.
func (m *Memory) RemoveOutbound(seq uint64) {
	m.mu.Lock()
	delete(m.out, seq)
	m.mu.Unlock()
}

// AddInboundQoS2 implements State.
func (m *Memory) AddInboundQoS2(id uint16) {
	m.mu.Lock()
	m.in2[id] = false
	m.mu.Unlock()
}

// HandledInboundQoS2 implements State.
func (m *Memory) HandledInboundQoS2(id uint16) Commit {
	m.mu.Lock()
	if _, ok := m.in2[id]; ok {
		m.in2[id] = true
	}
	m.mu.Unlock()
	return nil
}

// RemoveInboundQoS2 implements State.
func (m *Memory) RemoveInboundQoS2(id uint16) {
	m.mu.Lock()
	delete(m.in2, id)
	m.mu.Unlock()
}

// AddSubscription implements State.
func (m *Memory) AddSubscription(id uint32, subs []packet.Subscription) {
	m.mu.Lock()
	m.subs[id] = slices.Clone(subs)
	m.mu.Unlock()
}

// RemoveSubscription implements State.
func (m *Memory) RemoveSubscription(id uint32) {
	m.mu.Lock()
	delete(m.subs, id)
	m.mu.Unlock()
}

// Snapshot returns the recorded client id and the numbers of outbound
// messages, inbound QoS 2 ids and subscriptions.
func (m *Memory) Snapshot() (clientID string, outbound, inboundQoS2, subscriptions int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.clientID, len(m.out), len(m.in2), len(m.subs)
}
