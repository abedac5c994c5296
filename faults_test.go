package mqttkit_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// ledger counts how often each message id was handled, and keeps how each
// copy arrived, so that a failure can tell a message the broker routed
// twice (two packet ids) from a resend the client handled again (one
// packet id, DUP set).
type ledger struct {
	mu     sync.Mutex
	copies map[int][]string // how each handled copy arrived, by id
	got    chan struct{}    // signalled on every new id
}

func newLedger() *ledger {
	return &ledger{copies: make(map[int][]string), got: make(chan struct{}, 1)}
}

func (l *ledger) HandleMessage(_ context.Context, m *mqttkit.Message) error {
	id, err := strconv.Atoi(string(m.Payload))
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.copies[id] = append(l.copies[id], fmt.Sprintf("packet id %d, DUP %t, at %s", m.PacketID, m.Dup, time.Now().Format("15:04:05.000000")))
	l.mu.Unlock()
	select {
	case l.got <- struct{}{}:
	default:
	}
	return nil
}

// duplicated describes how the copies of up to max duplicated ids arrived.
func (l *ledger) duplicated(max int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for id, copies := range l.copies {
		if len(copies) > 1 && max > 0 {
			max--
			fmt.Fprintf(&b, "\n  message %d: %s", id, strings.Join(copies, "; "))
		}
	}
	return b.String()
}

// waitAll waits until every id in ids was handled, then reports missing ids
// and duplicates.
func (l *ledger) waitAll(t *testing.T, ids []int, d time.Duration) (missing []int, dups int) {
	t.Helper()
	deadline := time.After(d)
	for {
		l.mu.Lock()
		missing = missing[:0]
		for _, id := range ids {
			if len(l.copies[id]) == 0 {
				missing = append(missing, id)
			}
		}
		dups = 0
		for _, copies := range l.copies {
			dups += len(copies) - 1
		}
		l.mu.Unlock()
		if len(missing) == 0 {
			return nil, dups
		}
		select {
		case <-l.got:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			return missing, dups
		}
	}
}

// 10,000 QoS 1 messages while the broker's connections are dropped every
// 200 ms: none is lost; duplicates are allowed at QoS 1.
func TestNoLossWhileConnectionsDrop(t *testing.T) {
	const n = 10000
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 90*time.Second)
		sub := dial(t, srv, mqttkit.WithClientID("drop-sub"), mqttkit.WithSessionExpiry(time.Minute))
		pub := dial(t, srv, mqttkit.WithClientID("drop-pub"), mqttkit.WithSessionExpiry(time.Minute))
		l := newLedger()
		if _, err := sub.Subscribe(ctx, "drop/t", l, mqttkit.AtLeastOnce); err != nil {
			t.Fatal(err)
		}
		ids, drops := publishWhileDropping(t, ctx, srv, pub, "drop/t", n, mqttkit.QoS1)
		missing, dups := l.waitAll(t, ids, 30*time.Second)
		t.Logf("%d messages, %d connection drops, %d reconnects of the subscriber, %d duplicates",
			n, drops, sub.Stats().Connects-1, dups)
		if b, ok := srv.(*mqtttest.Broker); ok {
			t.Logf("messages the embedded broker rescued from mochi's races: %d", b.Server().Stats().MessagesRescued)
		}
		if len(missing) > 0 {
			t.Fatalf("%d of %d messages lost, e.g. %v", len(missing), n, missing[:min(10, len(missing))])
		}
		if drops == 0 {
			t.Fatal("no connection was dropped: the test proves nothing")
		}
	})
}

// publishWhileDropping publishes the numbers 0 to n-1 on topic with
// PublishAsync, waiting for each batch of results, while the broker's
// connections are dropped every 200 ms (at most 100 times). It returns the
// numbers published and how many drops there were.
func publishWhileDropping(t *testing.T, ctx context.Context, srv mqtttest.Server, pub *mqttkit.Client, topic string, n int, qos mqttkit.QoS) (ids []int, drops int) {
	t.Helper()
	stop := make(chan struct{})
	stopDrops := sync.OnceFunc(func() { close(stop) })
	defer stopDrops() // also when the test fails early
	dropped := make(chan int, 1)
	go func() {
		drops := 0
		defer func() { dropped <- drops }()
		for drops < 100 { // bounded: at most 20 s of drops
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
				srv.DropClients()
				drops++
			}
		}
	}()
	ids = make([]int, n)
	results := make([]*mqttkit.PublishResult, 0, 128)
	for i := range n {
		ids[i] = i
		results = append(results, pub.PublishAsync(ctx, topic, []byte(strconv.Itoa(i)), qos))
		if len(results) == cap(results) {
			waitResults(t, ctx, results)
			results = results[:0]
		}
	}
	waitResults(t, ctx, results)
	stopDrops()
	return ids, <-dropped
}

