package mqttkit

import (
	"io"
	"log/slog"
	"time"

	"github.com/mqttkit/mqttkit/internal/session"
	"github.com/mqttkit/mqttkit/internal/transport"
	"github.com/mqttkit/mqttkit/packet"
	"github.com/mqttkit/mqttkit/store"
)

// Option configures Dial. Options are grouped below by kind: servers and
// identity, session, limits, will, connection behaviour, observability.
type Option func(*config)

type config struct {
	servers []string

	clientID         string
	username         string
	password         []byte
	hasUsername      bool
	hasPassword      bool
	connectUserProps []packet.UserProperty

	cleanStart       bool
	cleanStartSet    bool
	sessionExpiry    uint32
	sessionExpirySet bool
	groupExpiry      uint32 // session expiry a Group subscription switches to

	keepAlive      time.Duration
	receiveMax     uint16
	maxPacketSize  uint32
	topicAliasMax  uint16 // inbound aliases the server may use
	outboundAlias  bool
	queueSize      int
	connectTimeout time.Duration
	backoffMin     time.Duration
	backoffMax     time.Duration
	dialOnce       bool

	will *Will

	tls       tlsSettings        // TLS and WebSocket options (tls.go)
	transport *transport.Options // built from tls by the first connect
	auth      Authenticator      // WithAuthenticator (auth.go)
	reauth    *reauth            // re-authentication state, made by the first connect

	state session.State
	store store.Store // WithStore
	subs  []subSpec   // WithSubscription

	logger           *slog.Logger
	onConnect        func(*Client, ConnectInfo)
	onConnectionLost func(*Client, error)
	onReconnect      func(*Client, ConnectInfo)
}

