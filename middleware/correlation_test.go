package middleware

import (
	"context"
	"slices"
	"testing"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

func TestCorrelationID(t *testing.T) {
	tests := []struct {
		name   string
		props  packet.Properties
		want   string
		wantOK bool
	}{
		{name: "correlation data", props: packet.Properties{CorrelationData: []byte("req-1")}, want: "req-1", wantOK: true},
		{name: "user property", props: packet.Properties{UserProperties: []packet.UserProperty{{Key: CorrelationIDProperty, Value: "trace-9"}}},
			want: "trace-9", wantOK: true},
		{name: "correlation data wins", props: packet.Properties{CorrelationData: []byte("req-1"),
			UserProperties: []packet.UserProperty{{Key: CorrelationIDProperty, Value: "trace-9"}}}, want: "req-1", wantOK: true},
		{name: "none", props: packet.Properties{UserProperties: []packet.UserProperty{{Key: "other", Value: "x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			var ok bool
			h := CorrelationID()(mqttkit.HandlerFunc(func(ctx context.Context, _ *mqttkit.Message) error {
				got, ok = CorrelationIDFrom(ctx)
				return nil
			}))
			if err := h.HandleMessage(context.Background(), &mqttkit.Message{Topic: "t", Properties: tt.props}); err != nil {
				t.Fatal(err)
			}
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("CorrelationIDFrom = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

type traceKey struct{}

// Propagate hands the extractor the message's user properties and the
// handler the context it returns, the way an OpenTelemetry propagator works.
func TestPropagate(t *testing.T) {
	extract := func(ctx context.Context, c PropertyCarrier) context.Context {
		if tp := c.Get("traceparent"); tp != "" {
			return context.WithValue(ctx, traceKey{}, tp)
		}
		return ctx
	}
	var got any
	h := Propagate(extract)(mqttkit.HandlerFunc(func(ctx context.Context, _ *mqttkit.Message) error {
		got = ctx.Value(traceKey{})
		return nil
	}))
	m := &mqttkit.Message{Topic: "t", Properties: packet.Properties{UserProperties: []packet.UserProperty{
		{Key: "traceparent", Value: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}}}
	if err := h.HandleMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" {
		t.Fatalf("handler saw trace %v", got)
	}
}

func TestPropertyCarrier(t *testing.T) {
	props := packet.Properties{UserProperties: []packet.UserProperty{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "a", Value: "3"}}}
	original := slices.Clone(props.UserProperties)
	c := PropertyCarrier{&props}
	if got := c.Get("a"); got != "1" {
		t.Errorf("Get(a) = %q, want the first value 1", got)
	}
	if got := c.Get("missing"); got != "" {
		t.Errorf("Get(missing) = %q", got)
	}
	if got := c.Keys(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Keys() = %q, want [a b]", got)
	}
	c.Set("a", "new")
	c.Set("c", "4")
	want := []packet.UserProperty{{Key: "b", Value: "2"}, {Key: "a", Value: "new"}, {Key: "c", Value: "4"}}
	if !slices.Equal(props.UserProperties, want) {
		t.Errorf("after Set: %v, want %v", props.UserProperties, want)
	}
	if original[0].Value != "1" {
		t.Error("Set wrote through into the slice it replaced")
	}
}
