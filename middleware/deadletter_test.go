package middleware

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// The client publishes dead letters without an adapter.
var _ Publisher = (*mqttkit.Client)(nil)

// recordingPublisher keeps what it is asked to publish, or fails with err.
type recordingPublisher struct {
	mu   sync.Mutex
	sent []*mqttkit.Message
	err  error
}

func (p *recordingPublisher) PublishMessage(_ context.Context, m *mqttkit.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.sent = append(p.sent, m)
	return nil
}

// richMessage has every property a dead letter must keep, and some it must not.
func richMessage() *mqttkit.Message {
	return &mqttkit.Message{
		Topic:   "orders/42/created",
		Payload: []byte(`{"id":42}`),
		QoS:     mqttkit.QoS2,
		Retain:  true,
		Properties: packet.Properties{
			Present: packet.PropertySet(0).With(packet.PropPayloadFormatIndicator).With(packet.PropContentType).
				With(packet.PropSubscriptionIdentifier).With(packet.PropMessageExpiryInterval),
			PayloadFormatIndicator:  1,
			ContentType:             "application/json",
			ResponseTopic:           "replies/7",
			CorrelationData:         []byte{0, 1, 2},
			MessageExpiryInterval:   60,
			SubscriptionIdentifiers: []uint32{5},
			UserProperties: []packet.UserProperty{
				{Key: "tenant", Value: "acme"},
				{Key: ErrorProperty, Value: "an older failure"},
				{Key: "tenant", Value: "second"},
			},
		},
	}
}

func userProps(m *mqttkit.Message) []string {
	var s []string
	for _, p := range m.Properties.UserProperties {
		s = append(s, p.Key+"="+p.Value)
	}
	return s
}

func TestDeadLetterPublishesFailedMessage(t *testing.T) {
	pub := &recordingPublisher{}
	handlerErr := errors.New("stock service down")
	h := DeadLetter(pub, "dlq/orders", DeadLetterLogger(discardLogger))(
		mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error { return handlerErr }))
	in := richMessage()
	if err := h.HandleMessage(context.Background(), in); err != nil {
		t.Fatalf("err = %v, want nil so that the message is acked", err)
	}
	if len(pub.sent) != 1 {
		t.Fatalf("published %d dead letters, want 1", len(pub.sent))
	}
	dl := pub.sent[0]
	if dl.Topic != "dlq/orders" || dl.QoS != mqttkit.QoS1 || dl.Retain || string(dl.Payload) != `{"id":42}` {
		t.Errorf("dead letter topic=%q qos=%d retain=%v payload=%q", dl.Topic, dl.QoS, dl.Retain, dl.Payload)
	}
	p := dl.Properties
	if p.PayloadFormatIndicator != 1 || p.ContentType != "application/json" || p.ResponseTopic != "replies/7" ||
		!slices.Equal(p.CorrelationData, []byte{0, 1, 2}) {
		t.Errorf("properties not kept: %+v", p)
	}
	if !p.Present.Has(packet.PropPayloadFormatIndicator) || !p.Present.Has(packet.PropContentType) {
		t.Errorf("Present lost kept properties: %b", p.Present)
	}
	if p.Present.Has(packet.PropSubscriptionIdentifier) || p.SubscriptionIdentifiers != nil ||
		p.Present.Has(packet.PropMessageExpiryInterval) || p.MessageExpiryInterval != 0 {
		t.Errorf("properties of the delivery leaked into the dead letter: %+v", p)
	}
	want := []string{"tenant=acme", "tenant=second", ErrorProperty + "=stock service down", OriginalTopicProperty + "=orders/42/created"}
	if got := userProps(dl); !slices.Equal(got, want) {
		t.Errorf("user properties = %q, want %q", got, want)
	}
	if got := userProps(in); len(got) != 3 {
		t.Errorf("the failed message's own properties were changed: %q", got)
	}
}

