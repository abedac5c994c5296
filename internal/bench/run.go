package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ackTimeout bounds the wait for the acknowledgements of what was sent,
// after publishing stopped; what is still unacknowledged then is counted as
// not acknowledged.
const ackTimeout = 30 * time.Second

// run is the state of one pub, sub or pubsub run.
type run struct {
	cfg Config
	d   Driver

	start        time.Time
	measureStart time.Time // end of the warmup
	sent         atomic.Uint64
	measuredSent atomic.Uint64 // sent after the warmup
	acked        atomic.Uint64
	measuredAck  atomic.Uint64
	failed       atomic.Uint64
	arrivals     atomic.Uint64 // every message received, duplicates included
	distinct     atomic.Uint64 // first arrivals in their ledger
	measuredRecv atomic.Uint64 // received messages sent after the warmup
	foreign      atomic.Uint64 // received messages without a bench header
	firstRecv    atomic.Int64  // unix ns of the first measured arrival
	lastEvent    atomic.Int64  // unix ns of the last measured arrival or ack
	firstErr     atomic.Pointer[error]

	lat      Histogram
	ledgers  []*Ledger
	orders   []*orderCheck
	sentPer  []uint64 // messages sent by each publisher, set when it stops
	timeline []Sample
}

// Sample is the cumulative counts at one moment of a run, for the live
// progress line and the throughput chart.
type Sample struct {
	At       time.Duration // since publishing started
	Sent     uint64
	Acked    uint64
	Received uint64
}

// Run runs cfg's scenario with clients of driver d and returns what it
// measured. It returns an error only when the run could not take place
// (a client failed to connect or subscribe); loss and failed publishes are
// in the Result.
func Run(ctx context.Context, cfg Config, d Driver) (*Result, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if cfg.Scenario == Conns {
		return runConns(ctx, cfg, d)
	}
	if cfg.Parallel < 1 {
		cfg.Parallel = 32
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 2 * time.Second
	}
	r := &run{cfg: cfg, d: d}
	nsubs, npubs := 0, 0
	switch cfg.Scenario {
	case Pub:
		npubs = cfg.Clients
	case Sub:
		nsubs = cfg.Clients
	case PubSub:
		npubs, nsubs = cfg.Clients, cfg.Subscribers
	}
	subs, err := r.connect(ctx, nsubs, 0)
	defer closeAll(subs)
	if err != nil {
		return nil, err
	}
	if err := r.subscribe(ctx, subs); err != nil {
		return nil, err
	}
	pubs, err := r.connect(ctx, npubs, nsubs)
	defer closeAll(pubs)
	if err != nil {
		return nil, err
	}

	before := readUsage()
	r.start = time.Now()
	r.measureStart = r.start.Add(cfg.Warmup)
	cpuAtMeasure := make(chan Usage, 1)
	warm := time.AfterFunc(cfg.Warmup, func() { cpuAtMeasure <- readUsage() })
	defer warm.Stop()
	stopSampler := r.sample()

	r.sentPer = make([]uint64, npubs)
	var wg sync.WaitGroup
	for i, c := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.sentPer[i] = r.publish(ctx, i, c)
		}()
	}
	wg.Wait()
	if cfg.Scenario == Sub {
		r.waitSub(ctx)
	} else if nsubs > 0 {
		r.waitDelivered()
	}
	end := time.Now()
	after := readUsage()
	stopSampler()
	if cfg.BeforeClose != nil {
		cfg.BeforeClose()
	}

	var atMeasure Usage
	select {
	case atMeasure = <-cpuAtMeasure:
	default: // the run ended within the warmup
		atMeasure = after
	}
	if cfg.Scenario == Sub {
		atMeasure = before
	}
	return r.result(end, atMeasure, after), nil
}

// connect opens n clients in parallel, numbered from first.
func (r *run) connect(ctx context.Context, n, first int) ([]Conn, error) {
	conns := make([]Conn, n)
	errs := make([]error, n)
	sem := make(chan struct{}, r.cfg.Parallel)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			conns[i], errs[i] = r.d.Connect(ctx, first+i)
		}()
	}
	wg.Wait()
	var kept []Conn
	var firstErr error
	for i, c := range conns {
		if errs[i] != nil && firstErr == nil {
			firstErr = fmt.Errorf("client %d: %w", first+i, errs[i])
		}
		if c != nil {
			kept = append(kept, c)
		}
	}
	if firstErr != nil {
		return kept, firstErr
	}
	return conns, nil
}

func closeAll(conns []Conn) {
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Close()
		}()
	}
	wg.Wait()
}

// subscribe subscribes every subscriber. Members of a group, or a lone
// subscriber, share one ledger: together they must see every message once.
// Subscribers without a group each must see every message: one ledger each.
func (r *run) subscribe(ctx context.Context, subs []Conn) error {
	opts := SubOptions{QoS: r.cfg.QoS, Group: r.cfg.Group, Workers: r.cfg.Workers}
	for i, c := range subs {
		if i == 0 || r.cfg.Group == "" {
			r.ledgers = append(r.ledgers, &Ledger{})
		}
		led := r.ledgers[len(r.ledgers)-1]
		oc := &orderCheck{}
		r.orders = append(r.orders, oc)
		h := func(payload []byte) { r.receive(led, oc, payload) }
		if err := c.Subscribe(ctx, r.cfg.Filter(), opts, h); err != nil {
			return fmt.Errorf("subscriber %d: subscribing to %s: %w", i, r.cfg.Filter(), err)
		}
	}
	return nil
}

