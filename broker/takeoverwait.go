package broker

import (
	"sync"
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
// old connection here as well was tried (before establishLocks) and is
// left to mochi: a run under load then lost 1606 of 2000 messages of a
// publisher without a session, against at most 784 without it.
//
// mochi also registers a connection only after it copied the session, so a
// second connection of the client arriving meanwhile found a registered
// connection already taken over and copied what was left of it. That is
// what establishLocks prevents; should a connection give up waiting for
// that lock, the takeover still waits, within maxTakeoverWait, until the
// registered connection is one that is not taken over.

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
	if c := connOf(cl); c != nil {
		c.takesFrom = oc // told what it copies once it has (recordCopy)
	}
	oc.takenOver.Store(true) // mochi closes it next, in inheritClientSession
	oc.wakeWriters()         // nobody waits for a client that is gone (see awaitRoom)
	if sub := oc.pacedBy.Load(); sub != nil {
		sub.wakeWriters() // its PUBLISH stops waiting for a slow subscriber (see pace)
	}
	for oc.publishing.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if oc.publishing.Load() {
		h.srv.log.Warn("broker: taking a session over from a connection still processing a PUBLISH after 2 s; if it is QoS 2, the client's resend may be routed a second time",
			"client", cl.ID)
	}
}

// establishLocks lets one connection per client id at a time take the
// session over: from OnSessionEstablish until mochi has registered it and
// encodes its CONNACK (or the connection ends first). mochi v2.7.9's
// takeover (find the registered connection, copy its session, register the
// new one) is not atomic, so two connections of one client arriving
// together both copied the same old session, and whichever registered
// first lost what it had copied, and what was routed to it meanwhile.
// The lock is not held while the session's messages are resent after
// CONNACK, which can take a second: holding it that long was tried and
// made a client that reconnects every 200 ms lose more.
type establishLocks struct {
	mu      sync.Mutex
	holders map[string]*establishing // client id -> connection taking its session over
}

type establishing struct {
	conn *serverConn
	done chan struct{} // closed on release
}

// maxEstablishWait bounds how long a connection waits for the others of its
// client that are taking the session over before it. Under load each takes
// up to half a second, and a client reconnecting every 200 ms queues
// several: a bound of 2 s was reached in 1 of 12 such runs, which then lost
// messages. It guards against a connection that never gets to its CONNACK.
const maxEstablishWait = 10 * time.Second

// acquire waits, at most maxEstablishWait, until no other connection is
// taking client id's session over, and makes c the one that is. It reports
// false when it gave up waiting; c then goes on without the lock.
func (l *establishLocks) acquire(id string, c *serverConn) bool {
	timeout := time.NewTimer(maxEstablishWait)
	defer timeout.Stop()
	for {
		l.mu.Lock()
		h := l.holders[id]
		if h != nil && h.conn == c {
			l.mu.Unlock()
			return true
		}
		if h == nil {
			if l.holders == nil {
				l.holders = map[string]*establishing{}
			}
			l.holders[id] = &establishing{conn: c, done: make(chan struct{})}
			c.establishing = id
			l.mu.Unlock()
			return true
		}
		l.mu.Unlock()
		select {
		case <-h.done:
		case <-timeout.C:
			return false
		}
	}
}

// release ends c's hold on its client id's takeover, if it has one.
func (l *establishLocks) release(c *serverConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.holders[c.establishing]; h != nil && h.conn == c {
		delete(l.holders, c.establishing)
		close(h.done)
	}
}

// OnDisconnect makes a connection whose session ends with it (Session
// Expiry 0) hold its client id's establishLock while mochi ends the
// session, until the connection's goroutine returns (serveConn releases
// it). mochi v2.7.9 checks that the connection was not taken over and then
// removes its subscriptions by client id and unregisters the client id: a
// connection of the same client taking over in between resumed the session
// (its CONNACK said so, and the client did not subscribe again) and then
// lost its subscriptions or its registration, and with them every message.
// Waiting here, the next connection finds the session ended and starts a
// new one; if it took the session over first, mochi now sees that and
// leaves it alone.
func (h *hook) OnDisconnect(cl *mqtt.Client, _ error, expire bool) {
	if !expire || cl.IsTakenOver() {
		return
	}
	if c := connOf(cl); c != nil && !h.establish.acquire(cl.ID, c) {
		h.srv.log.Warn("broker: other connections of this client took over 10 s to take its session over; ending the session without waiting for them",
			"client", cl.ID)
	}
}
