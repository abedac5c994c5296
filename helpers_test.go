package mqttkit_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// testLogger logs the client's warnings and errors to t.Log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

// dial connects a client to srv and closes it at the end of the test.
func dial(t testing.TB, srv mqtttest.Server, opts ...mqttkit.Option) *mqttkit.Client {
	t.Helper()
	return dialURL(t, srv.URL(), opts...)
}

func dialURL(t testing.TB, url string, opts ...mqttkit.Option) *mqttkit.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts = append([]mqttkit.Option{mqttkit.WithLogger(testLogger(t)), mqttkit.WithBackoff(10*time.Millisecond, 200*time.Millisecond)}, opts...)
	c, err := mqttkit.Dial(ctx, url, opts...)
	if err != nil {
		t.Fatalf("Dial(%s): %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testCtx returns a context that ends with the test or after d.
func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// collector is a handler that sends every message to a channel.
type collector struct{ ch chan *mqttkit.Message }

func newCollector(n int) *collector { return &collector{ch: make(chan *mqttkit.Message, n)} }

func (c *collector) HandleMessage(_ context.Context, m *mqttkit.Message) error {
	c.ch <- m
	return nil
}

// next waits for the next message.
func (c *collector) next(t testing.TB) *mqttkit.Message {
	t.Helper()
	return receive(t, c.ch, "message")
}

// receive waits up to 10 s for a value from ch; what names it if none comes.
func receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10s", what)
		var zero T
		return zero
	}
}

// none checks that no message arrives within d.
func (c *collector) none(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case m := <-c.ch:
		t.Fatalf("unexpected message on %q: %q", m.Topic, m.Payload)
	case <-time.After(d):
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
