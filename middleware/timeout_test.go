package middleware

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
)

func TestTimeout(t *testing.T) {
	handlerErr := errors.New("handler failed")
	tests := []struct {
		name        string
		d           time.Duration
		handler     func(ctx context.Context) error
		wantTimeout bool
		wantErr     error
	}{
		{name: "handler waits past the deadline", d: time.Millisecond,
			handler:     func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
			wantTimeout: true, wantErr: context.DeadlineExceeded},
		{name: "cause is visible to the handler", d: time.Millisecond,
			handler: func(ctx context.Context) error {
				<-ctx.Done()
				if !errors.Is(context.Cause(ctx), ErrHandlerTimeout) {
					return errors.New("cause is not ErrHandlerTimeout")
				}
				return handlerErr
			},
			wantTimeout: true, wantErr: handlerErr},
		{name: "fast success", d: time.Hour,
			handler: func(ctx context.Context) error {
				if _, ok := ctx.Deadline(); !ok {
					return errors.New("no deadline set")
				}
				return nil
			}},
		{name: "fast failure is not a timeout", d: time.Hour,
			handler: func(context.Context) error { return handlerErr }, wantErr: handlerErr},
		{name: "late success is kept", d: time.Millisecond,
			handler: func(ctx context.Context) error { <-ctx.Done(); return nil }},
		{name: "zero means no deadline", d: 0,
			handler: func(ctx context.Context) error {
				if _, ok := ctx.Deadline(); ok {
					return errors.New("deadline set")
				}
				return nil
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Timeout(tt.d)(mqttkit.HandlerFunc(func(ctx context.Context, _ *mqttkit.Message) error { return tt.handler(ctx) }))
			err := h.HandleMessage(context.Background(), msg("slow/1"))
			if got := errors.Is(err, ErrHandlerTimeout); got != tt.wantTimeout {
				t.Errorf("err = %v; is ErrHandlerTimeout: %v, want %v", err, got, tt.wantTimeout)
			}
			if tt.wantErr == nil && err != nil {
				t.Errorf("err = %v, want nil", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.wantErr)
			}
		})
	}
}

// A parent context that ends first is the parent's business, not a timeout.
func TestTimeoutParentCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := Timeout(time.Hour)(mqttkit.HandlerFunc(func(ctx context.Context, _ *mqttkit.Message) error { return ctx.Err() }))
	err := h.HandleMessage(ctx, msg("t"))
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrHandlerTimeout) {
		t.Fatalf("err = %v, want context.Canceled and not ErrHandlerTimeout", err)
	}
}

// Inside Retry, every attempt gets its own deadline.
func TestTimeoutInsideRetry(t *testing.T) {
	calls := 0
	h := mqttkit.Chain(mqttkit.HandlerFunc(func(ctx context.Context, _ *mqttkit.Message) error {
		calls++
		if calls == 1 {
			<-ctx.Done()
			return ctx.Err()
		}
		return ctx.Err() // a fresh deadline: nil
	}), Retry(Backoff(0, 0)), Timeout(50*time.Millisecond))
	if err := h.HandleMessage(context.Background(), msg("t")); err != nil || calls != 2 {
		t.Fatalf("err = %v after %d calls, want nil after 2", err, calls)
	}
}
