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
// once if it already is. A message that arrived before the copy is in both
// maps under the same id and is not handed over twice.
type lateMessages struct {
	mu      sync.Mutex
	pending map[string][]packets.Packet // client id -> messages
}

// add keeps pk, which reached a taken-over connection of client id.
func (l *lateMessages) add(id string, pk packets.Packet) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending == nil {
		l.pending = map[string][]packets.Packet{}
	}
	l.pending[id] = append(l.pending[id], pk)
}

// take removes and returns the messages kept for client id.
func (l *lateMessages) take(id string) []packets.Packet {
	l.mu.Lock()
	defer l.mu.Unlock()
	msgs := l.pending[id]
	delete(l.pending, id)
	return msgs
}

// keepLate collects a message stored for a taken-over connection and tries
// to deliver it at once.
func (h *hook) keepLate(cl *mqtt.Client, pk packets.Packet) {
	h.late.add(cl.ID, pk)
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
	for _, pk := range msgs {
		h.adopt(cur, pk)
	}
	if cur.IsTakenOver() { // taken over meanwhile: its successor adopts them
		for _, pk := range msgs {
			h.late.add(id, pk)
		}
	}
}

// adopt stores pk in cl's in-flight map, unless cl got it with the
// session, and sends it.
func (h *hook) adopt(cl *mqtt.Client, pk packets.Packet) {
	if have, ok := cl.State.Inflight.Get(pk.PacketID); ok {
		if have.Created == pk.Created && have.TopicName == pk.TopicName && bytes.Equal(have.Payload, pk.Payload) {
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
