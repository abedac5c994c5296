package broker

import (
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// publishing follows the QoS 1/2 PUBLISH a connection's read goroutine is
// processing, from mochi's OnPublish to its OnPacketProcessed.
//
// mochi v2.7.9's processPublish stores the message's PUBACK or PUBREC in
// the session, then writes it, and returns before routing the message when
// the write fails, which happens without our connection ever seeing the
// bytes when the client is already marked closed (its session was taken
// over, or the broker is closing). The stored ack survives in the session,
// often already copied to the connection that took it over, and is sent to
// the publisher, which then takes a message nobody received as delivered.
// The ack is the broker's promise, so the hook keeps it: it routes the
// message itself.
type publishing struct {
	active bool
	pk     packets.Packet // as mochi routes it: alias resolved, origin set
	stored bool           // mochi stored the ack of this PUBLISH
}

// connOf returns the broker's wrapper of cl's connection; nil for mochi's
// inline clients.
func connOf(cl *mqtt.Client) *serverConn {
	c, _ := cl.Net.Conn.(*serverConn)
	return c
}

// OnPublish notes the QoS 1/2 PUBLISH being processed, and holds its ack
// back until it is routed (see serverConn.holdAck).
func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if c := connOf(cl); c != nil && pk.FixedHeader.Qos > 0 {
		c.publishing.Store(true)
		if c.takenOver.Load() {
			c.publishing.Store(false)
			return pk, packets.ErrRejectPacket // sent again on the new connection (awaitTakenOver)
		}
		c.pub = publishing{active: true, pk: pk}
		c.waitForRouting(pk.PacketID)
	}
	return pk, nil
}

// OnQosPublish notes that mochi stored the ack of the PUBLISH being
// processed. (Acks resent when a session resumes come here too, before the
// connection processes any packet; they are not noted.)
//
// A PUBLISH stored for a connection whose session was taken over is kept
// for the connection that took it (see lateMessages).
func (h *hook) OnQosPublish(cl *mqtt.Client, pk packets.Packet, _ int64, _ int) {
	switch pk.FixedHeader.Type {
	case packets.Publish:
		if cl.IsTakenOver() { // also a session restored from storage, which has no connection
			h.keepLate(cl, pk)
		} else if c := connOf(cl); c != nil && pk.Origin != cl.ID && !pk.FixedHeader.Retain {
			// Routed by another client's PUBLISH (a retained message is
			// sent on the client's own SUBSCRIBE): that publisher waits
			// while the session is half full (see serverConn.pace).
			c.pace(func() *serverConn { return h.publisher(pk.Origin) }, func() bool { return cl.State.Inflight.Len() > h.paceAt() })
		}
	case packets.Puback, packets.Pubrec:
		if c := connOf(cl); c != nil && c.pub.active && c.pub.pk.PacketID == pk.PacketID {
			c.pub.stored = true
		}
	}
}

// publisher returns the connection of client id whose PUBLISH is being
// routed, if it is registered and processing one.
func (h *hook) publisher(id string) *serverConn {
	if cl, ok := h.srv.mochi.Clients.Get(id); ok {
		if c := connOf(cl); c != nil && c.publishing.Load() {
			return c
		}
	}
	return nil
}

// OnPacketProcessed routes a PUBLISH whose ack mochi stored but which it
// failed to route (see publishing), and then lets its ack go.
func (h *hook) OnPacketProcessed(cl *mqtt.Client, _ packets.Packet, err error) {
	c := connOf(cl)
	if c == nil || !c.pub.active {
		return
	}
	p := c.pub
	c.pub = publishing{}
	defer c.publishing.Store(false)
	defer c.releaseAck()
	if err == nil || !p.stored {
		return
	}
	// An inline client routes without acks, ACL (checked already) or
	// in-flight state; it carries the publisher's id for No Local.
	router := h.srv.mochi.NewClient(nil, cl.Net.Listener, cl.ID, true)
	if rerr := h.srv.mochi.InjectPacket(router, p.pk); rerr != nil {
		h.srv.log.Error("broker: routing a message whose connection closed while it was acknowledged failed",
			"client", cl.ID, "topic", p.pk.TopicName, "error", rerr)
		return
	}
	h.rescued.Add(1)
	h.srv.log.Debug("broker: routed a message whose connection closed while it was acknowledged",
		"client", cl.ID, "topic", p.pk.TopicName, "error", err)
}
