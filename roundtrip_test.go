package mqttkit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

func TestRoundTrip(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		pub := dial(t, srv)
		sub := dial(t, srv)
		ctx := testCtx(t, 20*time.Second)
		for _, tc := range []struct {
			name   string
			pubQoS mqttkit.QoS
			subOpt mqttkit.SubscribeOption
			want   mqttkit.QoS
		}{
			{"qos0", mqttkit.QoS0, mqttkit.AtMostOnce, mqttkit.QoS0},
			{"qos1", mqttkit.QoS1, mqttkit.AtLeastOnce, mqttkit.QoS1},
			{"qos2", mqttkit.QoS2, mqttkit.ExactlyOnce, mqttkit.QoS2},
			{"qos2 downgraded by a qos1 subscription", mqttkit.QoS2, mqttkit.AtLeastOnce, mqttkit.QoS1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				col := newCollector(10)
				topic := "rt/" + tc.name
				s, err := sub.Subscribe(ctx, topic, col, tc.subOpt)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Unsubscribe(ctx)
				for i := range 3 {
					if err := pub.Publish(ctx, topic, []byte(fmt.Sprint(i)), tc.pubQoS); err != nil {
						t.Fatalf("Publish: %v", err)
					}
				}
				for i := range 3 {
					m := col.next(t)
					if m.Topic != topic || string(m.Payload) != fmt.Sprint(i) || m.QoS != tc.want {
						t.Fatalf("got %q %q QoS %d, want %q %q QoS %d", m.Topic, m.Payload, m.QoS, topic, fmt.Sprint(i), tc.want)
					}
				}
				col.none(t, 50*time.Millisecond)
			})
		}
	})
}
