package middleware

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mqttkit/mqttkit"
)

// Permanent marks err as not worth retrying: Retry returns it at once. Use it
// for failures that will not go away, such as a payload that does not parse.
// The returned error reads like err and unwraps to it. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, came from Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// RetryError is what Retry returns when it gives up, so that the next layer
// (DeadLetter, logs) knows how many attempts were made.
type RetryError struct {
	Attempts int   // handler calls made, at least 1
	Err      error // the last handler error
	// Interrupted is the context error when the context ended before the
	// attempts were used up (the client is shutting down, or a deadline
	// passed), nil otherwise.
	Interrupted error
}

// Error says how many attempts failed and why.
func (e *RetryError) Error() string {
	if e.Interrupted != nil {
		return fmt.Sprintf("middleware: retry stopped after %d attempt(s) (%v): %v", e.Attempts, e.Interrupted, e.Err)
	}
	return fmt.Sprintf("middleware: gave up after %d attempt(s): %v", e.Attempts, e.Err)
}

// Unwrap returns the handler error and, if any, the context error, so that
// errors.Is(err, context.Canceled) tells a shutdown from a failure.
func (e *RetryError) Unwrap() []error {
	if e.Interrupted != nil {
		return []error{e.Err, e.Interrupted}
	}
	return []error{e.Err}
}

// RetryOption configures Retry.
type RetryOption func(*retryConfig)

type retryConfig struct {
	attempts  int
	initial   time.Duration
	max       time.Duration
	retryable func(error) bool
	clock     clock
	jitter    func(limit time.Duration) time.Duration
}

// MaxAttempts sets how many times the handler is called at most, the first
// call included (default 3; values below 1 mean 1).
func MaxAttempts(n int) RetryOption {
	return func(c *retryConfig) { c.attempts = max(n, 1) }
}

// Backoff sets the wait before the second attempt (default 100ms) and the
// most any wait can be (default 10s). The wait doubles after every attempt
// up to limit, and the actual wait is random between 0 and the limit ("full
// jitter"), so that members of a group that failed together do not retry in
// lockstep.
func Backoff(initial, limit time.Duration) RetryOption {
	return func(c *retryConfig) {
		c.initial = initial
		c.max = limit
	}
}

// RetryIf sets which errors are retried. The default retries every error
// except those from Permanent and mqttkit.ErrNoRoute (a topic that nothing
// handles will not gain a handler by waiting). A nil func keeps the default.
func RetryIf(retryable func(err error) bool) RetryOption {
	return func(c *retryConfig) {
		if retryable != nil {
			c.retryable = retryable
		}
	}
}

func defaultRetryable(err error) bool {
	return !IsPermanent(err) && !errors.Is(err, mqttkit.ErrNoRoute)
}

// Retry calls the handler again, after a backoff, when it fails with a
// retryable error, up to MaxAttempts calls. It returns nil as soon as an
// attempt succeeds; otherwise a *RetryError with the last error. It stops
// waiting as soon as ctx is done. Put Timeout inside Retry to give every
// attempt its own deadline.
//
// Retrying in process keeps the message unacked meanwhile, which holds one
// slot of the in-flight window; for long outages let the message go to a
// dead-letter topic instead of raising the attempts.
func Retry(opts ...RetryOption) mqttkit.Middleware {
	c := retryConfig{
		attempts:  3,
		initial:   100 * time.Millisecond,
		max:       10 * time.Second,
		retryable: defaultRetryable,
		clock:     wallClock{},
		jitter:    fullJitter,
	}
	for _, o := range opts {
		o(&c)
	}
	c.initial = max(c.initial, 0)
	c.max = max(c.max, c.initial)
	return func(next mqttkit.Handler) mqttkit.Handler {
		return mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
			for attempt := 1; ; attempt++ {
				err := next.HandleMessage(ctx, m)
				if err == nil {
					return nil
				}
				if ctx.Err() != nil {
					return &RetryError{Attempts: attempt, Err: err, Interrupted: ctx.Err()}
				}
				if attempt >= c.attempts || !c.retryable(err) {
					return &RetryError{Attempts: attempt, Err: err}
				}
				if serr := c.clock.Sleep(ctx, c.jitter(c.limit(attempt))); serr != nil {
					return &RetryError{Attempts: attempt, Err: err, Interrupted: serr}
				}
			}
		})
	}
}

// limit is the longest wait after the given failed attempt (1-based):
// initial, 2×initial, 4×initial, … capped at max.
func (c *retryConfig) limit(attempt int) time.Duration {
	d := c.initial
	for i := 1; i < attempt && d < c.max; i++ {
		d *= 2
	}
	return min(d, c.max)
}

// fullJitter returns a uniformly random duration in [0, limit].
func fullJitter(limit time.Duration) time.Duration {
	if limit <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(limit) + 1))
}
