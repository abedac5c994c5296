package middleware

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mqttkit/mqttkit"
)

// Concurrency lets at most n handlers wrapped by the returned middleware run
// at once, across all workers and subscriptions it wraps, to protect a
// downstream (a database pool, an API) smaller than the worker pool. A
// message waits for a free slot, or fails with the context's error when ctx
// ends first. n <= 0 means no limit.
func Concurrency(n int) mqttkit.Middleware {
	if n <= 0 {
		return func(next mqttkit.Handler) mqttkit.Handler { return next }
	}
	slots := make(chan struct{}, n)
	return func(next mqttkit.Handler) mqttkit.Handler {
		return mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return fmt.Errorf("middleware: waiting for one of %d concurrency slots for topic %q: %w", n, m.Topic, ctx.Err())
			}
			defer func() { <-slots }()
			return next.HandleMessage(ctx, m)
		})
	}
}

// RateLimit lets the handlers it wraps start at most perSecond times a
// second on average, with bursts of up to burst (values below 1 mean 1), by
// a token bucket shared by everything the returned middleware wraps. A
// message waits for its token, or fails with the context's error when ctx
// ends first. perSecond <= 0 means no limit.
func RateLimit(perSecond float64, burst int) mqttkit.Middleware {
	return rateLimit(perSecond, burst, wallClock{})
}

func rateLimit(perSecond float64, burst int, clk clock) mqttkit.Middleware {
	if perSecond <= 0 {
		return func(next mqttkit.Handler) mqttkit.Handler { return next }
	}
	b := &tokenBucket{clock: clk, rate: perSecond, burst: float64(max(burst, 1))}
	b.tokens, b.last = b.burst, clk.Now()
	return func(next mqttkit.Handler) mqttkit.Handler {
		return mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
			if err := b.wait(ctx); err != nil {
				return fmt.Errorf("middleware: waiting for the rate limit (%g/s) for topic %q: %w", perSecond, m.Topic, err)
			}
			return next.HandleMessage(ctx, m)
		})
	}
}

// tokenBucket holds up to burst tokens and gains rate tokens a second. A
// caller takes a token at once, even into debt, and then sleeps until the
// debt is paid, so waiters are served in arrival order without a queue.
type tokenBucket struct {
	clock clock
	rate  float64
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func (b *tokenBucket) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	now := b.clock.Now()
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	b.tokens--
	debt := -b.tokens
	b.mu.Unlock()
	if debt <= 0 {
		return nil
	}
	if err := b.clock.Sleep(ctx, time.Duration(debt/b.rate*float64(time.Second))); err != nil {
		b.mu.Lock()
		b.tokens++ // give the token back: this caller does not run
		b.mu.Unlock()
		return err
	}
	return nil
}
