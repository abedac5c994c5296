package mqtttest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
)

// TestMaxQueued: an offline session keeps at most WithMaxQueued messages
// on both brokers; the rest are dropped. The subscriber comes back as soon
// as the last PUBACK arrives: a broker that acknowledges before it routes
// (plain mochi v2.7.9) lets the last message reach the new connection
// instead of the full queue, 3 runs in 15.
func TestMaxQueued(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		o := pahotest.Options{ClientID: "offline", KeepSession: true}
		sub := pahotest.MustDial(t, srv.Addr(), o)
		sub.Subscribe(t, "q", 1)
		sub.Disconnect(&paho.Disconnect{})
		<-sub.Done()
		time.Sleep(200 * time.Millisecond) // let the broker see the session go offline
		pub := pahotest.MustDial(t, srv.Addr(), pahotest.Options{})
		for i := range 12 {
			pub.Publish(t, "q", 1, false, []byte(fmt.Sprint(i)))
		}
		sub = pahotest.MustDial(t, srv.Addr(), o)
		got := 0
		var seen []string
		for m := sub.Next(500 * time.Millisecond); m != nil; m = sub.Next(500 * time.Millisecond) {
			got++
			seen = append(seen, fmt.Sprintf("%s(id %d)", m.Payload, m.PacketID))
		}
		t.Logf("received %v", seen)
		t.Logf("%s kept %d of 12 messages with WithMaxQueued(5)", srv.Name(), got)
		if got != 5 {
			t.Fatalf("the offline session got %d of 12 messages, want 5", got)
		}
	}, mqtttest.WithMaxQueued(5))
}
