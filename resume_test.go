package mqttkit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// A restarted consumer that resumes its persistent session gets the
// messages queued while it was away when its handler is given at Dial.
func TestWithSubscriptionReceivesResumedSession(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		id := "resume-" + srv.Name()
		first := dial(t, srv, mqttkit.WithClientID(id), mqttkit.WithSessionExpiry(time.Hour))
		if _, err := first.Subscribe(ctx, "resume/t", newCollector(1)); err != nil {
			t.Fatal(err)
		}
		_ = first.Close() // the session stays: its expiry was chosen
		pub := dial(t, srv)
		for i := range 5 {
			if err := pub.Publish(ctx, "resume/t", []byte(fmt.Sprint(i)), mqttkit.QoS1); err != nil {
				t.Fatal(err)
			}
		}
		col := newCollector(10)
		again := dial(t, srv, mqttkit.WithClientID(id), mqttkit.WithSessionExpiry(time.Hour),
			mqttkit.WithCleanStart(false), mqttkit.WithSubscription("resume/t", col))
		for i := range 5 { // in order (MQTT-4.6.0-1)
			if m := col.next(t); string(m.Payload) != fmt.Sprint(i) {
				t.Fatalf("got %q where %d was due", m.Payload, i)
			}
		}
		if n := again.Stats().Unrouted; n != 0 {
			t.Fatalf("%d messages acknowledged without a handler", n)
		}
		if subs := again.Subscriptions(); len(subs) != 1 || subs[0].Filters()[0] != "resume/t" {
			t.Fatalf("Subscriptions() = %v", subs)
		}
	})
}
