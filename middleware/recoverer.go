package middleware

import (
	"context"
	"log/slog"
	"runtime/debug"

	"github.com/mqttkit/mqttkit"
)

// Recoverer turns a panic in the wrapped handler into a *mqttkit.PanicError,
// the error the client's workers also make of a panic, and logs it with the
// topic and the stack at level Error through logger (slog.Default() when
// nil). Put it last in mqttkit.Chain, right around the handler, so that a
// panic is an error like any other for the middleware outside it: retried,
// then dead-lettered.
func Recoverer(logger *slog.Logger) mqttkit.Middleware {
	if logger == nil {
		logger = slog.Default()
	}
	return func(next mqttkit.Handler) mqttkit.Handler {
		return mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) (err error) {
			defer func() {
				if v := recover(); v != nil {
					pe := &mqttkit.PanicError{Value: v, Stack: debug.Stack()}
					logger.ErrorContext(ctx, "mqttkit handler panicked",
						slog.String("topic", m.Topic), slog.Any("panic", v), slog.String("stack", string(pe.Stack)))
					err = pe
				}
			}()
			return next.HandleMessage(ctx, m)
		})
	}
}
