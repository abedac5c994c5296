package broker_test

import (
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
