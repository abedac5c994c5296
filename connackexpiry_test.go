package mqttkit_test

import (
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// A server may grant another Session Expiry Interval than the CONNECT asked
// for, in CONNACK, and the client must then use it (MQTT v5 §3.2.2.3.2).
// Granted 0, the session ends with the connection, and Close must not
// raise it in DISCONNECT (a protocol error, §3.14.2.2.2), even for a
// consumer group member that asks for an hour.
func TestConnackSessionExpiryIsUsed(t *testing.T) {
	r := newRecorder(t, func(int, *packet.Connect) *packet.Connack {
		ack := &packet.Connack{}
		ack.Properties.Present = ack.Properties.Present.With(packet.PropSessionExpiryInterval) // 0
		return ack
	})
	c := dialURL(t, r.url, mqttkit.WithClientID("granted-0"))
	if con := r.nextConnect(t); con.Properties.SessionExpiryInterval == 0 {
		t.Fatal("the CONNECT asked for no session: the test needs one asked for and refused")
	}
	if _, err := c.Subscribe(testCtx(t, 5*time.Second), "jobs/+", newCollector(1), mqttkit.Group("g")); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if d := nextDisconnect(t, r); d.Properties.Present.Has(packet.PropSessionExpiryInterval) && d.Properties.SessionExpiryInterval != 0 {
		t.Fatalf("DISCONNECT raises the granted Session Expiry Interval of 0 to %d s", d.Properties.SessionExpiryInterval)
	}
}
