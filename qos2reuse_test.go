package mqttkit_test

import (
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// A server that lost the state of an inbound QoS 2 exchange (the embedded
// broker did, under reconnect storms) may send another message under the
// packet id before releasing the first. Taken for a copy, it was
// acknowledged and never handled: lost, in up to hundreds of 2000 messages.
// A different message under the id is delivered; a true copy (same topic
// and payload) is still not.
func TestQoS2PacketIDReusedBeforePubrel(t *testing.T) {
	r := newRecorder(t, acceptAll)
	c := dialURL(t, r.url)
	r.nextConnect(t)
	nc := <-r.conns
	col := newCollector(4)
	if _, err := c.Subscribe(testCtx(t, 10*time.Second), "q2r/t", col, mqttkit.ExactlyOnce); err != nil {
		t.Fatal(err)
	}
	r.nextPacket(t) // SUBSCRIBE
	for _, payload := range []string{"first", "first", "second"} {
		sendTo(t, nc, &packet.Publish{Topic: "q2r/t", QoS: 2, PacketID: 9, Payload: []byte(payload)})
		if p := r.nextPacket(t); p.Type() != packet.PUBREC || packetID(p) != 9 {
			t.Fatalf("client sent %v, want PUBREC for packet id 9", p)
		}
	}
	for _, want := range []string{"first", "second"} {
		if m := col.next(t); string(m.Payload) != want {
			t.Fatalf("got %q, want %q", m.Payload, want)
		}
	}
	col.none(t, 200*time.Millisecond)
}