func defaultConfig() config {
	return config{
		cleanStart:     true,
		sessionExpiry:  60,
		groupExpiry:    3600,
		keepAlive:      30 * time.Second,
		receiveMax:     1024,
		queueSize:      10000,
		connectTimeout: 10 * time.Second,
		backoffMin:     100 * time.Millisecond,
		backoffMax:     10 * time.Second,
		logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// --- servers and identity ---

// WithServers adds server URLs (mqtt://, tcp://, mqtts://, tls://, ws:// or
// wss://host:port/path; several may be comma-separated) to those given to
// Dial. They are tried in turn on every connect and reconnect.
func WithServers(urls ...string) Option {
	return func(c *config) { c.servers = append(c.servers, urls...) }
}

// WithClientID sets the client identifier. Without it the client generates
// one ("mqttkit-" and random letters); a persistent session or a consumer
// group member that must resume its session after a restart needs a fixed
// one. An identifier the server assigns in CONNACK replaces it and is reused
// on every reconnect, so the session is resumed.
func WithClientID(id string) Option { return func(c *config) { c.clientID = id } }

// WithCredentials sets the user name and password sent in CONNECT. The
// password never appears in logs or errors. Credentials in the URL
// (mqtt://user:pass@host) are used when this option is absent.
func WithCredentials(username, password string) Option {
	return func(c *config) {
		c.username, c.hasUsername = username, true
		c.password, c.hasPassword = []byte(password), password != ""
	}
}

// WithConnectUserProperty adds a user property to CONNECT, for servers that
// route or authorise by them. Repeat it for several.
func WithConnectUserProperty(key, value string) Option {
	return func(c *config) {
		c.connectUserProps = append(c.connectUserProps, packet.UserProperty{Key: key, Value: value})
	}
}

// --- session ---

// WithCleanStart sets Clean Start for the first connection. Every reconnect
// asks to resume the session (Clean Start 0), whatever this says, so nothing
// in flight is lost to a network blip. Without this option the first
// connection starts a fresh session when WithClientID is given, and asks for
// Clean Start 0 when the client id is generated (there is no old session to
// resume) or when a WithSubscription has a Group (a consumer group member
// resumes its session): Mosquitto 2.0.11 does not keep, across its own
// restart, a session whose CONNECT had Clean Start 1.
func WithCleanStart(clean bool) Option {
	return func(c *config) { c.cleanStart, c.cleanStartSet = clean, true }
}

// WithSessionExpiry sets how long the server keeps the session after the
// connection ends (rounded down to seconds); 0 ends it with the connection.
// Without this option the client asks for 60 seconds, so that nothing in
// flight is lost when a connection drops and comes back, and ends the
// session on Close (DISCONNECT with expiry 0); a client with a Group
// subscription asks for one hour instead (in its first CONNECT when the
// Group is a WithSubscription, else as Group says) and keeps the session on
// Close, so that a consumer group member restarted with the same
// WithClientID resumes it. A value chosen here always wins, 0 included.
func WithSessionExpiry(d time.Duration) Option {
	return func(c *config) {
		c.sessionExpiry, c.sessionExpirySet = durationSeconds(d), true
	}
}

// WithSubscription subscribes filter with h as part of Dial, like Subscribe,
// but with the handler in place before the first CONNECT: a process that
// resumes a persistent session (fixed WithClientID, WithCleanStart(false))
// is sent the session's pending messages right after connecting, and only a
// handler registered by then receives them; with Subscribe after Dial they
// would be acknowledged unhandled (Stats.Unrouted). Dial fails if the
// subscription is refused.
func WithSubscription(filter string, h Handler, opts ...SubscribeOption) Option {
	return func(c *config) { c.subs = append(c.subs, subSpec{filter, h, opts}) }
}

// groupAtDial reports whether a WithSubscription joins a consumer group.
func (cfg *config) groupAtDial() bool {
	for _, sp := range cfg.subs {
		var sc subConfig
		for _, o := range sp.opts {
			o(&sc)
		}
		if sc.hasGroup {
			return true
		}
	}
	return false
}

type subSpec struct {
	filter string
	h      Handler
	opts   []SubscribeOption
}

// --- limits ---

// WithKeepAlive sets the keepalive interval (default 30 s, rounded to
// seconds; 0 turns it off). A Server Keep Alive in CONNACK overrides it.
// The client pings only when the connection was idle for three quarters of
// it and drops a connection whose PINGRESP does not come within half of it,
// so a half-open connection is detected within 1.25 times the keepalive,
// before the server's own timeout of 1.5 times.
func WithKeepAlive(d time.Duration) Option { return func(c *config) { c.keepAlive = d } }

// WithReceiveMaximum sets how many QoS 1 and 2 messages the server may send
// before the client acknowledges them (default 1024). It bounds the memory
// of unacknowledged messages. A server that exceeds it (Mosquitto 2.0.11
// does under load) is logged with the counts and read no further until a
// handler finishes; if none does within half the keepalive, the client
// disconnects with reason 0x93 (*ReceiveMaximumError).
func WithReceiveMaximum(n uint16) Option { return func(c *config) { c.receiveMax = max(n, 1) } }

// WithMaxPacketSize sets the largest packet the client accepts (default: no
// limit below the protocol's 256 MiB). The server drops larger messages
// instead of sending them; a server that sends one anyway is disconnected
// with reason 0x95.
func WithMaxPacketSize(n uint32) Option { return func(c *config) { c.maxPacketSize = n } }

// WithTopicAliasMaximum lets the server replace topic names by aliases, up
// to n of them (default 0: the server always sends the topic name).
func WithTopicAliasMaximum(n uint16) Option { return func(c *config) { c.topicAliasMax = n } }

// WithOutboundTopicAliases makes the client send each topic name once per
// connection and an alias afterwards, within the server's Topic Alias
// Maximum. It saves bandwidth for long topics published often; it is off by
// default, and the aliases start over on every connection.
func WithOutboundTopicAliases() Option { return func(c *config) { c.outboundAlias = true } }

// WithQueueSize bounds the PublishAsync messages held while disconnected or
// while the server's Receive Maximum is used up (default 10000). A full
// queue makes PublishAsync fail with ErrQueueFull; nothing is dropped.
func WithQueueSize(n int) Option { return func(c *config) { c.queueSize = max(n, 0) } }

// --- will ---

// Will is the message the server publishes when the client disappears
// without a DISCONNECT (or Delay after that, if it did not come back).
type Will struct {
	Topic   string
	Payload []byte
	QoS     QoS
	Retain  bool
	// Delay is the Will Delay Interval: the server waits this long before
	// publishing, and publishes nothing if the client reconnects in time.
	Delay time.Duration
	// Properties are the will properties: message expiry, content type,
	// payload format, response topic, correlation data, user properties.
	Properties packet.Properties
}

// WithWill sets the will message.
func WithWill(w Will) Option { return func(c *config) { c.will = &w } }

// --- connection behaviour ---

// WithConnectTimeout bounds one attempt to connect to one server, from the
// TCP dial to the CONNACK (default 10 s).
func WithConnectTimeout(d time.Duration) Option { return func(c *config) { c.connectTimeout = d } }

// WithBackoff sets the wait between connection attempts: exponential from
// min up to max, with full jitter (a random wait between 0 and the current
// bound), so that many clients reconnecting at once spread out. Defaults:
// 100 ms and 10 s.
func WithBackoff(min, max time.Duration) Option {
	return func(c *config) {
		c.backoffMin = min
		c.backoffMax = max
	}
}

// WithDialOnce makes Dial try each server once, in order, and return the
// last error at once instead of retrying until its context ends: for tools
// and start-up checks where a broker that is down should be an error now.
// The error unwraps to the last attempt's (errors.As finds a *ReasonError,
// errors.Is a syscall error). Once connected, the client reconnects with
// backoff as usual.
func WithDialOnce() Option { return func(c *config) { c.dialOnce = true } }

// --- observability ---

// WithLogger sets where the client logs connection changes, handler errors
// and protocol problems (default: nowhere). Secrets are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// ConnectInfo describes an established connection, for the hooks.
type ConnectInfo struct {
	Server         string // the URL connected to, without credentials
	ClientID       string // the identifier in use (assigned by the server or not)
	SessionPresent bool   // the server resumed the session
	// Connack is the server's CONNACK, with its limits and capabilities.
	Connack *packet.Connack
}

// OnConnect sets a function called after every successful connection,
// including the first, once the subscriptions to restore and the messages in
// flight were sent again (their acknowledgements may still be on the way).
// It runs on the client's connection goroutine: keep it short.
func OnConnect(f func(*Client, ConnectInfo)) Option { return func(c *config) { c.onConnect = f } }

// OnConnectionLost sets a function called when an established connection
// ends, with the reason (a *ReasonError for a server DISCONNECT,
// ErrKeepAliveTimeout, or a network error). The client reconnects by itself.
func OnConnectionLost(f func(*Client, error)) Option {
	return func(c *config) { c.onConnectionLost = f }
}

// OnReconnect sets a function called after every successful connection but
// the first.
func OnReconnect(f func(*Client, ConnectInfo)) Option { return func(c *config) { c.onReconnect = f } }

func durationSeconds(d time.Duration) uint32 {
	s := d / time.Second
	if s < 0 {
		return 0
	}
	if s > 1<<32-1 {
		return 1<<32 - 1
	}
	return uint32(s)
}
