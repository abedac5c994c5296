package broker

import (
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// When a client resumes its session on a new connection, mochi v2.7.9
// closes the old connection and copies its session while the old
// connection's goroutine may still be processing a PUBLISH it read before,
// or read one more. A QoS 2 PUBLISH whose PUBREC that goroutine stores after
// the copy is unknown to the new session: the client, which never got the
// PUBREC, sends the PUBLISH again with DUP, and mochi routed the message a
// second time (1 or 2 duplicates in 2000 QoS 2 messages with connections
// dropped every 200 ms). So the takeover marks the old connection taken
// over, after which it refuses QoS 1 and 2 PUBLISH packets unacknowledged
// (the client sends them again on the new connection), and waits, at most
// maxTakeoverWait, for the PUBLISH it was processing: the copy then holds
// that PUBREC, and the DUP is acknowledged, not routed again. Closing the
// old connection here as well was tried and is left to mochi: a run under
// load then lost 1606 of 2000 messages of a publisher without a session,
// against at most 784 without it (docs/BROKER.md, "Known gaps").
//
// mochi also registers a connection only after it copied the session, so a
// second connection of the client arriving meanwhile found a registered
// connection already taken over and copied what was left of it. The
// takeover first waits, within the same bound, until the registered
// connection is one that is not taken over.

// maxTakeoverWait bounds how long a takeover waits for the old connection.
const maxTakeoverWait = 2 * time.Second

// awaitTakenOver marks the connection that cl's session is taken from, if
// there is one, and waits until the PUBLISH it was processing is done.
func (h *hook) awaitTakenOver(cl *mqtt.Client) {
	deadline := time.Now().Add(maxTakeoverWait)
	old, ok := h.srv.mochi.Clients.Get(cl.ID)
	// A registered connection already taken over means another connection
	// is taking the session over and registers itself next: wait for it,
	// so that this one takes the session from it, not what is left of the
	// old one.
	for ok && old != cl && old.IsTakenOver() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
		old, ok = h.srv.mochi.Clients.Get(cl.ID)
	}
	if !ok || old == cl {
		return
	}
	oc := connOf(old)
	if oc == nil {
		return
	}
	oc.takenOver.Store(true) // mochi closes it next, in inheritClientSession
	for oc.publishing.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}
