package mqttkit_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// Unsubscribe stops the messages of its filter and only those.
func TestUnsubscribe(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		c, pub := dial(t, srv), dial(t, srv)
		gone, kept := newCollector(4), newCollector(4)
		s, err := c.Subscribe(ctx, "unsub/a", gone)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Subscribe(ctx, "unsub/b", kept); err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(ctx, "unsub/a", []byte("before"), mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
		gone.next(t)
		if err := s.Unsubscribe(ctx); err != nil {
			t.Fatal(err)
		}
		before := c.Stats().Received
		for _, topic := range []string{"unsub/a", "unsub/b"} {
			if err := pub.Publish(ctx, topic, []byte("after"), mqttkit.QoS1); err != nil {
				t.Fatal(err)
			}
		}
		if m := kept.next(t); m.Topic != "unsub/b" {
			t.Fatalf("got %q, want unsub/b", m.Topic)
		}
		gone.none(t, 100*time.Millisecond)
		if n := c.Stats().Received - before; n != 1 {
			t.Fatalf("%d messages reached the client after Unsubscribe, want 1: the server still sends unsub/a", n)
		}
	})
}

// Without Workers, a subscription runs GOMAXPROCS handlers at once (on
// distinct topics), never more.
func TestDefaultWorkers(t *testing.T) {
	want := runtime.GOMAXPROCS(0)
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		c := dial(t, srv)
		var active, peak atomic.Int64
		var wg sync.WaitGroup
		wg.Add(2 * want)
		h := mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error {
			defer wg.Done()
			n := active.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(200 * time.Millisecond)
			active.Add(-1)
			return nil
		})
		if _, err := c.Subscribe(ctx, "workers/+", h); err != nil {
			t.Fatal(err)
		}
		pub := dial(t, srv)
		for i := range 2 * want {
			if err := pub.Publish(ctx, "workers/"+strconv.Itoa(i), nil, mqttkit.QoS1); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		if p := peak.Load(); p != int64(want) {
			t.Fatalf("at most %d handlers ran at once, want GOMAXPROCS = %d", p, want)
		}
	})
}

// The client's Receive Maximum bounds what the server sends unacknowledged:
// with nothing acknowledged, exactly that many messages arrive; once they
// are acknowledged, the rest follow and none is lost.
func TestClientReceiveMaximumBoundsUnacked(t *testing.T) {
	const receiveMax, n = 3, 10
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 30*time.Second)
		c := dial(t, srv, mqttkit.WithReceiveMaximum(receiveMax), mqttkit.WithSessionExpiry(time.Minute))
		got := make(chan *mqttkit.Message, n)
		h := mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
			got <- m
			return nil
		})
		if _, err := c.Subscribe(ctx, "rm/+", h, mqttkit.ManualAck(), mqttkit.Unordered()); err != nil {
			t.Fatal(err)
		}
		pub := dial(t, srv)
		for i := range n {
			if err := pub.Publish(ctx, "rm/"+strconv.Itoa(i), []byte(strconv.Itoa(i)), mqttkit.QoS1); err != nil {
				t.Fatal(err)
			}
		}
		var held []*mqttkit.Message
		for range receiveMax {
			select {
			case m := <-got:
				held = append(held, m)
			case <-ctx.Done():
				t.Fatalf("%d of %d messages arrived before any acknowledgement, want %d", len(held), n, receiveMax)
			}
		}
		select {
		case m := <-got:
			t.Fatalf("message %q arrived beyond the Receive Maximum of %d with none acknowledged", m.Payload, receiveMax)
		case <-time.After(300 * time.Millisecond):
		}
		seen := map[string]bool{}
		for _, m := range held {
			seen[string(m.Payload)] = true
			m.Ack()
		}
		for len(seen) < n {
			select {
			case m := <-got:
				seen[string(m.Payload)] = true
				m.Ack()
			case <-ctx.Done():
				t.Fatalf("%d of %d messages arrived after the acknowledgements", len(seen), n)
			}
		}
	})
}
