package broker_test

import (
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/packet"
)

// A QoS 1 PUBLISH with properties gets a well-formed PUBACK. mochi v2.7.9
// echoes the PUBLISH's properties in the PUBACK and then writes its reason
// code 0x01, which is not a PUBACK reason code; mqttkit's decoder (as any
// strict client) rejects that as a protocol error.
func TestPubackForPublishWithProperties(t *testing.T) {
	_, addr := start(t, nil)
	c := dialRaw(t, addr, "props", 0, false)
	p := &packet.Publish{Topic: "props/t", QoS: 1, PacketID: 7, Payload: []byte("p")}
	p.Properties.UserProperties = []packet.UserProperty{{Key: "a", Value: "1"}}
	p.Properties.ContentType = "text/plain"
	c.send(p)
	switch ack := c.read(5 * time.Second).(type) {
	case *packet.Puback:
		if ack.PacketID != 7 || ack.ReasonCode != packet.Success {
			t.Fatalf("PUBACK %v, want id 7, reason Success", ack)
		}
	default:
		t.Fatalf("got %T, want PUBACK", ack)
	}
}
