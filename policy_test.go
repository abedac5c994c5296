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

// Members of a group share the messages, each handled once by the group;
// publishers publish to the plain topic.
func TestGroupSharesMessages(t *testing.T) {
	const n = 200
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 30*time.Second)
		l := newLedger()
		var perMember [2]atomic.Int64
		members := make([]*mqttkit.Client, 2)
		for i := range members {
			members[i] = dial(t, srv)
			h := mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
				perMember[i].Add(1)
				return l.HandleMessage(ctx, m)
			})
			if _, err := members[i].Subscribe(ctx, "sensors/+/temp", h, mqttkit.Group("billing")); err != nil {
				t.Fatal(err)
			}
			if got := members[i].Stats().Connects; got != 1 {
				t.Fatalf("member %d connected %d times, want 1: a Group subscription needs no reconnect", i, got)
			}
		}
		pub := dial(t, srv)
		ids := make([]int, n)
		for i := range n {
			ids[i] = i
			if err := pub.Publish(ctx, "sensors/"+string(rune('a'+i%5))+"/temp", []byte(itoa(i)), mqttkit.QoS1); err != nil {
				t.Fatal(err)
			}
		}
		missing, dups := l.waitAll(t, ids, 10*time.Second)
		if len(missing) > 0 || dups > 0 {
			t.Fatalf("%d missing, %d duplicates; each message must be handled once by the group", len(missing), dups)
		}
		t.Logf("split: %d / %d", perMember[0].Load(), perMember[1].Load())
		if perMember[0].Load() == 0 || perMember[1].Load() == 0 {
			t.Fatalf("split %d / %d: both members should get messages", perMember[0].Load(), perMember[1].Load())
		}
	})
}

// A handler's panic is recovered, counted and, under the default policy,
// the message acknowledged: nothing comes back after a reconnect.
func TestHandlerPanicRecovered(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		c := dial(t, srv, mqttkit.WithSessionExpiry(time.Minute))
		var calls atomic.Int64
		h := mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
			calls.Add(1)
			if string(m.Payload) == "boom" {
				panic("boom")
			}
			return errors.New("failed")
		})
		if _, err := c.Subscribe(ctx, "panic/t", h); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"boom", "fail"} {
			if err := c.Publish(ctx, "panic/t", []byte(p), mqttkit.QoS1); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for c.Stats().HandlerErrors < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("HandlerErrors = %d, want 2", c.Stats().HandlerErrors)
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // the acknowledgements leave after the count
		srv.DropClients()
		waitConnected(t, c)
		time.Sleep(300 * time.Millisecond)
		if n := calls.Load(); n != 2 {
			t.Fatalf("handler called %d times, want 2: failed messages are acknowledged by default", n)
		}
	})
}

// RedeliverOnError leaves a failed message unacknowledged and reconnects,
// so that the server sends it again.
func TestRedeliverOnError(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		c := dial(t, srv, mqttkit.WithClientID("redeliver-"+srv.Name()), mqttkit.WithSessionExpiry(time.Minute))
		var calls atomic.Int64
		done := make(chan struct{})
		h := mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
			if calls.Add(1) == 1 {
				return errors.New("transient")
			}
			close(done)
			return nil
		})
		if _, err := c.Subscribe(ctx, "redeliver/t", h, mqttkit.OnError(mqttkit.RedeliverOnError)); err != nil {
			t.Fatal(err)
		}
		if err := c.Publish(ctx, "redeliver/t", []byte("x"), mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		case <-ctx.Done():
			t.Fatalf("handler called %d times; the failed message was not redelivered", calls.Load())
		}
	})
}

// ManualAck: the handler acknowledges later; acknowledgements still leave
// in arrival order, and an unacknowledged message comes back after a
// reconnect with the session present.
func TestManualAck(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		c := dial(t, srv, mqttkit.WithClientID("manual-"+srv.Name()), mqttkit.WithSessionExpiry(time.Minute))
		got := make(chan *mqttkit.Message, 10)
		h := mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
			got <- m
			return nil
		})
		if _, err := c.Subscribe(ctx, "manual/t", h, mqttkit.ManualAck()); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"a", "b"} {
			if err := c.Publish(ctx, "manual/t", []byte(p), mqttkit.QoS1); err != nil {
				t.Fatal(err)
			}
		}
		first, second := <-got, <-got
		second.Ack() // held back behind first, which is never acked
		_ = first
		srv.DropClients()
		redelivered := map[string]bool{}
		timeout := time.After(10 * time.Second)
		for len(redelivered) < 2 {
			select {
			case m := <-got:
				redelivered[string(m.Payload)] = true
				m.Ack()
			case <-timeout:
				t.Fatalf("redelivered %v, want a and b: b's ack could not overtake a's", redelivered)
			}
		}
	})
}
