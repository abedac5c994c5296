package mqttkit_test

import (
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// A PUBACK 0x10 No matching subscribers is not an error, but it is visible
// (Stats.NoSubscribers); with a subscriber it is not counted. Mosquitto
// only: the embedded broker (mochi v2.7.9) never sends 0x10, and Mosquitto
// 2.0.11 sends it in PUBACK but not in PUBREC (both seen on the wire).
func TestNoMatchingSubscribers(t *testing.T) {
	srv := mqtttest.Mosquitto(t, mqtttest.WithoutPersistence())
	ctx := testCtx(t, 20*time.Second)
	c := dial(t, srv)
	if err := c.Publish(ctx, "nomatch/t", []byte("x"), mqttkit.QoS1); err != nil {
		t.Fatalf("publish nobody subscribed to: %v, want no error", err)
	}
	if n := c.Stats().NoSubscribers; n != 1 {
		t.Fatalf("Stats().NoSubscribers = %d after a publish nobody subscribed to, want 1", n)
	}
	col := newCollector(1)
	if _, err := c.Subscribe(ctx, "match/t", col); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, "match/t", []byte("x"), mqttkit.QoS1); err != nil {
		t.Fatal(err)
	}
	col.next(t)
	if n := c.Stats().NoSubscribers; n != 1 {
		t.Fatalf("Stats().NoSubscribers = %d after a publish with a subscriber, want still 1", n)
	}
}
