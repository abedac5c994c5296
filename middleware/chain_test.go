package middleware

import (
	"context"
	"strings"
	"testing"

	"github.com/mqttkit/mqttkit"
)

// The recommended order: a panicking handler is retried, then parked once;
// a redelivery of the parked message is skipped, not parked again.
func TestRecommendedChain(t *testing.T) {
	pub := &recordingPublisher{}
	calls, dups := 0, 0
	h := mqttkit.Chain(mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error {
		calls++
		panic("nil pointer somewhere")
	}),
		Dedupe(NewMemoryStore(10, 0), OnDuplicate(func(context.Context, *mqttkit.Message, string) { dups++ })),
		DeadLetter(pub, "dlq", DeadLetterLogger(discardLogger)),
		testRetry(newFakeClock(), MaxAttempts(3)),
		Timeout(0),
		Recoverer(discardLogger),
	)
	for delivery := range 2 {
		if err := h.HandleMessage(context.Background(), withID("orders/9", "id-9")); err != nil {
			t.Fatalf("delivery %d: err = %v, want nil (parked, then skipped)", delivery, err)
		}
	}
	if calls != 3 || dups != 1 || len(pub.sent) != 1 {
		t.Fatalf("calls=%d duplicates=%d dead letters=%d; want 3, 1, 1", calls, dups, len(pub.sent))
	}
	got := userProps(pub.sent[0])
	if !strings.Contains(strings.Join(got, "\n"), "handler panicked: nil pointer somewhere") ||
		!strings.Contains(strings.Join(got, "\n"), AttemptsProperty+"=3") {
		t.Errorf("dead letter properties %q lack the panic or the attempts", got)
	}
}

func TestPropagateNilExtract(t *testing.T) {
	h := &nopHandler{}
	if got := Propagate(nil)(h); got != mqttkit.Handler(h) {
		t.Fatal("Propagate(nil) wrapped the handler")
	}
}
