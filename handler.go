package mqttkit

import "context"

// Handler processes one message. Returning nil acknowledges it (PUBACK or
// PUBREC is sent once the handler returns, in arrival order); returning an
// error leaves the decision to the error policy (middleware), since MQTT has
// no negative acknowledgement.
type Handler interface {
	HandleMessage(ctx context.Context, m *Message) error
}

// HandlerFunc adapts a function to Handler, like http.HandlerFunc.
type HandlerFunc func(ctx context.Context, m *Message) error

// HandleMessage calls f(ctx, m).
func (f HandlerFunc) HandleMessage(ctx context.Context, m *Message) error { return f(ctx, m) }

// Middleware wraps a Handler with behaviour such as retries or timeouts.
type Middleware func(Handler) Handler

// Chain wraps h with mws so that mws[0] is the outermost.
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}
