package broker

import (
	"slices"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// When a client resumes its session, mochi v2.7.9 resends the session's
// messages sorted by their creation time in whole seconds and, within a
// second, in Go map order: a subscriber got the messages queued while it
// was away shuffled, where MQTT-4.6.0-1 asks for the original order. The
// connection wrapper collects the PUBLISH and PUBREL packets written while
// the session is being established and writes them in order of creation
// and packet id (mochi numbers a session's messages in sequence) once it
// is.

// OnSessionEstablish lets the connection take the session over once no
// other connection of the client is doing so (see establishLocks), waits
// for the connection whose session it takes (see awaitTakenOver) and starts
// collecting the session's resends.
func (h *hook) OnSessionEstablish(cl *mqtt.Client, _ packets.Packet) {
	c := connOf(cl)
	if c != nil && !h.establish.acquire(cl.ID, c) {
		h.srv.log.Warn("broker: other connections of this client took over 10 s to take its session over; going on without waiting for them",
			"client", cl.ID)
	}
	h.awaitTakenOver(cl)
	if c != nil {
		c.wmu.Lock()
		c.resending = true
		c.wmu.Unlock()
	}
}

// collectResent takes the PUBLISH and PUBREL packets out of p, keeping
// them for resumeOrder, and returns the rest. c.wmu must be held.
func (c *serverConn) collectResent(p []byte) []byte {
	var rest []byte
	for b := p; len(b) > 0; {
		n, _, kind := outgoing(b)
		if n == 0 {
			return append(rest, b...)
		}
		if kind == outPublish || kind == outPubrel {
			c.resent = append(c.resent, slices.Clone(b[:n]))
		} else {
			rest = append(rest, b[:n]...)
		}
		b = b[n:]
	}
	return rest
}

// resumeOrder writes the collected packets in their original order and
// ends the collection.
func (c *serverConn) resumeOrder(cl *mqtt.Client) {
	c.wmu.Lock()
	batch := c.resent
	c.resent = nil
	c.wmu.Unlock()
	// Sorted outside the write lock: the creation times come from mochi's
	// in-flight map, whose lock mochi may hold while it writes.
	type entry struct {
		pk      []byte
		created int64
		id      uint16
	}
	entries := make([]entry, len(batch))
	for i, pk := range batch {
		_, id, _ := outgoing(pk)
		created := int64(0)
		if m, ok := cl.State.Inflight.Get(id); ok {
			created = m.Created
		}
		entries[i] = entry{pk, created, id}
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		if a.created != b.created {
			return int(a.created - b.created)
		}
		return int(a.id) - int(b.id)
	})
	var all []byte
	resent := map[uint16]struct{}{}
	for _, e := range entries {
		all = append(all, e.pk...)
		noteResent(resent, e.pk)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for _, pk := range c.resent { // written while sorting: after everything above
		all = append(all, pk...)
		noteResent(resent, pk)
	}
	if len(resent) > 0 {
		c.resentIDs.Store(&resent) // before the first write that is not collected (see staleCopy)
	}
	c.resending = false
	c.resent = nil
	c.send(all)
}

// noteResent adds the packet id of pk to ids if pk is a resent (DUP) QoS
// 1/2 PUBLISH.
func noteResent(ids map[uint16]struct{}, pk []byte) {
	if _, id, kind := outgoing(pk); kind == outPublish && pk[0]&0x08 != 0 {
		ids[id] = struct{}{}
	}
}
