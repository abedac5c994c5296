package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/mqttkit/mqttkit"
)

// PanicError is the error Recoverer returns for a handler that panicked, so
// that the error policy (Retry, DeadLetter) treats a panic like any other
// failure instead of the process dying with the message unacked.
type PanicError struct {
	Topic string // the topic of the message being handled
	Value any    // the value passed to panic
	Stack []byte // the stack of the panicking goroutine
}

// Error describes the panic without the stack, which Recoverer logs instead.
func (e *PanicError) Error() string {
	return fmt.Sprintf("middleware: handler panicked on topic %q: %v", e.Topic, e.Value)
}

// Unwrap returns the panic value when it is an error, so errors.Is sees it.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Recoverer turns a panic in the wrapped handler into a *PanicError and logs
// it with the stack at level Error through logger (slog.Default() when nil).
// Put it last in mqttkit.Chain, right around the handler, so that a panic is
// an error like any other for the middleware outside it: retried, then
// dead-lettered.
func Recoverer(logger *slog.Logger) mqttkit.Middleware {
	if logger == nil {
		logger = slog.Default()
	}
	return func(next mqttkit.Handler) mqttkit.Handler {
		return mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) (err error) {
			defer func() {
				if v := recover(); v != nil {
					pe := &PanicError{Topic: m.Topic, Value: v, Stack: debug.Stack()}
					logger.ErrorContext(ctx, "mqttkit handler panicked",
						slog.String("topic", m.Topic), slog.Any("panic", v), slog.String("stack", string(pe.Stack)))
					err = pe
				}
			}()
			return next.HandleMessage(ctx, m)
		})
	}
}
