package mqttkit

import (
	"time"

	"github.com/mqttkit/mqttkit/packet"
)

// noKeepAliveGrace is how long waitRoom waits when keepalive is off.
const noKeepAliveGrace = 10 * time.Second

// waitRoom handles a QoS 1 or 2 PUBLISH that came while the client's Receive
// Maximum of them was unacknowledged: the server broke MQTT-3.3.4-9.
// Disconnecting at once would not help against the server that does it
// most, Mosquitto 2.0.11: it lets up to Receive Maximum queued messages into
// flight per in-order PUBACK, and after a reconnect it resends the in-flight
// ones and sends more before any acknowledgement, so the client would
// reconnect forever without progress. Instead the reader stops reading, so
// TCP holds the server back, until a handler finishes and its
// acknowledgement frees room; the excess is logged once per connection with
// the counts. Only when no room comes within half the keepalive (before the
// unread PINGRESP would end the connection anyway) does the client
// disconnect with 0x93 and a *ReceiveMaximumError.
func (cn *conn) waitRoom(p *packet.Publish) (uint64, error) {
	e := &ReceiveMaximumError{ReceiveMaximum: cn.c.cfg.receiveMax, Received: cn.received.Load(),
		Acknowledged: cn.acked.Load(), PacketID: p.PacketID, QoS: p.QoS}
	if !cn.warnedWindow {
		cn.warnedWindow = true
		cn.c.log.Warn("mqttkit: the server exceeded the client's Receive Maximum (a server bug); reading pauses until a handler finishes",
			"server", cn.server.Redacted(), "receive_maximum", e.ReceiveMaximum, "received", e.Received,
			"acknowledged", e.Acknowledged, "packet_id", e.PacketID)
	}
	grace := noKeepAliveGrace
	if cn.keepAlive > 0 {
		grace = cn.keepAlive / 2
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	cn.paused.Store(true)
	defer cn.paused.Store(false)
	for {
		select {
		case <-cn.room:
		case <-t.C:
			e.Waited = grace
			return 0, cn.violation(packet.ReceiveMaximumExceeded, e)
		case <-cn.done:
			return 0, cn.err
		}
		if seq, ok := cn.acks.Push(p.PacketID, byte(p.QoS)); ok {
			return seq, nil
		}
	}
}
