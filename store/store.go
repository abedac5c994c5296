package store

import (
	"errors"
	"strconv"
)

// Kind separates the kinds of session state so that each can number its
// records independently and Load can return them grouped.
type Kind uint8

// The kinds of session state a client keeps. The numbers are part of the file
// format: never renumber them.
const (
	// Meta holds single values of the session; the ID names which one
	// (MetaClientID, ...).
	Meta Kind = 1
	// Outbound holds an outbound QoS 1 or 2 message, in flight or queued,
	// keyed by a queue sequence number; the value is the encoded PUBLISH. A
	// PUBREL marker (kind Released) follows once a QoS 2 message has been
	// PUBRECed.
	Outbound Kind = 2
	// InboundQoS2 holds the packet id of an inbound QoS 2 message that
	// was received and whose PUBREL has not arrived.
	InboundQoS2 Kind = 3
	// Subscription holds one subscription, keyed by its subscription
	// identifier; the value is opaque to the store.
	Subscription Kind = 4
	// Released is the PUBREL marker of the Outbound message with the same
	// ID: the server answered its QoS 2 PUBLISH with PUBREC, so after a
	// restart only the PUBREL is sent again. A marker of its own keeps the
	// message's record (and its payload) unchanged.
	Released Kind = 5
)

// String names the kind, for errors and logs.
func (k Kind) String() string {
	switch k {
	case Meta:
		return "meta"
	case Outbound:
		return "outbound"
	case InboundQoS2:
		return "inbound-qos2"
	case Subscription:
		return "subscription"
	case Released:
		return "released"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// MetaClientID is the Meta ID under which the server-assigned client
// identifier is kept, so that a restarted client resumes the same session.
const MetaClientID uint64 = 1

// Key names one record. Records are ordered by Kind, then by ID.
type Key struct {
	Kind Kind
	ID   uint64
}

// Less reports whether k sorts before o: by Kind, then by ID.
func (k Key) Less(o Key) bool {
	if k.Kind != o.Kind {
		return k.Kind < o.Kind
	}
	return k.ID < o.ID
}

// Op is one change to a store: store Value under Key, or remove Key when
// Delete is set.
type Op struct {
	Key    Key
	Value  []byte
	Delete bool
}

// MaxValueSize is the largest value a store accepts. It is above MQTT's largest
// packet (256 MiB), so every encoded PUBLISH fits.
const MaxValueSize = 1<<28 + 1<<20

// ErrClosed is returned for changes and Loads after Close.
var ErrClosed = errors.New("store: the session store is closed; open it again to make changes")

// ErrLocked is returned (wrapped) by Open when another store holds the
// session directory: two clients writing one session would corrupt it.
var ErrLocked = errors.New("store: session directory is locked")

// Store keeps a client's session state.
//
// Contract, for every implementation:
//   - Order: changes take effect in the order their Put, Delete and Apply
//     calls returned; a later change to a key replaces an earlier one.
//     Their Commits complete in that order.
//   - Atomicity: the ops of one Apply call are kept all together or not at
//     all.
//   - Durability: when a Commit completes without error, its change and every
//     change made before it survive a crash of the process or of the machine
//     (for the file store: they were written and fsynced). After a crash,
//     Load returns the state as of some prefix of the calls that includes
//     every completed Commit.
//   - Concurrency: every method is safe to call from many goroutines.
//   - Ownership: Put and Apply copy the values before they return; the
//     caller may reuse its buffers at once.
//   - Cost: Put and Delete allocate nothing per call in the file store (the
//     Commit is shared by a whole group commit); a caller on a hot path uses
//     them rather than Apply, whose variadic slice escapes through the
//     interface.
type Store interface {
	// Put stores value under key and returns at once; the Commit completes
	// when the change is durable (Put(k, v).Wait(ctx) waits for that).
	Put(key Key, value []byte) *Commit
	// Delete removes key and returns at once, like Put. Deleting a key
	// that is absent is not an error.
	Delete(key Key) *Commit
	// Apply applies ops atomically and returns at once, like Put. Apply
	// with no ops is a barrier: its Commit completes when every change
	// applied before it is durable.
	Apply(ops ...Op) *Commit
	// Load calls fn for every live record in key order: it is used once
	// at start-up to resume a session. fn owns value and may keep it; fn may
	// call the store's other methods. An error from fn stops Load and is
	// returned.
	Load(fn func(key Key, value []byte) error) error
	// Close waits until every change applied before it is durable, then
	// releases the store. Changes and Loads after Close fail with
	// ErrClosed.
	Close() error
}
