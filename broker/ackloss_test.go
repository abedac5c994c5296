package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
	"github.com/mqttkit/mqttkit/packet"
)

// A publisher whose session is taken over while the broker processes its
// QoS 1 PUBLISH must not be told on its next connection that the message
// was delivered when it was not. mochi v2.7.9 stores the PUBACK, fails to
// write it to the closed connection, returns without routing, and resends
// the stored PUBACK to the new connection: without the broker's fix the
// publisher (rightly trusting that PUBACK) never resends, and the message
// is lost.
func TestTakeoverDuringPublishLosesNothing(t *testing.T) {
	b, addr := start(t, nil)
	sub := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "take-sub"})
	sub.Subscribe(t, "take/#", 1)

	deadline := time.Now().Add(8 * time.Second)
	sent, resent := 0, 0
	for i := 0; i < 1000 && time.Now().Before(deadline); i++ {
		id := fmt.Sprintf("take-%d", i)
		a := dialRaw(t, addr, id, 0, true)
		a.send(&packet.Publish{Topic: "take/" + id, QoS: 1, PacketID: 1, Payload: []byte(id)})
		b := dialRaw(t, addr, id, 0, true) // takes the session over at once
		// The broker resends a resumed session's packets before it reads
		// any; the PINGRESP marks their end.
		b.send(&packet.Pingreq{})
		acked := false
		for {
			p := b.read(5 * time.Second)
			if _, ok := p.(*packet.Pingresp); ok {
				break
			}
			if ack, ok := p.(*packet.Puback); ok && ack.PacketID == 1 {
				acked = true
			}
		}
		if !acked { // as any client resuming a session: resend the unacknowledged
			resent++
			b.send(&packet.Publish{Topic: "take/" + id, QoS: 1, PacketID: 1, Dup: true, Payload: []byte(id)})
			for {
				if ack, ok := b.read(5 * time.Second).(*packet.Puback); ok && ack.PacketID == 1 {
					break
				}
			}
		}
		_ = a.conn.Close()
		_ = b.conn.Close()
		sent++
	}
	got := map[string]bool{}
	for len(got) < sent {
		m := sub.Next(3 * time.Second)
		if m == nil {
			break
		}
		got[string(m.Payload)] = true
	}
	t.Logf("%d publishes, %d resent after the takeover, %d delivered, %d rescued by the broker", sent, resent, len(got), b.Server().Stats().MessagesRescued)
	if len(got) != sent {
		for i := range sent {
			if id := fmt.Sprintf("take-%d", i); !got[id] {
				t.Errorf("%s: acknowledged but never delivered", id)
			}
		}
	}
}
