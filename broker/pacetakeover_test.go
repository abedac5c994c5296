package broker_test

import (
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/packet"
)

// A publisher waiting for a slow subscriber (serverConn.pace) whose session
// is taken over stops waiting, so the takeover copies the PUBREC of the QoS 2
// PUBLISH it was processing, and the client's resend of that PUBLISH (DUP) on
// the new connection is acknowledged, not routed a second time. Waiting on,
// it held the takeover past its 2 s bound and the subscriber got the
// message twice.
func TestTakeoverOfPacedPublisher(t *testing.T) {
	_, addr := start(t, func(c *broker.Config) { c.Limits.MaxQueuedMessages = 4 }) // paced above 2
	sub := dialRaw(t, addr, "paced-sub", 0, true)
	sub.subscribe("paced/t", 2)
	pub := dialRaw(t, addr, "paced-pub", 0, true)
	for id := uint16(1); id <= 3; id++ {
		pub.send(&packet.Publish{Topic: "paced/t", QoS: 2, PacketID: id, Payload: []byte{byte(id)}})
	}
	for range 2 { // the subscriber never acknowledges: the third waits in pace
		sub.nextPublish(5 * time.Second)
	}
	time.Sleep(100 * time.Millisecond)             // let the third reach pace
	pub2 := dialRaw(t, addr, "paced-pub", 0, true) // takes the session over
	pub2.send(&packet.Publish{Topic: "paced/t", QoS: 2, PacketID: 3, Dup: true, Payload: []byte{3}})
	for {
		p := pub2.read(5 * time.Second)
		if rec, ok := p.(*packet.Pubrec); ok && rec.PacketID == 3 {
			break
		}
	}
	threes := 0
	for {
		p, err := sub.tryRead(time.Second)
		if err != nil {
			break
		}
		if m, ok := p.(*packet.Publish); ok && len(m.Payload) == 1 && m.Payload[0] == 3 {
			threes++
		}
	}
	if threes != 1 {
		t.Fatalf("the subscriber got message 3 %d times, want once", threes)
	}
}
