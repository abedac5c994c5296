package mqttkit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/mqttkit/mqttkit/packet"
)

// SubscribeOption configures Subscribe.
type SubscribeOption func(*subConfig)

type subConfig struct {
	qos               QoS
	group             string
	hasGroup          bool
	noLocal           bool
	retainAsPublished bool
	retainHandling    byte
	workers           int
	unordered         bool
	manualAck         bool
	policy            ErrorPolicy
	more              []string
}

// Delivery guarantees of a subscription. The default is AtLeastOnce: a
// consumer that loses messages when a connection drops is rarely what anyone
// wants.
var (
	// AtMostOnce subscribes at QoS 0: nothing is acknowledged and nothing
	// is redelivered; a message in flight during a failure is lost.
	AtMostOnce SubscribeOption = func(s *subConfig) { s.qos = QoS0 }
	// AtLeastOnce subscribes at QoS 1: a message not acknowledged before a
	// failure is delivered again, so handlers may see duplicates.
	AtLeastOnce SubscribeOption = func(s *subConfig) { s.qos = QoS1 }
	// ExactlyOnce subscribes at QoS 2: the server delivers a message to
	// this client once, and the client calls the handler once, even across
	// reconnects with the session present.
	ExactlyOnce SubscribeOption = func(s *subConfig) { s.qos = QoS2 }
)

// Group makes the subscription a member of the consumer group name, a
// shared subscription ($share/name/filter): the server hands each message to
// one member of the group. Publishers publish to the plain topic, never to
// $share/…. A client without WithSessionExpiry switches to a one-hour
// session when it makes a Group subscription, so that the messages in
// flight to it survive a dropped connection and a restart with the same
// WithClientID: with WithSubscription from its first CONNECT; with
// Subscribe from its next CONNECT and in its DISCONNECT at Close (a process
// that dies before either leaves the server the 60 s its CONNECT asked
// for, so subscribe members at Dial). A name that is empty or contains /,
// + or # is an error.
func Group(name string) SubscribeOption {
	return func(s *subConfig) { s.group, s.hasGroup = name, true }
}

// NoLocal asks the server not to send the client its own publications.
func NoLocal() SubscribeOption { return func(s *subConfig) { s.noLocal = true } }

// RetainAsPublished keeps the Retain flag as the publisher set it, instead
// of clearing it on messages that are not retained replays.
func RetainAsPublished() SubscribeOption { return func(s *subConfig) { s.retainAsPublished = true } }

// Retain Handling values for RetainHandling (§3.8.3.1).
const (
	SendRetained          byte = 0 // send retained messages on every subscribe (default)
	SendRetainedIfNew     byte = 1 // only when the subscription did not exist
	DoNotSendRetained     byte = 2 // never
	maxRetainHandlingCode      = DoNotSendRetained
)

// RetainHandling sets when the server sends retained messages: SendRetained,
// SendRetainedIfNew or DoNotSendRetained.
func RetainHandling(h byte) SubscribeOption { return func(s *subConfig) { s.retainHandling = h } }

// Workers sets how many goroutines run the handler (default GOMAXPROCS).
// Messages of one topic are handled in order, one at a time, unless
// Unordered is given.
func Workers(n int) SubscribeOption { return func(s *subConfig) { s.workers = n } }

// Unordered lets messages of one topic be handled concurrently, by whichever
// worker is free: more throughput when topics are few and handlers slow.
func Unordered() SubscribeOption { return func(s *subConfig) { s.unordered = true } }

// ManualAck makes the handler responsible for acknowledging: it calls
// m.Ack() when the message is done, possibly after returning. An error
// returned before Ack is handled by the error policy. Acknowledgements still
// leave in arrival order, so a message never acked holds back the
// acknowledgements of later ones until the connection ends.
func ManualAck() SubscribeOption { return func(s *subConfig) { s.manualAck = true } }

// AlsoFilters subscribes more filters in the same SUBSCRIBE, with the same
// options and handler; Group applies to each.
func AlsoFilters(filters ...string) SubscribeOption {
	return func(s *subConfig) { s.more = append(s.more, filters...) }
}

