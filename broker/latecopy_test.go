package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/packet"
)

// A message mochi stored for a connection just before its session was
// copied, but reported to the broker's hook only after the takeover mark
// (its routing goroutine descheduled in between), went with the session.
// When the report comes after the client acknowledged that copy on the new
// connection, the message is not sent again: it was, under the packet id
// the acknowledgement had freed (1 duplicate in 60 runs of
// TestQoS2WhileConnectionsDrop on a saturated machine).
func TestLateReportOfCopiedMessage(t *testing.T) {
	b, addr := start(t, nil)
	sub := dialRaw(t, addr, "late-sub", 0, true)
	sub.subscribe("late/t", 1)
	pub := dialRaw(t, addr, "late-pub", 0, false)
	pub.send(&packet.Publish{Topic: "late/t", QoS: 1, PacketID: 1, Payload: []byte("once")})
	first := sub.nextPublish(5 * time.Second) // not acknowledged
	report, ok := b.Server().DelayedQosPublish("late-sub", first.PacketID)
	if !ok {
		t.Fatalf("message %d is not in the subscriber's session", first.PacketID)
	}
	sub2 := dialRaw(t, addr, "late-sub", 0, true) // takes the session over
	again := sub2.nextPublish(5 * time.Second)
	if again.PacketID != first.PacketID || !again.Dup || string(again.Payload) != "once" {
		t.Fatalf("resumed session sent %+v, want packet id %d again with DUP", again, first.PacketID)
	}
	sub2.send(&packet.Puback{PacketID: again.PacketID})
	sub2.send(&packet.Pingreq{}) // answered after the PUBACK was processed
	if _, ok := sub2.read(5 * time.Second).(*packet.Pingresp); !ok {
		t.Fatal("no PINGRESP")
	}
	report()
	sub2.expectSilence(500*time.Millisecond, "the message went with the session and was acknowledged")
}

// mochi queues a message routed to a connection for that connection's
// writer goroutine, and a connection resuming a session resends it too
// (DUP) when it was routed there before the resend. When the writer runs
// late, after the client has acknowledged the resend, the queued copy is
// not sent: under the packet id the exchange freed it is a new message to
// the client, which handled it twice.
func TestLateWriteOfAcknowledgedMessage(t *testing.T) {
	for _, qos := range []byte{1, 2} {
		t.Run(fmt.Sprintf("qos%d", qos), func(t *testing.T) {
			b, addr := start(t, nil)
			sub := dialRaw(t, addr, "stale-sub", 0, true)
			sub.subscribe("stale/t", qos)
			pub := dialRaw(t, addr, "stale-pub", 0, false)
			pub.send(&packet.Publish{Topic: "stale/t", QoS: packet.QoS(qos), PacketID: 1, Payload: []byte("once")})
			sub.nextPublish(5 * time.Second)               // not acknowledged
			sub2 := dialRaw(t, addr, "stale-sub", 0, true) // resumes the session
			m := sub2.nextPublish(5 * time.Second)
			if !m.Dup || string(m.Payload) != "once" {
				t.Fatalf("resumed session sent %+v, want the message again with DUP", m)
			}
			// The copy mochi's writer would write: the session's, without DUP.
			write, ok := b.Server().DelayedWrite("stale-sub", m.PacketID)
			if !ok {
				t.Fatalf("message %d is not in the subscriber's session", m.PacketID)
			}
			if qos == 1 {
				sub2.send(&packet.Puback{PacketID: m.PacketID})
			} else {
				sub2.send(&packet.Pubrec{PacketID: m.PacketID})
				if rel, ok := sub2.read(5 * time.Second).(*packet.Pubrel); !ok || rel.PacketID != m.PacketID {
					t.Fatalf("got %v, want PUBREL %d", rel, m.PacketID)
				}
				sub2.send(&packet.Pubcomp{PacketID: m.PacketID})
			}
			sub2.send(&packet.Pingreq{}) // answered after the acknowledgement was processed
			if _, ok := sub2.read(5 * time.Second).(*packet.Pingresp); !ok {
				t.Fatal("no PINGRESP")
			}
			_ = write() // refused: that is the point
			sub2.expectSilence(500*time.Millisecond, "the client acknowledged the message")
			pub.send(&packet.Publish{Topic: "stale/t", QoS: packet.QoS(qos), PacketID: 2, Payload: []byte("next")})
			if next := sub2.nextPublish(5 * time.Second); string(next.Payload) != "next" || next.Dup {
				t.Fatalf("got %+v, want the next message", next)
			}
		})
	}
}
