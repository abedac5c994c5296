package middleware

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
)

// testRetry is Retry with a fake clock and the jitter switched off, so that
// every sleep is the backoff limit.
func testRetry(clk *fakeClock, opts ...RetryOption) mqttkit.Middleware {
	return Retry(append([]RetryOption{func(c *retryConfig) {
		c.clock = clk
		c.jitter = func(d time.Duration) time.Duration { return d }
	}}, opts...)...)
}

func TestRetry(t *testing.T) {
	transient := errors.New("transient")
	permanent := errors.New("bad payload")
	tests := []struct {
		name      string
		opts      []RetryOption
		errs      []error // the handler fails with these, then succeeds
		wantCalls int
		wantErr   error // nil: success
		wantTries int   // RetryError.Attempts when wantErr is set
		wantSleep []time.Duration
	}{
		{name: "success at once", wantCalls: 1},
		{name: "two failures then success", errs: []error{transient, transient}, wantCalls: 3,
			wantSleep: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}},
		{name: "always failing exhausts attempts", errs: []error{transient, transient, transient, transient},
			wantCalls: 3, wantErr: transient, wantTries: 3,
			wantSleep: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}},
		{name: "permanent is not retried", errs: []error{fmt.Errorf("decoding: %w", Permanent(permanent))},
			wantCalls: 1, wantErr: permanent, wantTries: 1},
		{name: "no route is not retried", errs: []error{fmt.Errorf("routing: %w", mqttkit.ErrNoRoute)},
			wantCalls: 1, wantErr: mqttkit.ErrNoRoute, wantTries: 1},
		{name: "max attempts 1", opts: []RetryOption{MaxAttempts(1)}, errs: []error{transient},
			wantCalls: 1, wantErr: transient, wantTries: 1},
		{name: "max attempts below 1 means 1", opts: []RetryOption{MaxAttempts(-5)}, errs: []error{transient},
			wantCalls: 1, wantErr: transient, wantTries: 1},
		{name: "custom predicate refuses", opts: []RetryOption{RetryIf(func(err error) bool { return !errors.Is(err, transient) })},
			errs: []error{transient}, wantCalls: 1, wantErr: transient, wantTries: 1},
		{name: "nil predicate keeps the default", opts: []RetryOption{RetryIf(nil)}, errs: []error{Permanent(permanent)},
			wantCalls: 1, wantErr: permanent, wantTries: 1},
		{name: "custom predicate allows permanent", opts: []RetryOption{RetryIf(func(error) bool { return true })},
			errs: []error{Permanent(permanent)}, wantCalls: 2, wantSleep: []time.Duration{100 * time.Millisecond}},
		{name: "backoff doubles up to max", opts: []RetryOption{MaxAttempts(6), Backoff(10*time.Millisecond, 50*time.Millisecond)},
			errs: slices.Repeat([]error{transient}, 6), wantCalls: 6, wantErr: transient, wantTries: 6,
			wantSleep: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond}},
		{name: "max below initial is raised to initial", opts: []RetryOption{Backoff(30*time.Millisecond, time.Millisecond)},
			errs: []error{transient, transient}, wantCalls: 3,
			wantSleep: []time.Duration{30 * time.Millisecond, 30 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			calls := 0
			err := testRetry(clk, tt.opts...)(failing(&calls, tt.errs...)).HandleMessage(context.Background(), msg("t"))
			if calls != tt.wantCalls {
				t.Errorf("handler called %d times, want %d", calls, tt.wantCalls)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
			} else {
				var re *RetryError
				if !errors.As(err, &re) || !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want a *RetryError wrapping %v", err, tt.wantErr)
				}
				if re.Attempts != tt.wantTries || re.Interrupted != nil {
					t.Errorf("Attempts = %d, Interrupted = %v; want %d, nil", re.Attempts, re.Interrupted, tt.wantTries)
				}
			}
			if got := clk.Sleeps(); !slices.Equal(got, tt.wantSleep) {
				t.Errorf("slept %v, want %v", got, tt.wantSleep)
			}
		})
	}
}

func TestFullJitterStaysWithinLimit(t *testing.T) {
	if d := fullJitter(0); d != 0 {
		t.Fatalf("fullJitter(0) = %v", d)
	}
	const limit = 1000 * time.Nanosecond
	seen := map[time.Duration]bool{}
	for range 2000 {
		d := fullJitter(limit)
		if d < 0 || d > limit {
			t.Fatalf("fullJitter(%v) = %v, outside [0, limit]", limit, d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Errorf("2000 draws gave only %d distinct waits; the jitter is not random", len(seen))
	}
}

// A context that ends during the backoff stops the retries at once, on the
// real clock, with an hour-long backoff that would otherwise hang the test.
func TestRetryStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := make(chan struct{}, 10)
	h := Retry(Backoff(time.Hour, time.Hour), MaxAttempts(5))(mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error {
		calls <- struct{}{}
		return errors.New("down")
	}))
	done := make(chan error, 1)
	go func() { done <- h.HandleMessage(ctx, msg("t")) }()
	<-calls
	cancel()
	select {
	case err := <-done:
		var re *RetryError
		if !errors.As(err, &re) || re.Attempts != 1 || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want a *RetryError after 1 attempt wrapping context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Retry kept waiting after the context was canceled")
	}
	if n := len(calls); n != 0 {
		t.Errorf("%d more attempts after the cancel", n)
	}
}

// A handler that fails because the context ended is not retried.
func TestRetryDoesNotRetryAfterContextEnded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clk := newFakeClock()
	calls := 0
	h := testRetry(clk)(mqttkit.HandlerFunc(func(ctx context.Context, _ *mqttkit.Message) error {
		calls++
		cancel()
		return ctx.Err()
	}))
	err := h.HandleMessage(ctx, msg("t"))
	var re *RetryError
	if !errors.As(err, &re) || re.Interrupted == nil || calls != 1 {
		t.Fatalf("err = %v after %d calls, want an interrupted *RetryError after 1 call", err, calls)
	}
	if len(clk.Sleeps()) != 0 {
		t.Errorf("slept %v after the context ended", clk.Sleeps())
	}
}
