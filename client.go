package mqttkit

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mqttkit/mqttkit/internal/session"
	"github.com/mqttkit/mqttkit/internal/transport"
	"github.com/mqttkit/mqttkit/packet"
)

// Client is a connection to an MQTT v5 server that stays connected: it
// reconnects by itself, resumes its session, resends what was in flight and
// restores its subscriptions. All methods are safe for concurrent use.
type Client struct {
	cfg     config
	log     *slog.Logger
	servers []*url.URL
	ctx     context.Context // ends at Close; handlers run under it
	cancel  context.CancelFunc
	runDone chan struct{} // the reconnect loop has returned

	mu            sync.Mutex
	cn            *conn         // the live connection, nil while disconnected
	up            chan struct{} // closed while cn != nil
	closed        bool
	draining      bool
	clientID      string
	connects      int    // successful connections so far
	sessionExpiry uint32 // Session Expiry Interval of the next CONNECT
	nextServer    int    // index of the server tried first on the next connect

	// Outbound state, guarded by mu.
	ids      session.IDs
	inflight map[uint16]*outbound // QoS 1 and 2 publishes holding a packet id
	requests map[uint16]*request  // SUBSCRIBE and UNSUBSCRIBE awaiting their ack
	seq      uint64               // order of publishes, for resending in order
	window   int                  // the server's Receive Maximum
	inUse    int                  // publishes holding a slot of the window
	queue    []*outbound          // PublishAsync messages waiting for room or a connection
	pumping  bool                 // pumpQueueLocked is running
	room     chan struct{}        // a slot of the window became free

	// Inbound state, guarded by mu: QoS 2 messages between PUBLISH and PUBREL.
	inbound2 map[uint16]*arrival

	workers sync.WaitGroup // every handler goroutine of every subscription

	subMu     sync.RWMutex
	subs      map[uint32]*Subscription // by subscription identifier
	nextSubID uint32

	stats stats
	state session.State // nil: the session lives in memory only
	dur   durable       // WithStore
}

