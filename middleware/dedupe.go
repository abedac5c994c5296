package middleware

import (
	"context"
	"log/slog"
	"time"

	"github.com/mqttkit/mqttkit"
)

// MessageIDProperty is the user property that carries a message's unique id,
// which Dedupe uses by default to recognise a redelivered message. A
// publisher sets it with mqttkit.WithUserProperty(MessageIDProperty, id).
const MessageIDProperty = "mqttkit-id"

// Store remembers which messages were handled, for Dedupe. It is an
// interface so that members of a consumer group can share one store (Redis,
// a database) and recognise a message redelivered to another member;
// MemoryStore is the in-process one.
type Store interface {
	// Seen reports whether key was marked and the mark has not expired.
	Seen(ctx context.Context, key string) (bool, error)
	// Mark records that the message with key was handled.
	Mark(ctx context.Context, key string) error
}

// DedupeOption configures Dedupe.
type DedupeOption func(*dedupeConfig)

type dedupeConfig struct {
	key         func(m *mqttkit.Message) (string, bool)
	onDuplicate func(ctx context.Context, m *mqttkit.Message, key string)
	logger      *slog.Logger
}

// DedupeKey sets how a message's key is found (default: the value of the
// MessageIDProperty user property). A message for which key returns false
// is handled without deduplication. A nil key keeps the default.
func DedupeKey(key func(m *mqttkit.Message) (string, bool)) DedupeOption {
	return func(c *dedupeConfig) {
		if key != nil {
			c.key = key
		}
	}
}

// OnDuplicate sets a function called for every skipped duplicate, to count
// or report them (each is also logged at level Debug).
func OnDuplicate(f func(ctx context.Context, m *mqttkit.Message, key string)) DedupeOption {
	return func(c *dedupeConfig) { c.onDuplicate = f }
}

// DedupeLogger sets where Dedupe logs store failures (level Warn) and skipped
// duplicates (level Debug); the default is slog.Default().
func DedupeLogger(l *slog.Logger) DedupeOption {
	return func(c *dedupeConfig) { c.logger = l }
}

func messageID(m *mqttkit.Message) (string, bool) {
	id, ok := m.UserProperty(MessageIDProperty)
	return id, ok && id != ""
}

// Dedupe skips a message whose key store has seen: the handler is not
// called, OnDuplicate is, and Dedupe returns nil so that the duplicate is
// acked. A message is marked only after the handler returned nil, so a
// message that failed is handled again when it comes back. A nil store means
// NewMemoryStore(10000, time.Hour).
//
// Dedupe catches copies that arrive after the first one was handled (QoS 1
// redelivery after a reconnect, a publisher's retry). Two copies handled at
// the same moment can both pass; make the handler idempotent where that
// matters. When the store fails, Dedupe logs it and handles the message
// anyway: at-least-once delivery is kept, and a duplicate is possible.
func Dedupe(store Store, opts ...DedupeOption) mqttkit.Middleware {
	c := dedupeConfig{key: messageID, logger: slog.Default()}
	for _, o := range opts {
		o(&c)
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if store == nil {
		store = NewMemoryStore(10000, time.Hour)
	}
	return func(next mqttkit.Handler) mqttkit.Handler {
		return mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
			key, ok := c.key(m)
			if !ok {
				return next.HandleMessage(ctx, m)
			}
			seen, err := store.Seen(ctx, key)
			if err != nil {
				c.logger.WarnContext(ctx, "mqttkit dedupe store failed; handling the message anyway",
					slog.String("topic", m.Topic), slog.String("key", key), slog.String("error", err.Error()))
			}
			if seen {
				c.logger.DebugContext(ctx, "mqttkit duplicate message skipped", slog.String("topic", m.Topic), slog.String("key", key))
				if c.onDuplicate != nil {
					c.onDuplicate(ctx, m, key)
				}
				return nil
			}
			if err := next.HandleMessage(ctx, m); err != nil {
				return err
			}
			if err := store.Mark(ctx, key); err != nil {
				c.logger.WarnContext(ctx, "mqttkit dedupe store failed to mark a handled message; a redelivery would be handled again",
					slog.String("topic", m.Topic), slog.String("key", key), slog.String("error", err.Error()))
			}
			return nil
		})
	}
}
