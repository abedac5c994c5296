package mqttkit_test

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// Mosquitto 2.0.11 exceeds a client's Receive Maximum once messages queue
// up for it: on each in-order PUBACK it lets up to Receive Maximum queued
// messages into flight (it counts only the in-flight messages before the
// acknowledged one), and after a reconnect it sends more before any
// acknowledgement. Disconnecting each time (what the client did) never
// made progress: 380 of these 400 messages never arrived. The client must
// pause reading instead, say precisely what the server did, and lose
// nothing.
func TestServerExceedingReceiveMaximum(t *testing.T) {
	const (
		n          = 400
		receiveMax = 10
	)
	srv := mqtttest.Mosquitto(t, mqtttest.WithoutPersistence())
	ctx := testCtx(t, 60*time.Second)
	logs := &logRecorder{t: t}
	var lost atomic.Int64
	sub := dial(t, srv, mqttkit.WithClientID("rmx-sub"), mqttkit.WithSessionExpiry(time.Minute),
		mqttkit.WithReceiveMaximum(receiveMax), mqttkit.WithLogger(logs.logger()),
		mqttkit.OnConnectionLost(func(*mqttkit.Client, error) { lost.Add(1) }))
	l := newLedger()
	slow := mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
		time.Sleep(time.Millisecond) // slower than the publisher: messages queue in the broker
		return l.HandleMessage(ctx, m)
	})
	if _, err := sub.Subscribe(ctx, "rmx/t", slow, mqttkit.AtLeastOnce); err != nil {
		t.Fatal(err)
	}
	pub := dial(t, srv, mqttkit.WithClientID("rmx-pub"))
	ids := make([]int, n)
	results := make([]*mqttkit.PublishResult, n)
	for i := range n {
		ids[i] = i
		results[i] = pub.PublishAsync(ctx, "rmx/t", []byte(strconv.Itoa(i)), mqttkit.QoS1)
	}
	waitResults(t, ctx, results)
	missing, dups := l.waitAll(t, ids, 30*time.Second)
	if len(missing) > 0 {
		t.Fatalf("%d of %d messages lost, e.g. %v", len(missing), n, missing[:min(10, len(missing))])
	}
	t.Logf("%d messages, %d duplicates, %d connections lost", n, dups, lost.Load())
	if lost.Load() != 0 {
		t.Errorf("%d connections lost; the client must pause reading while handlers keep finishing, not disconnect", lost.Load())
	}
	warn := logs.find("the server exceeded the client's Receive Maximum")
	if warn == "" {
		t.Fatal("no warning about the server exceeding the Receive Maximum of 10: the test did not exercise the violation (a Mosquitto newer than 2.0.11 may have fixed it)")
	}
	m := regexp.MustCompile(`receive_maximum=(\d+) received=(\d+) acknowledged=(\d+) packet_id=\d+`).FindStringSubmatch(warn)
	if m == nil {
		t.Fatalf("warning %q does not carry the counts", warn)
	}
	rm, _ := strconv.Atoi(m[1])
	received, _ := strconv.Atoi(m[2])
	acked, _ := strconv.Atoi(m[3])
	if rm != receiveMax || received-acked <= 0 || received-acked > receiveMax {
		t.Errorf("warning %q: want receive_maximum=%d and received-acknowledged in 1..%d", warn, receiveMax, receiveMax)
	}
}

// When the window stays full because no message is acknowledged, the
// client gives up after half the keepalive: DISCONNECT 0x93 and a
// *ReceiveMaximumError with the counts. The ManualAck handler acknowledges
// the first message only: Mosquitto 2.0.11 answers that PUBACK with up to
// Receive Maximum more messages, and nothing frees room after it.
func TestReceiveMaximumExceededDisconnects(t *testing.T) {
	const (
		n          = 50
		receiveMax = 5
	)
	srv := mqtttest.Mosquitto(t, mqtttest.WithoutPersistence())
	ctx := testCtx(t, 60*time.Second)
	lost := make(chan error, 16)
	sub := dial(t, srv, mqttkit.WithClientID("rmx-stuck"), mqttkit.WithSessionExpiry(time.Minute),
		mqttkit.WithReceiveMaximum(receiveMax), mqttkit.WithKeepAlive(2*time.Second),
		mqttkit.OnConnectionLost(func(_ *mqttkit.Client, err error) {
			select {
			case lost <- err:
			default:
			}
		}))
	var mu sync.Mutex
	var unacked []*mqttkit.Message
	acking := false
	first := true
	l := newLedger()
	h := mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if acking || first {
			first = false
			m.Ack()
			return l.HandleMessage(ctx, m)
		}
		unacked = append(unacked, m)
		return nil
	})
	if _, err := sub.Subscribe(ctx, "rmx/stuck", h, mqttkit.AtLeastOnce, mqttkit.ManualAck()); err != nil {
		t.Fatal(err)
	}
	pub := dial(t, srv, mqttkit.WithClientID("rmx-stuck-pub"))
	ids := make([]int, n)
	results := make([]*mqttkit.PublishResult, n)
	for i := range n {
		ids[i] = i
		results[i] = pub.PublishAsync(ctx, "rmx/stuck", []byte(strconv.Itoa(i)), mqttkit.QoS1)
	}
	waitResults(t, ctx, results)
	var err error
	for err == nil || !errors.Is(err, mqttkit.ErrReceiveMaximumExceeded) {
		select {
		case err = <-lost:
			t.Logf("connection lost: %v", err)
		case <-time.After(20 * time.Second):
			t.Fatal("the client did not disconnect with 0x93 although the server exceeded its Receive Maximum and nothing was acknowledged")
		}
	}
	var rme *mqttkit.ReceiveMaximumError
	if !errors.As(err, &rme) {
		t.Fatalf("connection lost with %T %q; want a *ReceiveMaximumError", err, err)
	}
	if rme.ReceiveMaximum != receiveMax || rme.Received-rme.Acknowledged != receiveMax || rme.PacketID == 0 || rme.QoS != mqttkit.QoS1 || rme.Waited != time.Second {
		t.Errorf("counts %+v: want ReceiveMaximum %d of Received unacknowledged, the packet id, QoS 1, Waited 1s (half the keepalive)", *rme, receiveMax)
	}
	for _, want := range []string{"the server exceeded the client's Receive Maximum of 5", "disconnected with reason 0x93"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	mu.Lock()
	acking = true
	for _, m := range unacked {
		m.Ack() // those of the current connection; the server resends the others
		_ = l.HandleMessage(ctx, m)
	}
	mu.Unlock()
	if missing, _ := l.waitAll(t, ids, 30*time.Second); len(missing) > 0 {
		t.Fatalf("%d of %d messages lost after the 0x93 disconnect, e.g. %v", len(missing), n, missing[:min(10, len(missing))])
	}
}

// logRecorder keeps the client's log lines for assertions and passes them
// to t.Log.
type logRecorder struct {
	t     testing.TB
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(r, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func (r *logRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.lines = append(r.lines, string(p))
	r.mu.Unlock()
	r.t.Log(string(p))
	return len(p), nil
}

// find returns the first line that contains s, or "".
func (r *logRecorder) find(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// count returns how many lines contain s.
func (r *logRecorder) count(s string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, l := range r.lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}