// ErrorPolicy decides what happens to a message whose handler failed
// (returned an error or panicked). MQTT has no negative acknowledgement: a
// message is either acknowledged, and gone, or left unacknowledged, and then
// the server sends it again only after a reconnect that resumes the session.
type ErrorPolicy int

const (
	// AckOnError, the default, logs the error, counts it in
	// Stats.HandlerErrors and acknowledges the message. Acknowledgements
	// leave in arrival order, so one message held back would stall every
	// later acknowledgement and, once the Receive Maximum is used up, the
	// whole subscription. Retry in process with middleware.Retry and park
	// what still fails with middleware.DeadLetter: then nothing is lost.
	AckOnError ErrorPolicy = iota
	// RedeliverOnError leaves the message unacknowledged and reconnects the
	// client at once, so that the server sends it again (for a shared
	// subscription possibly to another member; at QoS 2 never to another
	// member, MQTT v5 §4.8.2). This needs a session that outlives the
	// connection (WithSessionExpiry or a Group): with session expiry 0 the
	// client acknowledges instead and logs why. A message that always fails
	// loops: use it with care.
	RedeliverOnError
)

// OnError sets the subscription's ErrorPolicy (default AckOnError).
func OnError(p ErrorPolicy) SubscribeOption { return func(s *subConfig) { s.policy = p } }

// Subscription is the result of Subscribe: its handler receives the messages
// of its filters until Unsubscribe or the client's Close, across reconnects.
// Client.Subscriptions returns those made with WithSubscription.
type Subscription struct {
	c       *Client
	id      uint32 // Subscription Identifier
	filters []packet.Subscription
	match   []string // filters without $share/<group>/, to route by topic
	handler Handler
	cfg     subConfig
	granted []QoS // guarded by c.mu
	active  bool  // guarded by c.mu: confirmed by a SUBACK, restored on reconnect
	early   bool  // made with WithSubscription

	mu      sync.RWMutex
	stopped bool
	queues  []chan *Message
}

// Filters returns the subscribed filters, with $share/<group>/ when Group
// was given.
func (s *Subscription) Filters() []string {
	out := make([]string, len(s.filters))
	for i, f := range s.filters {
		out[i] = f.Filter
	}
	return out
}

// Granted returns the QoS the server granted per filter; it can be lower
// than the QoS asked for.
func (s *Subscription) Granted() []QoS {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return append([]QoS(nil), s.granted...)
}

// Subscribe subscribes filter (and AlsoFilters) and calls h for every
// message, on a pool of Workers goroutines. It returns once the server
// granted the subscription, waiting for a connection while there is none;
// a refusal is a *ReasonError (errors.Is(err, ErrNotAuthorized), …). The
// default QoS is AtLeastOnce. The subscription is restored after every
// reconnect on which the server lost the session.
//
// A process that resumes a persistent session (a fixed WithClientID and
// WithCleanStart(false)) is sent the session's pending messages as soon as
// it connects; those that arrive before Subscribe registered a matching
// handler are acknowledged without one and counted in Stats.Unrouted. Such a
// process subscribes with WithSubscription at Dial instead.
func (c *Client) Subscribe(ctx context.Context, filter string, h Handler, opts ...SubscribeOption) (*Subscription, error) {
	s, err := c.newSubscription(filter, h, opts)
	if err != nil {
		return nil, err
	}
	if err := c.subscribe(ctx, s); err != nil {
		c.unregister(s)
		s.stop()
		return nil, err
	}
	return s, nil
}

