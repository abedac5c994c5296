package broker

import (
	"bytes"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// lateMessages rescues messages routed to a connection whose session was
// just taken over.
//
// When a client resumes its session, mochi v2.7.9 marks the old connection
// taken over, copies its in-flight messages to the new connection
// (inheritClientSession) and only then registers the new one. A message
// routed to the client in between goes into the old connection's map,
// which nobody reads again: under a publisher's steady stream a
// reconnecting subscriber lost two or three messages per reconnect. mochi
// reports every queued message to OnQosPublish after storing it, so the
// hook collects those that reach a taken-over connection, per client id,
// and hands them to the client's connection once it is established, or at
// once if it already is.
//
// A message mochi stored just before the copy, but reported after the
// takeover mark, went with the session and is not handed over again. The
// new connection's in-flight map holds it until the client acknowledges
// it, so the copy is also kept apart (sessionCopy): a routing goroutine
// delayed past the new connection's whole QoS 2 exchange for that message
// (seen on a saturated machine) otherwise made it send the message a
// second time, under the packet id the exchange had just freed.
type lateMessages struct {
	mu      sync.Mutex
	pending map[string][]lateMessage // client id -> messages
}

// lateMessage is a message that reached a taken-over connection, from: nil
// for a session restored from storage.
type lateMessage struct {
	pk   packets.Packet
	from *serverConn
}

// sessionCopy is what a connection that took a session over copied of it,
// by packet id.
type sessionCopy map[uint16]packets.Packet

// recordCopy keeps on the connection cl took its session from what cl
// copied, before cl is established (see lateMessages).
func recordCopy(c *serverConn, cl *mqtt.Client) {
	if c.takesFrom == nil {
		return
	}
	copied := sessionCopy{}
	for _, pk := range cl.State.Inflight.GetAll(false) {
		copied[pk.PacketID] = pk
	}
	c.takesFrom.copied.Store(&copied)
	c.takesFrom = nil
}

// add keeps m, which reached a taken-over connection of client id.
func (l *lateMessages) add(id string, m lateMessage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending == nil {
		l.pending = map[string][]lateMessage{}
	}
	l.pending[id] = append(l.pending[id], m)
}

// take removes and returns the messages kept for client id.
func (l *lateMessages) take(id string) []lateMessage {
	l.mu.Lock()
	defer l.mu.Unlock()
	msgs := l.pending[id]
	delete(l.pending, id)
	return msgs
}

// keepLate collects a message stored for a taken-over connection and tries
// to deliver it at once.
func (h *hook) keepLate(cl *mqtt.Client, pk packets.Packet) {
	h.late.add(cl.ID, lateMessage{pk: pk, from: connOf(cl)})
	h.deliverLate(cl.ID)
}

// deliverLate hands the late messages of client id to its current
// connection if that one is established and not itself taken over.
func (h *hook) deliverLate(id string) {
	cur, ok := h.srv.mochi.Clients.Get(id)
	if !ok || cur.IsTakenOver() {
		return
	}
	if c := connOf(cur); c == nil || !c.established.Load() {
		return
	}
	msgs := h.late.take(id)
	if len(msgs) == 0 {
		return
	}
	for _, m := range msgs {
		h.adopt(cur, m)
	}
	if cur.IsTakenOver() { // taken over meanwhile: its successor adopts them
		for _, m := range msgs {
			h.late.add(id, m)
		}
	}
}

// sameMessage reports whether a and b are one message under one packet id.
func sameMessage(a, b packets.Packet) bool {
	return a.PacketID == b.PacketID && a.Created == b.Created && a.TopicName == b.TopicName && bytes.Equal(a.Payload, b.Payload)
}

// adopt stores m's message in cl's in-flight map, unless it went with the
// session, and sends it.
func (h *hook) adopt(cl *mqtt.Client, m lateMessage) {
	pk := m.pk
	if m.from != nil {
		if copied := m.from.copied.Load(); copied != nil {
			if have, ok := (*copied)[pk.PacketID]; ok && sameMessage(have, pk) {
				return // copied with the session, perhaps acknowledged since
			}
		}
	}
	if have, ok := cl.State.Inflight.Get(pk.PacketID); ok {
		if sameMessage(have, pk) {
			return // copied with the session
		}
		id, err := cl.NextPacketID() // the id is taken by another message on this connection
		if err != nil {
			h.dropped.Add(1) // mochi counts only its own exhaustions
			h.OnPacketIDExhausted(cl, pk)
			return
		}
		pk.PacketID = uint16(id)
	}
	pk.Expiry = max(pk.Expiry, 0) // not parked (see OnSessionEstablished)
	cl.State.Inflight.Set(pk)
	h.rescued.Add(1)
	_ = cl.WritePacket(pk)
	h.srv.log.Debug("broker: delivered a message that reached a taken-over connection", "client", cl.ID, "topic", pk.TopicName)
}

// OnClientExpired forgets late messages of a session that ended.
func (h *hook) OnClientExpired(cl *mqtt.Client) {
	h.late.take(cl.ID)
}
