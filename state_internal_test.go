package mqttkit

import (
	"context"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/internal/session"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// The engine reports every change of the session state to its State (the
// seam for a durable store): the client id, each outbound message until its
// exchange completes, inbound QoS 2 ids until PUBREL, and subscriptions.
func TestSessionStateReported(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		mem := session.NewMemory()
		c, err := Dial(ctx, srv.URL(), WithClientID("state-1"), Option(func(c *config) { c.state = mem }))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		got := make(chan struct{}, 10)
		sub, err := c.Subscribe(ctx, "state/t", HandlerFunc(func(context.Context, *Message) error {
			got <- struct{}{}
			return nil
		}), ExactlyOnce)
		if err != nil {
			t.Fatal(err)
		}
		if id, _, _, subs := mem.Snapshot(); id != "state-1" || subs != 1 {
			t.Fatalf("client id %q, %d subscriptions recorded; want state-1 and 1", id, subs)
		}
		for _, q := range []QoS{QoS1, QoS2} {
			if err := c.Publish(ctx, "state/t", []byte("x"), q); err != nil {
				t.Fatal(err)
			}
			<-got
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, out, in2, _ := mem.Snapshot()
			if out == 0 && in2 == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after every exchange completed: %d outbound, %d inbound QoS 2 recorded; want 0", out, in2)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := sub.Unsubscribe(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, _, subs := mem.Snapshot(); subs != 0 {
			t.Fatalf("%d subscriptions recorded after Unsubscribe", subs)
		}
	})
}