// receive accounts for one message and records its latency.
func (r *run) receive(led *Ledger, oc *orderCheck, payload []byte) {
	now := time.Now()
	h, err := parseHeader(payload)
	if err != nil {
		r.foreign.Add(1)
		return
	}
	r.arrivals.Add(1)
	if !led.Record(h.publisher, h.seq) {
		r.distinct.Add(1)
	}
	oc.check(h.publisher, h.seq)
	if h.flags&flagWarmup == 0 {
		r.lat.Record(h.latency(now))
		r.measuredRecv.Add(1)
		ns := now.UnixNano()
		r.firstRecv.CompareAndSwap(0, ns)
		r.lastEvent.Store(ns)
	}
	if r.cfg.HandlerDelay > 0 {
		time.Sleep(r.cfg.HandlerDelay)
	}
}

// slot is one payload buffer of a publisher with its completion function,
// made once, so that publishing allocates nothing in the engine.
type slot struct {
	r    *run
	buf  []byte
	warm bool
	free chan *slot
	done func(error)
}

func (s *slot) complete(err error) {
	if err != nil {
		s.r.failed.Add(1)
		s.r.firstErr.CompareAndSwap(nil, &err)
	} else {
		s.r.acked.Add(1)
		if !s.warm {
			s.r.measuredAck.Add(1)
			s.r.lastEvent.Store(time.Now().UnixNano())
		}
	}
	s.free <- s
}

// publish sends publisher i's messages until its count is reached, the
// duration passed or ctx ends, then waits for their completion. It returns
// how many it sent.
func (r *run) publish(ctx context.Context, i int, c Conn) uint64 {
	cfg := &r.cfg
	topic := cfg.TopicFor(i)
	free := make(chan *slot, cfg.Inflight)
	for range cfg.Inflight {
		s := &slot{r: r, buf: make([]byte, cfg.Size), free: free}
		s.done = s.complete
		free <- s
	}
	stopAt := r.start.Add(cfg.Warmup + cfg.Duration)
	pace := time.NewTimer(time.Hour) // reused for every wait of --rate
	defer pace.Stop()
	var seq uint64
	for ctx.Err() == nil {
		if cfg.Count > 0 && seq >= uint64(cfg.Count) {
			break
		}
		now := time.Now()
		if cfg.Count == 0 && cfg.Duration > 0 && now.After(stopAt) {
			break
		}
		if cfg.Rate > 0 {
			due := r.start.Add(time.Duration(float64(seq) / cfg.Rate * float64(time.Second)))
			if wait := due.Sub(now); wait > 0 {
				pace.Reset(wait)
				select {
				case <-pace.C:
				case <-ctx.Done():
				}
				if ctx.Err() != nil {
					break
				}
				now = time.Now()
			}
		}
		var s *slot
		select {
		case s = <-free:
		case <-ctx.Done():
		}
		if s == nil {
			break
		}
		s.warm = now.Before(r.measureStart)
		h := header{sent: time.Now().UnixNano(), publisher: uint32(i), seq: seq}
		if s.warm {
			h.flags = flagWarmup
		} else {
			r.measuredSent.Add(1)
		}
		h.put(s.buf)
		seq++
		r.sent.Add(1)
		c.Publish(topic, s.buf, cfg.QoS, s.done)
	}
	// Every slot back in free means every publish completed.
	deadline := time.NewTimer(ackTimeout)
	defer deadline.Stop()
	for range cfg.Inflight {
		select {
		case <-free:
		case <-deadline.C:
			return seq
		}
	}
	return seq
}

// sleepCtx sleeps for d and reports whether ctx is still alive.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// waitDelivered waits until every ledger saw every message sent, or until
// no message arrived for cfg.Drain.
func (r *run) waitDelivered() {
	var total uint64
	for _, n := range r.sentPer {
		total += n
	}
	want := total * uint64(len(r.ledgers))
	last, lastAt := r.distinct.Load(), time.Now()
	for {
		got := r.distinct.Load()
		if got >= want {
			return
		}
		if got != last {
			last, lastAt = got, time.Now()
		} else if time.Since(lastAt) > r.cfg.Drain {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitSub holds the subscribers for the duration, until each got Count
// messages, or until ctx ends.
func (r *run) waitSub(ctx context.Context) {
	want := uint64(r.cfg.Count) * uint64(r.cfg.Clients)
	var stop <-chan time.Time
	if r.cfg.Duration > 0 {
		t := time.NewTimer(r.cfg.Duration)
		defer t.Stop()
		stop = t.C
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-stop:
			return
		case <-tick.C:
			if want > 0 && r.arrivals.Load() >= want {
				return
			}
		}
	}
}

// sample records the counts once a second until the returned function is
// called, which records a last sample.
func (r *run) sample() (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	snap := func() Sample {
		return Sample{At: time.Since(r.start), Sent: r.sent.Load(), Acked: r.acked.Load(), Received: r.arrivals.Load()}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s := snap()
				r.timeline = append(r.timeline, s)
				if r.cfg.Progress != nil {
					r.cfg.Progress(s)
				}
			case <-quit:
				r.timeline = append(r.timeline, snap())
				return
			}
		}
	}()
	return func() { close(quit); <-done }
}