func waitResults(t *testing.T, ctx context.Context, rs []*mqttkit.PublishResult) {
	t.Helper()
	for _, r := range rs {
		if err := r.Wait(ctx); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
}

// A broker restarted mid-stream with its state kept: every acknowledged
// publish reaches the persistent subscriber.
func TestBrokerRestartWithPersistence(t *testing.T) {
	const n = 2000
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 60*time.Second)
		// Clean Start 0 from the first CONNECT: Mosquitto 2.0.11 does not
		// restore, after its restart, a session begun with Clean Start 1.
		sub := dial(t, srv, mqttkit.WithClientID("restart-sub"), mqttkit.WithSessionExpiry(time.Hour), mqttkit.WithCleanStart(false),
			mqttkit.OnReconnect(func(_ *mqttkit.Client, ci mqttkit.ConnectInfo) {
				t.Logf("subscriber reconnected, session present: %v", ci.SessionPresent)
			}))
		pub := dial(t, srv, mqttkit.WithClientID("restart-pub"), mqttkit.WithSessionExpiry(time.Hour))
		l := newLedger()
		if _, err := sub.Subscribe(ctx, "restart/t", l); err != nil {
			t.Fatal(err)
		}
		var acked []int
		for i := range n {
			if i == n/2 {
				srv.Restart()
			}
			if err := pub.Publish(ctx, "restart/t", []byte(strconv.Itoa(i)), mqttkit.QoS1); err != nil {
				t.Fatalf("publish %d: %v", i, err)
			}
			acked = append(acked, i)
		}
		missing, dups := l.waitAll(t, acked, 30*time.Second)
		t.Logf("%d acknowledged, %d duplicates", len(acked), dups)
		if len(missing) > 0 {
			t.Fatalf("%d acknowledged messages lost, e.g. %v", len(missing), missing[:min(10, len(missing))])
		}
	})
}

// A broker restarted without persistence forgets the session: the client
// subscribes again by itself.
func TestResubscribeAfterBrokerRestart(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 30*time.Second)
		var presents []bool
		var mu sync.Mutex
		sub := dial(t, srv, mqttkit.WithSessionExpiry(time.Hour), mqttkit.OnReconnect(func(_ *mqttkit.Client, ci mqttkit.ConnectInfo) {
			mu.Lock()
			presents = append(presents, ci.SessionPresent)
			mu.Unlock()
		}))
		col := newCollector(100)
		if _, err := sub.Subscribe(ctx, "resub/+", col); err != nil {
			t.Fatal(err)
		}
		srv.Restart()
		waitConnected(t, sub)
		pub := dial(t, srv)
		publishUntilReceived(t, pub, col, "resub/x")
		mu.Lock()
		defer mu.Unlock()
		if len(presents) == 0 || presents[len(presents)-1] {
			t.Fatalf("session present after reconnects = %v, want a new session (false)", presents)
		}
	}, mqtttest.WithoutPersistence())
}

// A connection that stops answering is detected by keepalive and replaced.
// The broker is paused (the proxy stops forwarding for the embedded one,
// SIGSTOP for Mosquitto) rather than blackholed: mqtttest's Blackhole still
// forwards the broker's own keepalive close, so it is not half-open.
func TestHalfOpenConnectionDetected(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		lost := make(chan error, 5)
		c := dial(t, srv, mqttkit.WithKeepAlive(2*time.Second),
			mqttkit.OnConnectionLost(func(_ *mqttkit.Client, err error) { lost <- err }))
		srv.Pause()
		start := time.Now()
		select {
		case err := <-lost:
			if !errors.Is(err, mqttkit.ErrKeepAliveTimeout) {
				t.Fatalf("connection lost with %v, want ErrKeepAliveTimeout", err)
			}
			t.Logf("half-open connection detected after %v (keepalive 2s, bound 2.5s; mochi rounds 1.5 x 1s down to 1s, hence 2s)", time.Since(start).Round(time.Millisecond))
		case <-time.After(10 * time.Second):
			t.Fatal("half-open connection not detected within 10s")
		}
		srv.Resume()
		waitConnected(t, c)
		if err := c.Publish(testCtx(t, 10*time.Second), "ho/t", nil, mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
	})
}

// Publish while disconnected waits for the connection until its context ends
// and then withdraws the message.
func TestPublishWhileDisconnected(t *testing.T) {
	srv := mqtttest.NewBroker(t)
	c := dial(t, srv)
	srv.Proxy().Refuse(true)
	srv.DropClients()
	for c.Connected() {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := c.Publish(ctx, "off/t", nil, mqttkit.QoS1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish while disconnected: err = %v, want context.DeadlineExceeded", err)
	}
	res := make([]*mqttkit.PublishResult, 3)
	for i := range res {
		res[i] = c.PublishAsync(context.Background(), "off/t", []byte(fmt.Sprint(i)), mqttkit.QoS1)
	}
	srv.Proxy().Refuse(false)
	for i, r := range res {
		if err := r.Wait(testCtx(t, 10*time.Second)); err != nil {
			t.Fatalf("queued publish %d: %v", i, err)
		}
	}
}

// PublishAsync beyond the queue fails with ErrQueueFull, never silently.
func TestPublishAsyncQueueFull(t *testing.T) {
	srv := mqtttest.NewBroker(t)
	c := dial(t, srv, mqttkit.WithQueueSize(2))
	srv.Proxy().Refuse(true)
	srv.DropClients()
	for c.Connected() {
		time.Sleep(5 * time.Millisecond)
	}
	ctx := testCtx(t, 10*time.Second)
	var full int
	for range 20 {
		r := c.PublishAsync(ctx, "q/t", nil, mqttkit.QoS0)
		select {
		case <-r.Done():
			if !errors.Is(r.Err(), mqttkit.ErrQueueFull) {
				t.Fatalf("err = %v, want ErrQueueFull", r.Err())
			}
			full++
		default:
		}
	}
	if full != 18 {
		t.Fatalf("%d publishes failed with ErrQueueFull, want 18 of 20 with a queue of 2", full)
	}
}
