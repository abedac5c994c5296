package middleware

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
)

func TestConcurrencyLimitsRunningHandlers(t *testing.T) {
	const limit, callers = 2, 6
	var running, peak atomic.Int32
	entered := make(chan struct{}, callers)
	release := make(chan struct{})
	mw := Concurrency(limit)
	// Two handlers wrapped by the same middleware share its slots.
	handlers := make([]mqttkit.Handler, 2)
	for i := range handlers {
		handlers[i] = mw(mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			entered <- struct{}{}
			<-release
			running.Add(-1)
			return nil
		}))
	}
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			if err := handlers[i%2].HandleMessage(context.Background(), msg("t")); err != nil {
				t.Error(err)
			}
		})
	}
	for range limit {
		<-entered
	}
	for range callers {
		release <- struct{}{}
	}
	wg.Wait()
	if p := peak.Load(); p != limit {
		t.Fatalf("at most %d handlers ran at once, want %d", p, limit)
	}
}

func TestConcurrencyWaitRespectsContext(t *testing.T) {
	mw := Concurrency(1)
	hold := make(chan struct{})
	entered := make(chan struct{})
	busy := mw(mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error {
		close(entered)
		<-hold
		return nil
	}))
	done := make(chan error, 1)
	go func() { done <- busy.HandleMessage(context.Background(), msg("t")) }()
	<-entered

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	err := mw(failing(&calls)).HandleMessage(ctx, msg("waiting/1"))
	if !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("err = %v after %d calls, want context.Canceled and no call", err, calls)
	}
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The slot is free again.
	if err := mw(failing(&calls)).HandleMessage(context.Background(), msg("t")); err != nil || calls != 1 {
		t.Fatalf("err = %v, calls = %d after the slot was freed", err, calls)
	}
}

// nopHandler is comparable, so a test can tell whether it was wrapped.
type nopHandler struct{}

func (*nopHandler) HandleMessage(context.Context, *mqttkit.Message) error { return nil }

func TestConcurrencyZeroIsUnlimited(t *testing.T) {
	h := &nopHandler{}
	if got := Concurrency(0)(h); got != mqttkit.Handler(h) {
		t.Fatal("Concurrency(0) wrapped the handler")
	}
}

func TestRateLimit(t *testing.T) {
	clk := newFakeClock()
	calls := 0
	h := rateLimit(10, 2, clk)(failing(&calls))
	call := func() {
		t.Helper()
		if err := h.HandleMessage(context.Background(), msg("t")); err != nil {
			t.Fatal(err)
		}
	}
	call()
	call() // the burst
	if s := clk.Sleeps(); len(s) != 0 {
		t.Fatalf("waited %v within the burst", s)
	}
	call() // 1/10 s for the next token
	call()
	want := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}
	if s := clk.Sleeps(); !slices.Equal(s, want) {
		t.Fatalf("waits = %v, want %v", s, want)
	}
	clk.Advance(time.Hour) // refills only up to the burst
	call()
	call()
	call()
	want = append(want, 100*time.Millisecond)
	if s := clk.Sleeps(); !slices.Equal(s, want) {
		t.Fatalf("waits after a long pause = %v, want %v", s, want)
	}
	if calls != 7 {
		t.Fatalf("%d calls, want 7", calls)
	}
}

// A caller that gives up waiting returns its token.
func TestRateLimitWaitRespectsContext(t *testing.T) {
	clk := newFakeClock()
	calls := 0
	h := rateLimit(10, 1, clk)(failing(&calls))
	if err := h.HandleMessage(context.Background(), msg("t")); err != nil {
		t.Fatal(err)
	}
	clk.sleepErr = context.DeadlineExceeded
	err := h.HandleMessage(context.Background(), msg("late/1"))
	if !errors.Is(err, context.DeadlineExceeded) || calls != 1 {
		t.Fatalf("err = %v, calls = %d; want DeadlineExceeded and no call", err, calls)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.HandleMessage(canceled, msg("t")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v with a canceled context", err)
	}
	clk.sleepErr = nil
	if err := h.HandleMessage(context.Background(), msg("t")); err != nil {
		t.Fatal(err)
	}
	// One token of debt (100ms), not two: the abandoned wait gave its token back.
	if s := clk.Sleeps(); !slices.Equal(s, []time.Duration{100 * time.Millisecond}) {
		t.Fatalf("waits = %v, want [100ms]", s)
	}
}

func TestRateLimitZeroIsUnlimited(t *testing.T) {
	h := &nopHandler{}
	if got := RateLimit(0, 5)(h); got != mqttkit.Handler(h) {
		t.Fatal("RateLimit(0, …) wrapped the handler")
	}
}

// On the real clock, many concurrent callers all get through (-race).
func TestRateLimitConcurrent(t *testing.T) {
	var calls atomic.Int32
	h := RateLimit(1e6, 1000)(mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error {
		calls.Add(1)
		return nil
	}))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if err := h.HandleMessage(context.Background(), msg("t")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n != 800 {
		t.Fatalf("%d calls, want 800", n)
	}
}
