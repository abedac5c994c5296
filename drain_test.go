package mqttkit_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// Drain lets a running handler finish and its acknowledgement leave before
// disconnecting: the resumed session has nothing to redeliver.
func TestDrainFinishesHandlers(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		id := "drain-" + srv.Name()
		c := dial(t, srv, mqttkit.WithClientID(id), mqttkit.WithSessionExpiry(time.Minute))
		started := make(chan struct{})
		var finished atomic.Bool
		h := mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
			close(started)
			time.Sleep(200 * time.Millisecond)
			finished.Store(true)
			return nil
		})
		if _, err := c.Subscribe(ctx, "drain/t", h); err != nil {
			t.Fatal(err)
		}
		if err := c.Publish(ctx, "drain/t", []byte("x"), mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
		<-started
		if err := c.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if !finished.Load() {
			t.Fatal("Drain returned before the handler finished")
		}
		if err := c.Publish(ctx, "drain/t", nil, mqttkit.QoS0); !errors.Is(err, mqttkit.ErrClosed) {
			t.Fatalf("Publish after Drain: %v, want ErrClosed", err)
		}
		again := dial(t, srv, mqttkit.WithClientID(id), mqttkit.WithCleanStart(false), mqttkit.WithSessionExpiry(time.Minute))
		col := newCollector(1)
		if _, err := again.Subscribe(ctx, "drain/t", col); err != nil {
			t.Fatal(err)
		}
		col.none(t, 300*time.Millisecond)
		if n := again.Stats().Received; n != 0 {
			t.Fatalf("the resumed session delivered %d messages, want 0: Drain must have acknowledged", n)
		}
	})
}