// newSubscription checks the arguments of Subscribe and registers a running
// subscription that the server has not granted yet.
func (c *Client) newSubscription(filter string, h Handler, opts []SubscribeOption) (*Subscription, error) {
	if h == nil {
		return nil, errors.New("mqttkit: Subscribe needs a handler; pass a HandlerFunc or a Mux")
	}
	cfg := subConfig{qos: QoS1, workers: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.qos > QoS2 {
		return nil, fmt.Errorf("mqttkit: subscription QoS %d is not 0, 1 or 2", cfg.qos)
	}
	if cfg.retainHandling > maxRetainHandlingCode {
		return nil, fmt.Errorf("mqttkit: RetainHandling(%d): use SendRetained, SendRetainedIfNew or DoNotSendRetained", cfg.retainHandling)
	}
	if cfg.hasGroup {
		if err := checkGroup(cfg.group); err != nil {
			return nil, err
		}
	}
	cfg.workers = max(cfg.workers, 1)
	s := &Subscription{c: c, handler: h, cfg: cfg}
	for _, f := range append([]string{filter}, cfg.more...) {
		full, match, err := buildFilter(f, cfg)
		if err != nil {
			return nil, err
		}
		s.filters = append(s.filters, packet.Subscription{Filter: full, QoS: cfg.qos, NoLocal: cfg.noLocal,
			RetainAsPublished: cfg.retainAsPublished, RetainHandling: cfg.retainHandling})
		s.match = append(s.match, match)
	}
	if err := c.register(s); err != nil {
		return nil, err
	}
	s.start()
	return s, nil
}

// checkGroup validates a consumer group name.
func checkGroup(name string) error {
	switch {
	case name == "":
		return errors.New("mqttkit: Group name is empty; name the consumer group, e.g. Group(\"billing\")")
	case strings.ContainsAny(name, "/+#"):
		return fmt.Errorf("mqttkit: Group name %q contains /, + or #, which MQTT forbids in a share name; use letters, digits, - or _", name)
	}
	return nil
}

// buildFilter returns the filter to subscribe and the one to match topics
// against, checking both.
func buildFilter(f string, cfg subConfig) (full, match string, err error) {
	g, inner, err := packet.ParseShared(f)
	if err != nil {
		return "", "", fmt.Errorf("mqttkit: subscribe: %w", err)
	}
	if g != "" {
		if cfg.hasGroup {
			return "", "", fmt.Errorf("mqttkit: filter %q is already shared and Group(%q) was given too; use one of them", f, cfg.group)
		}
		return f, inner, nil
	}
	if err := packet.ValidateTopicFilter(f); err != nil {
		return "", "", fmt.Errorf("mqttkit: subscribe: %w", err)
	}
	if cfg.hasGroup {
		return "$share/" + cfg.group + "/" + f, f, nil
	}
	return f, f, nil
}

// register gives s a subscription identifier and makes it routable, so that
// retained messages sent right after the SUBACK find it.
func (c *Client) register(s *Subscription) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if c.draining {
		return ErrDraining
	}
	c.subMu.Lock()
	defer c.subMu.Unlock()
	for _, o := range c.subs {
		for _, of := range o.filters {
			for _, f := range s.filters {
				if of.Filter == f.Filter {
					return fmt.Errorf("mqttkit: filter %q is already subscribed by this client; the server keeps one subscription per filter, so Unsubscribe the other or route both in one Mux", f.Filter)
				}
			}
		}
	}
	s.id = c.subscriptionIDLocked(s)
	c.subs[s.id] = s
	return nil
}

func (c *Client) unregister(s *Subscription) {
	c.mu.Lock()
	s.active = false
	if c.state != nil {
		c.state.RemoveSubscription(s.id)
	}
	c.subMu.Lock()
	delete(c.subs, s.id)
	c.subMu.Unlock()
	c.mu.Unlock()
}

// subscribe sends s's SUBSCRIBE until a connection answers it.
func (c *Client) subscribe(ctx context.Context, s *Subscription) error {
	if s.cfg.hasGroup {
		c.persistForGroup()
	}
	for {
		r, sent, err := c.exchange(ctx, func(cn *conn) (packet.Packet, error) {
			if err := cn.canSubscribe(s); err != nil {
				return nil, err
			}
			return cn.subscribePacket(s), nil
		})
		if err != nil {
			if sent {
				return fmt.Errorf("mqttkit: subscribe %v: %w", s.Filters(), err)
			}
			return err
		}
		if r.err != nil {
			return r.err
		}
		if len(r.codes) > 0 && r.codes[0] == packet.PacketIdentifierInUse {
			// mochi v2.7.9 checks our identifier against its own in-flight
			// messages of a resumed session; the next identifier differs.
			continue
		}
		return c.subscribed(s, r)
	}
}