// Dial connects to the first reachable server of urls (comma-separated, and
// any given WithServers) and returns a Client that stays connected until
// Close. Network errors are retried with backoff until ctx ends, so give ctx
// a deadline; a refusal that retrying cannot fix (bad credentials, not
// authorised, a banned or invalid client id, a protocol error) ends Dial at
// once with a *ReasonError that errors.Is matches (ErrBadCredentials, …).
func Dial(ctx context.Context, urls string, opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	servers, err := transport.ParseURLs(append([]string{urls}, cfg.servers...)...)
	if err != nil {
		return nil, fmt.Errorf("mqttkit: %w", err)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if !cfg.hasUsername && servers[0].User != nil {
		cfg.username, cfg.hasUsername = servers[0].User.Username(), true
		if p, ok := servers[0].User.Password(); ok {
			cfg.password, cfg.hasPassword = []byte(p), true
		}
	}
	c := &Client{
		cfg:           cfg,
		log:           cfg.logger,
		servers:       servers,
		runDone:       make(chan struct{}),
		up:            make(chan struct{}),
		clientID:      cfg.clientID,
		sessionExpiry: cfg.sessionExpiry,
		inflight:      make(map[uint16]*outbound),
		requests:      make(map[uint16]*request),
		window:        65535,
		room:          make(chan struct{}, 1),
		inbound2:      make(map[uint16]*arrival),
		subs:          make(map[uint32]*Subscription),
		state:         cfg.state,
	}
	if c.clientID == "" {
		c.clientID = generateClientID()
	}
	if cfg.groupAtDial() {
		c.persistForGroup() // the first CONNECT already asks for a member's session
		if !cfg.cleanStartSet {
			c.cfg.cleanStart = false
		}
	} else if !cfg.cleanStartSet {
		c.cfg.cleanStart = cfg.clientID != ""
	}
	if err := c.resume(ctx); err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	var early []*Subscription
	fail := func(err error) (*Client, error) {
		c.cancel()
		c.stopSubscriptions()
		c.workers.Wait()
		return nil, err
	}
	for _, sp := range cfg.subs {
		s, err := c.newSubscription(sp.filter, sp.h, sp.opts)
		if err != nil {
			return fail(err)
		}
		s.early = true
		early = append(early, s)
	}
	cn, err := c.connect(ctx, true)
	if err != nil {
		return fail(err)
	}
	c.live(cn)
	go c.run(cn)
	for _, s := range early {
		if err := c.subscribe(ctx, s); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Subscriptions returns the subscriptions made with WithSubscription, in
// order, for Unsubscribe.
func (c *Client) Subscriptions() []*Subscription {
	var out []*Subscription
	c.subMu.RLock()
	for _, s := range c.subs {
		if s.early {
			out = append(out, s)
		}
	}
	c.subMu.RUnlock()
	slices.SortFunc(out, func(a, b *Subscription) int { return cmp.Compare(a.id, b.id) })
	return out
}

func (cfg *config) validate() error {
	if cfg.will != nil {
		if err := packet.ValidateTopicName(cfg.will.Topic); err != nil {
			return fmt.Errorf("mqttkit: will topic: %w", err)
		}
		if cfg.will.QoS > QoS2 {
			return fmt.Errorf("mqttkit: will QoS %d is not 0, 1 or 2", cfg.will.QoS)
		}
	}
	if cfg.backoffMin <= 0 || cfg.backoffMax < cfg.backoffMin {
		return fmt.Errorf("mqttkit: WithBackoff(%v, %v): min must be positive and max at least min", cfg.backoffMin, cfg.backoffMax)
	}
	return nil
}

// generateClientID returns "mqttkit-" and 16 random lowercase letters and
// digits: unique enough that two clients never take over each other's session.
func generateClientID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "mqttkit-" + string(b)
}

// ClientID returns the client identifier in use: the one given, generated,
// or assigned by the server.
func (c *Client) ClientID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clientID
}

// Connected reports whether the client has a connection right now.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cn != nil
}

// waitUp returns the live connection, waiting for one until ctx ends.
func (c *Client) waitUp(ctx context.Context) (*conn, error) {
	for {
		c.mu.Lock()
		cn, up, closed := c.cn, c.up, c.closed
		c.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		if cn != nil {
			select {
			case <-cn.done:
				// Ending: the reconnect loop replaces it in a moment.
				time.Sleep(time.Millisecond)
				continue
			default:
				return cn, nil
			}
		}
		select {
		case <-up:
		case <-c.ctx.Done():
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, fmt.Errorf("mqttkit: not connected to any server: %w", ctx.Err())
		}
	}
}

// Close disconnects at once: a normal DISCONNECT (the will is not sent), the
// handlers' context is cancelled and Close waits for them to return, and
// publishes that were not acknowledged fail with ErrClosed. Close returns
// once the server has closed the connection (at most a second after the
// DISCONNECT), so the acknowledgements sent before it have been processed
// when a next client resumes the session; messages arriving meanwhile are
// not handled. With a persistent session the server keeps what was in
// flight for the next client with the same id. Use Drain to finish work
// first. Close is idempotent.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.runDone
		return nil
	}
	c.closed = true
	cn := c.cn
	c.failPendingLocked(ErrClosed)
	// A session the user did not ask for ends with the client; a consumer
	// group member's (and any chosen one) stays for the next process, as
	// long as the client now asks for: a Group subscribed after Dial raised
	// it above what this connection's CONNECT said.
	var expiry uint32
	if c.cfg.sessionExpirySet || c.sessionExpiry >= c.cfg.groupExpiry {
		expiry = c.sessionExpiry
	}
	c.mu.Unlock()
	if cn != nil {
		d := &packet.Disconnect{ReasonCode: packet.NormalDisconnection}
		// DISCONNECT may change the CONNECT's expiry, except from 0 to
		// non-zero, a protocol error (MQTT v5 §3.14.2.2.2).
		if expiry != cn.sessionExpiry && cn.sessionExpiry != 0 {
			d.Properties.SessionExpiryInterval = expiry
			d.Properties.Present = d.Properties.Present.With(packet.PropSessionExpiryInterval)
		}
		cn.disconnectWith(d, ErrClosed)
	}
	c.cancel()
	<-c.runDone
	c.stopSubscriptions()
	c.workers.Wait()
	return nil
}

