package mqtttest

import "github.com/mqttkit/mqttkit/broker"

// Option configures a broker started by NewBroker, Mosquitto or EachBroker.
// Every option applies to both brokers unless its doc says otherwise.
type Option func(*options)

type options struct {
	receiveMaximum uint16
	maxQueued      int
	users          []user
	dataDir        string
	noPersistence  bool
	debug          bool
	brokerConfig   func(*broker.Config)
}

type user struct{ name, password string }

func buildOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithReceiveMaximum sets the Receive Maximum the broker announces in
// CONNACK: how many unacknowledged QoS 1/2 publishes a client may have
// towards it. Mosquitto has no separate setting: this sets its
// max_inflight_messages, which it announces as Receive Maximum and which
// also bounds its own in-flight window towards each client. Defaults:
// 1024 embedded, 20 Mosquitto.
func WithReceiveMaximum(n uint16) Option {
	return func(o *options) { o.receiveMaximum = n }
}

// WithMaxQueued sets how many QoS 1/2 messages the broker keeps per session
// before dropping (embedded: Limits.MaxQueuedMessages; mosquitto:
// max_queued_messages). Default 8192 for both, so that a test does not lose
// messages to mosquitto's default of 1000 by accident.
func WithMaxQueued(n int) Option {
	return func(o *options) { o.maxQueued = n }
}

// WithUser adds a user; once any user is given, anonymous clients are
// refused.
func WithUser(name, password string) Option {
	return func(o *options) { o.users = append(o.users, user{name, password}) }
}

// WithDataDir keeps the broker's persistent state in dir instead of a fresh
// t.TempDir(), e.g. to start a second broker on the first one's state.
func WithDataDir(dir string) Option {
	return func(o *options) { o.dataDir = dir }
}

// WithoutPersistence keeps all state in memory: faster, but Restart then
// loses sessions, retained and queued messages.
func WithoutPersistence() Option {
	return func(o *options) { o.noPersistence = true }
}

// WithDebug logs everything the broker logs, not only warnings.
func WithDebug() Option {
	return func(o *options) { o.debug = true }
}

// WithBrokerConfig lets fn adjust the embedded broker's configuration after
// mqtttest has filled it in (address, logger, data dir, users), e.g. to set
// an ACL file or other limits. Embedded broker only: Mosquitto fails the
// test when given it, rather than run without what the test relies on.
func WithBrokerConfig(fn func(*broker.Config)) Option {
	return func(o *options) { o.brokerConfig = fn }
}
