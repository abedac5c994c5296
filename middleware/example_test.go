package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/middleware"
	"github.com/mqttkit/mqttkit/packet"
)

// printPublisher stands in for the client: it prints what it would publish.
type printPublisher struct{}

func (printPublisher) PublishMessage(_ context.Context, m *mqttkit.Message) error {
	fmt.Printf("published to %s: %s\n", m.Topic, m.Payload)
	for _, p := range m.Properties.UserProperties {
		fmt.Printf("  %s: %s\n", p.Key, p.Value)
	}
	return nil
}

// A consumer's error policy: retry in process, then park the message on a
// dead-letter topic and ack it.
func Example() {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	process := mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
		if _, err := strconv.Atoi(string(m.Payload)); err != nil {
			return middleware.Permanent(fmt.Errorf("payload is not a number: %w", err))
		}
		return nil
	})
	h := mqttkit.Chain(process,
		middleware.DeadLetter(printPublisher{}, "dlq/readings", middleware.DeadLetterLogger(logger)),
		middleware.Retry(middleware.MaxAttempts(5), middleware.Backoff(10*time.Millisecond, time.Second)),
		middleware.Timeout(5*time.Second),
		middleware.Recoverer(logger),
	)
	// The client calls h for every message; nil means the message is acked.
	err := h.HandleMessage(context.Background(), &mqttkit.Message{Topic: "readings/7", Payload: []byte("n/a")})
	fmt.Println("acked:", err == nil)
	// Output:
	// published to dlq/readings: n/a
	//   mqttkit-error: middleware: gave up after 1 attempt(s): payload is not a number: strconv.Atoi: parsing "n/a": invalid syntax
	//   mqttkit-original-topic: readings/7
	//   mqttkit-attempts: 1
	// acked: true
}

func ExampleDedupe() {
	var duplicates atomic.Int64
	h := middleware.Dedupe(middleware.NewMemoryStore(100_000, time.Hour),
		middleware.OnDuplicate(func(context.Context, *mqttkit.Message, string) { duplicates.Add(1) }),
	)(mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
		fmt.Printf("handling %s\n", m.Payload)
		return nil
	}))

	id := []packet.UserProperty{{Key: middleware.MessageIDProperty, Value: "0192f7c4-order-42"}}
	for range 3 { // the same message delivered three times
		m := &mqttkit.Message{Topic: "orders", Payload: []byte("order 42"), Properties: packet.Properties{UserProperties: id}}
		_ = h.HandleMessage(context.Background(), m)
	}
	fmt.Println("duplicates skipped:", duplicates.Load())
	// Output:
	// handling order 42
	// duplicates skipped: 2
}

func ExampleRetry() {
	calls := 0
	h := middleware.Retry(middleware.MaxAttempts(3), middleware.Backoff(time.Millisecond, 10*time.Millisecond))(
		mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error {
			calls++
			if calls < 3 {
				return errors.New("database busy")
			}
			return nil
		}))
	err := h.HandleMessage(context.Background(), &mqttkit.Message{Topic: "jobs"})
	fmt.Println(calls, err)
	// Output: 3 <nil>
}