// Drain stops delivering new messages, lets the running and queued handlers
// finish and their acknowledgements leave, waits for the publishes in flight
// to be acknowledged, then closes the client. Messages that arrive meanwhile
// are not handled and not acknowledged: with a persistent session the server
// delivers them again (to this group's other members, for a shared
// subscription). When ctx ends first, Drain closes at once and returns
// ctx's error.
func (c *Client) Drain(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.draining = true
	c.mu.Unlock()
	done := make(chan struct{})
	go func() {
		c.stopSubscriptions()
		c.workers.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
		err = c.waitPublishes(ctx)
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.cancel() // a handler still running after ctx ended is told to stop
	<-done
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}

// waitPublishes waits until no publish is in flight or queued.
func (c *Client) waitPublishes(ctx context.Context) error {
	for {
		c.mu.Lock()
		n := len(c.inflight) + len(c.queue)
		c.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-c.room:
			// More may be waiting for room: pass the wake-up on.
			c.signalRoom()
		case <-ctx.Done():
			return fmt.Errorf("mqttkit: drain: %d publishes not acknowledged: %w", n, ctx.Err())
		}
	}
}

// stopSubscriptions ends the delivery to every subscription and waits for
// their handlers to return.
func (c *Client) stopSubscriptions() {
	c.subMu.RLock()
	subs := make([]*Subscription, 0, len(c.subs))
	for _, s := range c.subs {
		subs = append(subs, s)
	}
	c.subMu.RUnlock()
	for _, s := range subs {
		s.stop()
	}
}

func (c *Client) signalRoom() {
	select {
	case c.room <- struct{}{}:
	default:
	}
}

// failPendingLocked ends every publish and request that waits for the
// server with err.
func (c *Client) failPendingLocked(err error) {
	for id, o := range c.inflight {
		delete(c.inflight, id)
		c.ids.Put(id)
		c.finishLocked(o, err)
	}
	c.inUse = 0
	for i, o := range c.queue {
		c.queue[i] = nil
		c.finishLocked(o, err)
	}
	c.queue = c.queue[:0]
	for id, r := range c.requests {
		delete(c.requests, id)
		c.ids.Put(id)
		r.finish(nil, err)
	}
	c.signalRoom()
}

// Stats are counters of what the client did, for metrics.
type Stats struct {
	Connects       uint64 // successful connections, the first included
	ConnectionLost uint64 // established connections that ended
	Published      uint64 // messages whose publish completed without error
	Received       uint64 // PUBLISH packets received
	HandlerErrors  uint64 // handler calls that failed or panicked
	Unrouted       uint64 // messages no subscription of this client matched
	// NoSubscribers counts publishes the server acknowledged with 0x10 No
	// matching subscribers: delivered to nobody, which is not an error.
	NoSubscribers uint64
	// InFlightPeak is the most QoS 1 and 2 publishes that were in flight at
	// once; it never exceeds the server's Receive Maximum.
	InFlightPeak uint64
}

type stats struct {
	connects, lost, published, received, handlerErrors, unrouted, inFlightPeak, noSubscribers atomic.Uint64
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	return Stats{
		Connects:       c.stats.connects.Load(),
		ConnectionLost: c.stats.lost.Load(),
		Published:      c.stats.published.Load(),
		Received:       c.stats.received.Load(),
		HandlerErrors:  c.stats.handlerErrors.Load(),
		Unrouted:       c.stats.unrouted.Load(),
		InFlightPeak:   c.stats.inFlightPeak.Load(),
		NoSubscribers:  c.stats.noSubscribers.Load(),
	}
}
