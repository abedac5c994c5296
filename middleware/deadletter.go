package middleware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// The user properties DeadLetter adds to a dead letter. They replace
// properties of the same name the failed message carried, so a message that
// fails again after being replayed from the dead-letter topic carries only
// its latest failure.
const (
	ErrorProperty         = "mqttkit-error"          // the handler's error text
	OriginalTopicProperty = "mqttkit-original-topic" // the topic the message arrived on
	AttemptsProperty      = "mqttkit-attempts"       // handler calls made, when Retry counted them
)

// maxErrorText bounds the error text in a dead letter, so that a huge error
// cannot push the dead letter over the server's Maximum Packet Size.
const maxErrorText = 4096

// Publisher sends a message; DeadLetter uses it to publish dead letters.
// It takes the whole message so that the payload and the properties of the
// failed message (content type, correlation data, response topic, user
// properties) travel with it. *mqttkit.Client is a Publisher.
type Publisher interface {
	PublishMessage(ctx context.Context, m *mqttkit.Message) error
}

// DeadLetterOption configures DeadLetter.
type DeadLetterOption func(*deadLetterConfig)

type deadLetterConfig struct {
	qos    mqttkit.QoS
	logger *slog.Logger
}

// DeadLetterQoS sets the QoS of dead letters (default QoS 1, so that a dead
// letter is not lost on its way to the broker).
func DeadLetterQoS(q mqttkit.QoS) DeadLetterOption {
	return func(c *deadLetterConfig) { c.qos = q }
}

// DeadLetterLogger sets where each dead letter is logged at level Warn
// (default slog.Default()).
func DeadLetterLogger(l *slog.Logger) DeadLetterOption {
	return func(c *deadLetterConfig) { c.logger = l }
}

// DeadLetter publishes a message whose handler failed to topic, then returns
// nil so that the message is acked and the subscription moves on: since MQTT
// has no negative acknowledgement, an unacked message would otherwise wait
// for a reconnect and come back to fail again.
//
// The dead letter keeps the payload, payload format, content type,
// correlation data, response topic and user properties of the failed
// message, and adds ErrorProperty, OriginalTopicProperty and, when a Retry
// inside reported it, AttemptsProperty. If publishing the dead letter fails,
// or the context is already done (the client is shutting down), DeadLetter
// returns an error, and the subscription's ErrorPolicy decides: under
// RedeliverOnError the message stays unacknowledged and comes back after a
// reconnect; under the default AckOnError it is acknowledged, logged and
// counted, which loses it. Subscribe with OnError(RedeliverOnError) when a
// message must survive a dead-letter topic that is unavailable.
//
// Put DeadLetter outside Retry, so that only the final error is parked.
func DeadLetter(pub Publisher, topic string, opts ...DeadLetterOption) mqttkit.Middleware {
	c := deadLetterConfig{qos: mqttkit.QoS1, logger: slog.Default()}
	for _, o := range opts {
		o(&c)
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	configErr := checkDeadLetterConfig(pub, topic, c.qos)
	return func(next mqttkit.Handler) mqttkit.Handler {
		return mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
			err := next.HandleMessage(ctx, m)
			if err == nil || ctx.Err() != nil {
				return err
			}
			if configErr != nil {
				return fmt.Errorf("%w (handler error: %w)", configErr, err)
			}
			dl := deadLetter(m, topic, c.qos, err)
			if perr := pub.PublishMessage(ctx, dl); perr != nil {
				return fmt.Errorf("middleware: publishing the failed message from %q to dead-letter topic %q failed: %w (handler error: %w)", m.Topic, topic, perr, err)
			}
			c.logger.WarnContext(ctx, "mqttkit message dead-lettered",
				slog.String("topic", m.Topic), slog.String("dead_letter_topic", topic), slog.String("error", err.Error()))
			return nil
		})
	}
}

// checkDeadLetterConfig catches a DeadLetter call that can never publish.
func checkDeadLetterConfig(pub Publisher, topic string, qos mqttkit.QoS) error {
	bad := func(why string) error {
		return fmt.Errorf("middleware: DeadLetter(%q) %s; fix the DeadLetter call", topic, why)
	}
	if err := packet.ValidateTopicName(topic); err != nil {
		return bad(fmt.Sprintf("has an invalid topic: %v", err))
	}
	switch {
	case pub == nil:
		return bad("has a nil Publisher")
	case qos > mqttkit.QoS2:
		return bad(fmt.Sprintf("has QoS %d; use 0, 1 or 2", qos))
	}
	return nil
}

// deadLetter builds the message to publish for m, which failed with err.
func deadLetter(m *mqttkit.Message, topic string, qos mqttkit.QoS, err error) *mqttkit.Message {
	in := &m.Properties
	kept := packet.PropertySet(0).With(packet.PropPayloadFormatIndicator).With(packet.PropContentType).
		With(packet.PropResponseTopic).With(packet.PropCorrelationData)
	props := packet.Properties{
		Present:                in.Present & kept,
		PayloadFormatIndicator: in.PayloadFormatIndicator,
		ContentType:            in.ContentType,
		ResponseTopic:          in.ResponseTopic,
		CorrelationData:        in.CorrelationData,
		UserProperties:         make([]packet.UserProperty, 0, len(in.UserProperties)+3),
	}
	for _, p := range in.UserProperties {
		if p.Key != ErrorProperty && p.Key != OriginalTopicProperty && p.Key != AttemptsProperty {
			props.UserProperties = append(props.UserProperties, p)
		}
	}
	props.UserProperties = append(props.UserProperties,
		packet.UserProperty{Key: ErrorProperty, Value: errorText(err)},
		packet.UserProperty{Key: OriginalTopicProperty, Value: m.Topic})
	var re *RetryError
	if errors.As(err, &re) {
		props.UserProperties = append(props.UserProperties,
			packet.UserProperty{Key: AttemptsProperty, Value: strconv.Itoa(re.Attempts)})
	}
	return &mqttkit.Message{Topic: topic, Payload: m.Payload, QoS: qos, Properties: props}
}

// errorText is err's text made fit for an MQTT UTF-8 string: valid UTF-8,
// no U+0000, at most maxErrorText bytes.
func errorText(err error) string {
	s := strings.ToValidUTF8(err.Error(), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) <= maxErrorText {
		return s
	}
	const ellipsis = "…"
	cut := maxErrorText - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
