package middleware

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mqttkit/mqttkit"
)

// ErrHandlerTimeout is wrapped by the error Timeout returns when the
// handler's deadline passed; it is also the context's cause
// (context.Cause) inside the handler.
var ErrHandlerTimeout = errors.New("middleware: handler timed out")

// Timeout gives each call of the handler a context that ends after d. When
// the deadline passed and the handler returns an error, Timeout returns an
// error that wraps both ErrHandlerTimeout and the handler's error.
//
// The handler runs on the caller's goroutine and must watch ctx: Timeout
// does not abandon a handler that ignores it, since the message must not be
// acked or redelivered while its handler still runs. A handler that finishes
// its work and returns nil after the deadline is not failed: its work is done
// and the message is acked. d <= 0 means no deadline.
func Timeout(d time.Duration) mqttkit.Middleware {
	return func(next mqttkit.Handler) mqttkit.Handler {
		if d <= 0 {
			return next
		}
		return mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
			ctx, cancel := context.WithTimeoutCause(ctx, d, ErrHandlerTimeout)
			defer cancel()
			err := next.HandleMessage(ctx, m)
			if err != nil && errors.Is(context.Cause(ctx), ErrHandlerTimeout) {
				return fmt.Errorf("%w after %v on topic %q; give the handler more time or make it faster: %w", ErrHandlerTimeout, d, m.Topic, err)
			}
			return err
		})
	}
}
