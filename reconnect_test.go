package mqttkit_test

import (
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// A dropped connection is re-established and the handler keeps receiving,
// whether the server resumed the session or the client restored it.
func TestReconnectKeepsSubscriptions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		expiry time.Duration
	}{
		{"session ends with the connection", 0},
		{"persistent session", time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
				ctx := testCtx(t, 20*time.Second)
				lost := make(chan error, 10)
				sub := dial(t, srv, mqttkit.WithSessionExpiry(tc.expiry),
					mqttkit.OnConnectionLost(func(_ *mqttkit.Client, err error) { lost <- err }))
				pub := dialURL(t, srv.DirectURL())
				col := newCollector(10)
				if _, err := sub.Subscribe(ctx, "rc/+", col); err != nil {
					t.Fatal(err)
				}
				srv.DropClients()
				select {
				case <-lost:
				case <-ctx.Done():
					t.Fatal("OnConnectionLost not called after the proxy dropped the connection")
				}
				waitConnected(t, sub)
				// The restored SUBSCRIBE may still be on its way: publish until
				// one arrives.
				publishUntilReceived(t, pub, col, "rc/a")
			})
		})
	}
}

func waitConnected(t testing.TB, c *mqttkit.Client) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !c.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("client did not reconnect within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// publishUntilReceived publishes to topic every 50ms until col receives one.
// A redelivered message (DUP) of another topic is skipped: a resumed session
// sends again what was handled but whose PUBACK the broker had not yet read
// when the connection dropped, as at-least-once allows.
func publishUntilReceived(t testing.TB, pub *mqttkit.Client, col *collector, topic string) {
	t.Helper()
	ctx := testCtx(t, 10*time.Second)
	for {
		if err := pub.Publish(ctx, topic, []byte("probe"), mqttkit.QoS1); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		select {
		case m := <-col.ch:
			if m.Topic != topic {
				if m.Dup {
					continue
				}
				t.Fatalf("got topic %q, want %q", m.Topic, topic)
			}
			return
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("no message arrived within 10s")
		}
	}
}
