package middleware

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
)

// The cost each middleware adds to a message that succeeds at once.
func BenchmarkMiddleware(b *testing.B) {
	nop := mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error { return nil })
	cases := []struct {
		name string
		mw   mqttkit.Middleware
	}{
		{"Recoverer", Recoverer(discardLogger)},
		{"Retry", Retry()},
		{"Timeout", Timeout(time.Minute)},
		{"DeadLetter", DeadLetter(&recordingPublisher{}, "dlq")},
		{"CorrelationID", CorrelationID()},
		{"Concurrency", Concurrency(8)},
		{"RateLimit", RateLimit(1e12, 1<<30)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			h := c.mw(nop)
			m := withID("t", "id")
			m.Properties.CorrelationData = []byte("corr")
			b.ReportAllocs()
			for b.Loop() {
				if err := h.HandleMessage(context.Background(), m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("Dedupe", func(b *testing.B) {
		h := Dedupe(NewMemoryStore(1<<16, time.Hour))(nop)
		ids := make([]*mqttkit.Message, 1<<10)
		for i := range ids {
			ids[i] = withID("t", strconv.Itoa(i))
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := h.HandleMessage(context.Background(), ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
