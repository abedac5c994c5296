package broker_test

import (
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
	"github.com/mqttkit/mqttkit/packet"
)

// A QoS 2 PUBLISH resent (DUP) before its PUBREL gets a successful PUBREC
// again, and the message is delivered once (MQTT-4.3.3). mochi v2.7.9
// answers the resend with PUBREC 0x91, which makes a publisher fail a
// message that was delivered.
func TestQoS2ResendGetsPubrecAgain(t *testing.T) {
	_, addr := start(t, nil)
	sub := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "q2-sub"})
	sub.Subscribe(t, "q2/t", 2)
	c := dialRaw(t, addr, "q2-pub", 0, false)
	pub := &packet.Publish{Topic: "q2/t", QoS: 2, PacketID: 9, Payload: []byte("once")}
	for i, dup := range []bool{false, true} {
		pub.Dup = dup
		c.send(pub)
		rec, ok := c.read(5 * time.Second).(*packet.Pubrec)
		if !ok || rec.PacketID != 9 || rec.ReasonCode != packet.Success {
			t.Fatalf("send %d: got %v, want PUBREC id 9 Success", i+1, rec)
		}
	}
	c.send(&packet.Pubrel{PacketID: 9})
	if comp, ok := c.read(5 * time.Second).(*packet.Pubcomp); !ok || comp.PacketID != 9 {
		t.Fatalf("got %v, want PUBCOMP id 9", comp)
	}
	if m := sub.Next(5 * time.Second); m == nil || string(m.Payload) != "once" {
		t.Fatalf("got %v, want the message", m)
	}
	if m := sub.Next(300 * time.Millisecond); m != nil {
		t.Fatalf("delivered twice: %q", m.Payload)
	}
}