// With Retry inside, the dead letter says how many attempts failed: this is
// the "handler failing always ends in the dead-letter topic" case.
func TestDeadLetterAfterRetryCountsAttempts(t *testing.T) {
	pub := &recordingPublisher{}
	calls := 0
	h := mqttkit.Chain(mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error {
		calls++
		return fmt.Errorf("attempt %d failed", calls)
	}), DeadLetter(pub, "dlq", DeadLetterLogger(discardLogger)), testRetry(newFakeClock(), MaxAttempts(4)))
	if err := h.HandleMessage(context.Background(), msg("jobs/1")); err != nil {
		t.Fatalf("err = %v, want nil", err)
	}
	if calls != 4 || len(pub.sent) != 1 {
		t.Fatalf("%d calls, %d dead letters; want 4 and 1", calls, len(pub.sent))
	}
	got := userProps(pub.sent[0])
	want := []string{ErrorProperty + "=middleware: gave up after 4 attempt(s): attempt 4 failed",
		OriginalTopicProperty + "=jobs/1", AttemptsProperty + "=4"}
	if !slices.Equal(got, want) {
		t.Errorf("user properties = %q, want %q", got, want)
	}
}

func TestDeadLetterReturnsErrorWhenItCannotPark(t *testing.T) {
	handlerErr := errors.New("handler failed")
	publishErr := errors.New("not connected")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		pub     Publisher
		topic   string
		ctx     context.Context
		mention string // in the returned error
	}{
		{name: "publish fails", pub: &recordingPublisher{err: publishErr}, topic: "dlq", ctx: context.Background(), mention: "dead-letter topic \"dlq\" failed"},
		{name: "context done", pub: &recordingPublisher{}, topic: "dlq", ctx: canceled, mention: "handler failed"},
		{name: "nil publisher", topic: "dlq", ctx: context.Background(), mention: "nil Publisher"},
		{name: "empty topic", pub: &recordingPublisher{}, ctx: context.Background(), mention: "empty"},
		{name: "wildcard topic", pub: &recordingPublisher{}, topic: "dlq/#", ctx: context.Background(), mention: "wildcard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := DeadLetter(tt.pub, tt.topic, DeadLetterLogger(discardLogger))(
				mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error { return handlerErr }))
			err := h.HandleMessage(tt.ctx, msg("t"))
			if !errors.Is(err, handlerErr) || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("err = %v, want an error wrapping the handler error and mentioning %q", err, tt.mention)
			}
			if rp, ok := tt.pub.(*recordingPublisher); ok && len(rp.sent) != 0 {
				t.Errorf("published %d dead letters", len(rp.sent))
			}
			if tt.name == "publish fails" && !errors.Is(err, publishErr) {
				t.Errorf("err = %v does not wrap the publish error", err)
			}
		})
	}
}

func TestDeadLetterPassesSuccess(t *testing.T) {
	pub := &recordingPublisher{}
	h := DeadLetter(pub, "dlq")(mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error { return nil }))
	if err := h.HandleMessage(context.Background(), msg("t")); err != nil || len(pub.sent) != 0 {
		t.Fatalf("err = %v, %d dead letters; want nil and none", err, len(pub.sent))
	}
}

func TestDeadLetterQoS(t *testing.T) {
	pub := &recordingPublisher{}
	h := DeadLetter(pub, "dlq", DeadLetterQoS(mqttkit.QoS2), DeadLetterLogger(discardLogger))(
		mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error { return errors.New("x") }))
	if err := h.HandleMessage(context.Background(), msg("t")); err != nil || pub.sent[0].QoS != mqttkit.QoS2 {
		t.Fatalf("err = %v, want a QoS 2 dead letter", err)
	}
}

func TestErrorTextFitsMQTTString(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"short", "plain"},
		{"nul", "a\x00b"},
		{"invalid utf-8", "a\xffb"},
		{"long ascii", strings.Repeat("x", 3*maxErrorText)},
		{"long multibyte", strings.Repeat("é", maxErrorText)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := errorText(errors.New(tt.in))
			if !utf8.ValidString(got) || strings.ContainsRune(got, 0) || len(got) > maxErrorText {
				t.Fatalf("errorText(%.20q…) = %.40q… (%d bytes): not a valid MQTT string within %d bytes", tt.in, got, len(got), maxErrorText)
			}
			if len(tt.in) <= maxErrorText && utf8.ValidString(tt.in) && !strings.ContainsRune(tt.in, 0) && got != tt.in {
				t.Errorf("errorText changed a valid short text: %q", got)
			}
		})
	}
}
