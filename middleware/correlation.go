package middleware

import (
	"context"
	"slices"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// CorrelationIDProperty is the user property CorrelationID reads when a
// message has no Correlation Data, for publishers that tag messages for
// tracing without making them requests.
const CorrelationIDProperty = "mqttkit-correlation-id"

type correlationKey struct{}

// CorrelationID puts the message's correlation id into the handler's
// context, where CorrelationIDFrom finds it for logs and outgoing calls: the
// MQTT v5 Correlation Data when present, otherwise the CorrelationIDProperty
// user property. Messages with neither pass through unchanged.
func CorrelationID() mqttkit.Middleware {
	return func(next mqttkit.Handler) mqttkit.Handler {
		return mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
			id := string(m.Properties.CorrelationData)
			if id == "" {
				id, _ = m.UserProperty(CorrelationIDProperty)
			}
			if id != "" {
				ctx = context.WithValue(ctx, correlationKey{}, id)
			}
			return next.HandleMessage(ctx, m)
		})
	}
}

// CorrelationIDFrom returns the correlation id CorrelationID put into ctx.
// Correlation Data is binary in MQTT; it is returned as its raw bytes.
func CorrelationIDFrom(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(correlationKey{}).(string)
	return id, ok
}

// Propagate calls extract with the message's user properties before the
// handler runs and hands the handler the context extract returns (a nil
// extract changes nothing). It is the
// hook for trace propagation (W3C traceparent and the like) without a
// dependency on a tracing library; with OpenTelemetry:
//
//	prop := otel.GetTextMapPropagator()
//	mw := middleware.Propagate(func(ctx context.Context, c middleware.PropertyCarrier) context.Context {
//		return prop.Extract(ctx, c)
//	})
func Propagate(extract func(ctx context.Context, c PropertyCarrier) context.Context) mqttkit.Middleware {
	return func(next mqttkit.Handler) mqttkit.Handler {
		if extract == nil {
			return next
		}
		return mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
			return next.HandleMessage(extract(ctx, PropertyCarrier{&m.Properties}), m)
		})
	}
}

// PropertyCarrier exposes MQTT user properties as a text map, with the method
// set of OpenTelemetry's propagation.TextMapCarrier: Propagate hands one to
// extract, and a publisher can inject into the Properties of an outgoing
// message with PropertyCarrier{&props}.
type PropertyCarrier struct {
	Properties *packet.Properties
}

// Get returns the value of the first user property named key, "" if none.
func (c PropertyCarrier) Get(key string) string {
	for _, p := range c.Properties.UserProperties {
		if p.Key == key {
			return p.Value
		}
	}
	return ""
}

// Set replaces the user properties named key with one holding value.
func (c PropertyCarrier) Set(key, value string) {
	ups := c.Properties.UserProperties[:0:0]
	for _, p := range c.Properties.UserProperties {
		if p.Key != key {
			ups = append(ups, p)
		}
	}
	c.Properties.UserProperties = append(ups, packet.UserProperty{Key: key, Value: value})
}

// Keys returns the names of the user properties, each once, in order.
func (c PropertyCarrier) Keys() []string {
	keys := make([]string, 0, len(c.Properties.UserProperties))
	for _, p := range c.Properties.UserProperties {
		if !slices.Contains(keys, p.Key) {
			keys = append(keys, p.Key)
		}
	}
	return keys
}
