package mqttkit_test

import (
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// A handler sees the packet id the server gave a QoS 1 or 2 message (for
// logs and `mqttkit sub -F %m`), and 0 at QoS 0.
func TestMessagePacketID(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		sub := dial(t, srv)
		col := newCollector(4)
		if _, err := sub.Subscribe(ctx, "pid/#", col, mqttkit.ExactlyOnce); err != nil {
			t.Fatal(err)
		}
		pub := dial(t, srv)
		for _, tc := range []struct {
			name   string
			qos    mqttkit.QoS
			wantID bool
		}{{"qos0", mqttkit.QoS0, false}, {"qos1", mqttkit.QoS1, true}, {"qos2", mqttkit.QoS2, true}} {
			if err := pub.Publish(ctx, "pid/"+tc.name, nil, tc.qos); err != nil {
				t.Fatal(err)
			}
			m := col.next(t)
			if m.Topic != "pid/"+tc.name || (m.PacketID != 0) != tc.wantID {
				t.Errorf("%s: got %q with packet id %d; want a non-zero id: %v", tc.name, m.Topic, m.PacketID, tc.wantID)
			}
		}
	})
}
