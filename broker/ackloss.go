package broker

import (
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// publishing follows the QoS 1/2 PUBLISH a connection's read goroutine is
// processing, from mochi's OnPublish to its OnPacketProcessed.
//
// mochi v2.7.9's processPublish stores the message's PUBACK or PUBREC in
// the session, then writes it, and returns before routing the message when
// the write fails, which happens without our connection ever seeing the
// bytes when the client is already marked closed. The stored ack survives
// in the session and is resent on the client's next connection: the
// publisher takes a message nobody received as delivered. When that
// happens the hook deletes the stored ack, so the publisher, resuming its
// session, resends the message and it is routed then.
type publishing struct {
	active bool
	id     uint16
	stored bool // mochi stored the ack of this PUBLISH
}

// connOf returns the broker's wrapper of cl's connection; nil for mochi's
// inline client.
func connOf(cl *mqtt.Client) *serverConn {
	c, _ := cl.Net.Conn.(*serverConn)
	return c
}

// OnPublish notes the QoS 1/2 PUBLISH being processed.
func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if c := connOf(cl); c != nil && pk.FixedHeader.Qos > 0 {
		c.pub = publishing{active: true, id: pk.PacketID}
	}
	return pk, nil
}

// OnQosPublish notes that mochi stored the ack of the PUBLISH being
// processed. (Acks resent when a session resumes come here too, before the
// connection processes any packet; they are not noted.)
func (h *hook) OnQosPublish(cl *mqtt.Client, pk packets.Packet, _ int64, _ int) {
	if t := pk.FixedHeader.Type; t != packets.Puback && t != packets.Pubrec {
		return
	}
	if c := connOf(cl); c != nil && c.pub.active && c.pub.id == pk.PacketID {
		c.pub.stored = true
	}
}

// OnPacketProcessed deletes the stored ack of a PUBLISH mochi failed to
// route (see publishing).
func (h *hook) OnPacketProcessed(cl *mqtt.Client, _ packets.Packet, err error) {
	c := connOf(cl)
	if c == nil || !c.pub.active {
		return
	}
	p := c.pub
	c.pub = publishing{}
	if err == nil || !p.stored {
		return
	}
	ack, ok := cl.State.Inflight.Get(p.id)
	if !ok || (ack.FixedHeader.Type != packets.Puback && ack.FixedHeader.Type != packets.Pubrec) {
		return
	}
	if cl.State.Inflight.Delete(p.id) {
		atomic.AddInt64(&h.srv.mochi.Info.Inflight, -1)
		if h.srv.store != nil {
			h.srv.store.OnQosDropped(cl, ack)
		}
	}
	h.srv.log.Debug("broker: a PUBLISH was not routed because its connection closed; its ack is withdrawn so the client resends it",
		"client", cl.ID, "packet_id", p.id, "error", err)
}
