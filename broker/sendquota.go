package broker

import (
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// OnConnect turns mochi's send quota off for the connection: with quota and
// maximum both 0, mochi writes every message at once and its packet loop
// never calls Inflight.NextImmediate, which deadlocks (see sendWindow, which
// does the flow control instead). It also keeps the will's properties that
// mochi would drop (see willPropsKey) and turns topic aliases towards the
// client off.
func (h *hook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	cl.State.Inflight.ResetSendQuota(0)
	keepWillProperties(cl, pk)
	// No topic aliases towards the client: mochi v2.7.9 stores a QoS 1/2
	// message with the alias instead of its topic, so the resend on the
	// client's next connection (or after a restart) carries an alias the
	// new connection never set, and the client must drop the connection
	// with a protocol error, again and again. A server may always send full
	// topic names.
	cl.Properties.Props.TopicAliasMaximum = 0
	return nil
}

// OnSessionEstablished turns the quota off again, because inheriting a
// session's in-flight messages set it to the client's Receive Maximum, and
// sends any message mochi parked for lack of quota in that moment: parked
// messages would otherwise wait for the client's next connection. It first
// records what it copied of the session it took over (recordCopy). Then it
// delivers the messages that reached the connection it took over late (see
// lateMessages), or drops them when the client started clean.
func (h *hook) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	cl.State.Inflight.ResetSendQuota(0)
	c := connOf(cl)
	if c != nil {
		recordCopy(c, cl)
		c.resumeOrder(cl) // the session's resends, in their original order
	}
	for _, pk := range cl.State.Inflight.GetAll(true) {
		pk.Expiry = 0 // mochi's mark for "parked"
		cl.State.Inflight.Set(pk)
		pk.FixedHeader.Dup = true // the session's resend may have sent it already
		_ = cl.WritePacket(pk)
	}
	if c == nil {
		return
	}
	if pk.Connect.Clean {
		h.late.take(cl.ID)
	}
	c.established.Store(true)
	h.deliverLate(cl.ID)
}
