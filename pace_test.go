package mqttkit_test

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// Publishers faster than their subscriber are paced by the embedded broker
// instead of overflowing the subscriber's session: with a session queue of
// 64 messages, a Receive Maximum of 8 and a handler that takes 1 ms, 2
// publishers sending 300 messages each as fast as they can lose none
// (docs/BROKER.md, item 16), at once and again after the subscriber was
// idle for longer than the broker waits for a stalled one (its last
// acknowledgement is then old, which must not count as a stall). Mosquitto
// drops what exceeds its queue by design, so this runs on the embedded
// broker only.
func TestSlowSubscriberPacesPublishers(t *testing.T) {
	const perPublisher = 300
	srv := mqtttest.NewBroker(t, mqtttest.WithMaxQueued(64), mqtttest.WithoutPersistence())
	var mu sync.Mutex
	seen := map[string]bool{}
	h := mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
		time.Sleep(time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		seen[string(m.Payload)] = true
		return nil
	})
	dial(t, srv, mqttkit.WithReceiveMaximum(8), mqttkit.WithSubscription("pace/t", h, mqttkit.AtLeastOnce))
	pubs := []*mqttkit.Client{dialURL(t, srv.DirectURL()), dialURL(t, srv.DirectURL())}
	ctx := testCtx(t, 120*time.Second)
	for round, idle := range []time.Duration{0, 11 * time.Second} {
		time.Sleep(idle)
		var wg sync.WaitGroup
		for p, pub := range pubs {
			wg.Go(func() {
				results := make([]*mqttkit.PublishResult, perPublisher)
				for i := range results {
					payload := fmt.Sprintf("%d/%d/%d", round, p, i)
					results[i] = pub.PublishAsync(ctx, "pace/t", []byte(payload), mqttkit.QoS1)
				}
				for i, r := range results {
					if err := r.Wait(ctx); err != nil {
						t.Errorf("round %d, publisher %d, message %d: %v", round, p, i, err)
						return
					}
				}
			})
		}
		wg.Wait()
		want := (round + 1) * len(pubs) * perPublisher
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			n := len(seen)
			mu.Unlock()
			if n == want {
				break
			}
			if d := srv.Server().Stats().MessagesDropped; d != 0 || time.Now().After(deadline) {
				t.Fatalf("round %d (after %v idle): the subscriber got %d of %d messages; the broker dropped %d", round, idle, n, want, d)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// A subscriber that acknowledges nothing (a handler stuck with ManualAck)
// holds its publishers up for at most 10 s: then the broker stops waiting
// for it, says so, and drops what exceeds its session's queue.
func TestStuckSubscriberReleasesPublishers(t *testing.T) {
	var logs mqtttest.LogBuffer
	srv := mqtttest.NewBroker(t, mqtttest.WithMaxQueued(16), mqtttest.WithoutPersistence(),
		mqtttest.WithBrokerConfig(func(c *broker.Config) {
			c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		}))
	never := mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error { return nil })
	dial(t, srv, mqttkit.WithReceiveMaximum(4), mqttkit.WithSubscription("stuck/t", never, mqttkit.AtLeastOnce, mqttkit.ManualAck()))
	pub := dialURL(t, srv.DirectURL())
	ctx := testCtx(t, 60*time.Second)
	start := time.Now()
	for i := range 40 {
		if err := pub.Publish(ctx, "stuck/t", []byte(strconv.Itoa(i)), mqttkit.QoS1); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	t.Logf("40 publishes took %v", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(logs.String(), "publishers no longer wait for it") {
		t.Fatalf("the broker did not say it stopped waiting for the stuck subscriber:\n%s", logs.String())
	}
	if d := srv.Server().Stats().MessagesDropped; d == 0 {
		t.Fatal("no message dropped: 40 messages cannot fit a session queue of 16")
	}
}

// In a consumer group, a member that stopped acknowledging (a stuck
// handler) gets nothing new once half its session's queue is
// unacknowledged: the others get the rest, and publishers neither wait for
// it nor lose messages to its full queue (docs/BROKER.md, item 2).
func TestGroupSkipsStuckMember(t *testing.T) {
	const n = 200
	var logs mqtttest.LogBuffer
	srv := mqtttest.NewBroker(t, mqtttest.WithMaxQueued(64), mqtttest.WithoutPersistence(),
		mqtttest.WithBrokerConfig(func(c *broker.Config) {
			c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		}))
	var held atomic.Int64
	stuck := mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error { held.Add(1); return nil })
	dial(t, srv, mqttkit.WithClientID("member-stuck"), mqttkit.WithReceiveMaximum(4),
		mqttkit.WithSubscription("grp/t", stuck, mqttkit.AtLeastOnce, mqttkit.Group("g"), mqttkit.ManualAck()))
	healthy := newCollector(n)
	dial(t, srv, mqttkit.WithClientID("member-healthy"),
		mqttkit.WithSubscription("grp/t", healthy, mqttkit.AtLeastOnce, mqttkit.Group("g")))
	pub := dialURL(t, srv.DirectURL())
	ctx := testCtx(t, 60*time.Second)
	for i := range n {
		if err := pub.Publish(ctx, "grp/t", []byte(strconv.Itoa(i)), mqttkit.QoS1); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	// The stuck member holds at most half its queue of 64.
	for got := 0; got < n-32; got++ {
		select {
		case <-healthy.ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("the healthy member got %d of at least %d messages; the stuck one %d", got, n-32, held.Load())
		}
	}
	if d := srv.Server().Stats().MessagesDropped; d != 0 {
		t.Fatalf("the broker dropped %d messages", d)
	}
	if strings.Contains(logs.String(), "publishers no longer wait") {
		t.Fatalf("publishers waited for the stuck member:\n%s", logs.String())
	}
}