// subscribed checks the SUBACK of s and activates it.
func (c *Client) subscribed(s *Subscription, r *request) error {
	granted := make([]QoS, len(s.filters))
	for i, f := range s.filters {
		code := packet.UnspecifiedError
		if i < len(r.codes) {
			code = r.codes[i]
		}
		if code.IsError() {
			return &ReasonError{Packet: packet.SUBACK, Code: code,
				Reason: strings.TrimSpace(r.reason + " (filter " + f.Filter + ")")}
		}
		granted[i] = QoS(code)
		if granted[i] < f.QoS {
			c.log.Warn("mqttkit: server granted a lower QoS than asked", "filter", f.Filter, "asked", f.QoS, "granted", granted[i])
		}
	}
	c.mu.Lock()
	s.granted = granted
	s.active = true
	if c.state != nil {
		c.state.AddSubscription(s.id, s.filters)
	}
	c.mu.Unlock()
	return nil
}

// persistForGroup switches a client whose user did not choose a session
// expiry to the one-hour session of a consumer group member. Dial calls it
// before the first CONNECT when a WithSubscription has a Group, so that
// CONNECT asks for the hour. A Group subscribed after Dial finds a
// connection whose CONNECT asked for 60 s: the session already survives a
// dropped connection, and the hour takes effect with the next CONNECT and
// with the DISCONNECT at Close (Client.Close), without a reconnect now. A
// process that dies before either keeps the server's 60 s.
func (c *Client) persistForGroup() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cfg.sessionExpirySet || c.sessionExpiry >= c.cfg.groupExpiry {
		return
	}
	c.sessionExpiry = c.cfg.groupExpiry
	c.log.Info("mqttkit: Group subscription: keeping the session for a consumer group member", "session_expiry_s", c.cfg.groupExpiry)
}

// canSubscribe checks s against what the server said it supports.
func (cn *conn) canSubscribe(s *Subscription) error {
	for i, f := range s.filters {
		if f.Filter != s.match[i] && !cn.sharedOK {
			return &ReasonError{Packet: packet.CONNACK, Code: packet.SharedSubscriptionsNotSupported,
				Reason: "the server has no shared subscriptions, needed for " + f.Filter}
		}
		if strings.ContainsAny(s.match[i], "+#") && !cn.wildcardOK {
			return &ReasonError{Packet: packet.CONNACK, Code: packet.WildcardSubscriptionsNotSupported,
				Reason: "the server refuses wildcard filters such as " + f.Filter}
		}
	}
	return nil
}

func (cn *conn) subscribePacket(s *Subscription) *packet.Subscribe {
	p := &packet.Subscribe{Subscriptions: s.filters}
	if cn.subIDsOK {
		p.Properties.SubscriptionIdentifiers = []uint32{s.id}
	}
	return p
}

// Unsubscribe ends the subscription: its handler gets no new messages (those
// already queued to its workers are still handled; messages the server
// sends meanwhile are acknowledged without a handler), and the server is
// told with UNSUBSCRIBE. While the client is disconnected, Unsubscribe waits
// for the next connection, like Publish, and sends it there: a resumed
// session still holds the subscription, and in a consumer group the server
// would go on handing this member messages that no handler sees. A
// connection lost before the UNSUBACK makes it send again on the next one.
// When ctx ends first, the error says so; the server may then still hold
// the subscription until the session ends.
func (s *Subscription) Unsubscribe(ctx context.Context) error {
	c := s.c
	c.unregister(s)
	s.stop()
	r, sent, err := c.exchange(ctx, func(*conn) (packet.Packet, error) {
		return &packet.Unsubscribe{Filters: s.Filters()}, nil
	})
	if err != nil {
		if sent {
			return fmt.Errorf("mqttkit: unsubscribe %v: no UNSUBACK: %w", s.Filters(), err)
		}
		return fmt.Errorf("mqttkit: unsubscribe %v: UNSUBSCRIBE not sent, the server may still hold the subscription: %w", s.Filters(), err)
	}
	if r.err != nil {
		return r.err
	}
	for i, code := range r.codes {
		if code.IsError() {
			return &ReasonError{Packet: packet.UNSUBACK, Code: code, Reason: r.reason + " (filter " + s.filters[min(i, len(s.filters)-1)].Filter + ")"}
		}
	}
	return nil
}

// matches reports whether topic matches one of the subscription's filters.
func (s *Subscription) matches(topic string) bool {
	for _, f := range s.match {
		if packet.MatchTopic(f, topic) {
			return true
		}
	}
	return false
}
