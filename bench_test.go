package mqttkit_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/internal/procstat"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// benchPublishers is how many goroutines publish concurrently, for both
// clients: each waits for its acknowledgement before the next message.
const benchPublishers = 16

var benchPayload = make([]byte, 64)

// benchServer starts Mosquitto, so that the process CPU measured is the
// clients' alone, or the embedded broker when Mosquitto is not installed.
func benchServer(b *testing.B) mqtttest.Server {
	opts := []mqtttest.Option{mqtttest.WithReceiveMaximum(1000), mqtttest.WithoutPersistence()}
	if _, err := exec.LookPath("mosquitto"); err != nil {
		b.Logf("mosquitto not installed: the embedded broker's CPU is counted as the clients'")
		return mqtttest.NewBroker(b, opts...)
	}
	return mqtttest.Mosquitto(b, opts...)
}

// BenchmarkE2E measures one publisher and one subscriber in this process
// through a broker: msg/s and the clients' CPU per message (user + system
// time of the whole process), for mqttkit and for paho.golang v0.23.0, both
// publishing from benchPublishers goroutines with a synchronous Publish,
// and for mqttkit publishing with PublishAsync (mqttkit-async).
func BenchmarkE2E(b *testing.B) {
	srv := benchServer(b)
	for _, qos := range []mqttkit.QoS{mqttkit.QoS0, mqttkit.QoS1, mqttkit.QoS2} {
		b.Run(fmt.Sprintf("mqttkit/qos%d", qos), func(b *testing.B) { benchMqttkit(b, srv, qos, false) })
		if qos > mqttkit.QoS0 { // at QoS 0 Publish returns once written: no different
			b.Run(fmt.Sprintf("mqttkit-async/qos%d", qos), func(b *testing.B) { benchMqttkit(b, srv, qos, true) })
		}
		b.Run(fmt.Sprintf("paho/qos%d", qos), func(b *testing.B) { benchPaho(b, srv, qos) })
	}
}

// counter counts received messages and closes done at want.
type counter struct {
	n    atomic.Int64
	want int64
	done chan struct{}
}

func newCounter(want int) *counter { return &counter{want: int64(want), done: make(chan struct{})} }

func (c *counter) add() {
	if c.n.Add(1) == c.want {
		close(c.done)
	}
}

// wait waits until every message arrived or none arrived for 2 s, and
// reports the messages that did not arrive.
func (c *counter) wait(b *testing.B) {
	last, lastAt := int64(-1), time.Now()
	for {
		select {
		case <-c.done:
			return
		case <-time.After(100 * time.Millisecond):
		}
		if n := c.n.Load(); n != last {
			last, lastAt = n, time.Now()
		} else if time.Since(lastAt) > 2*time.Second {
			b.ReportMetric(float64(c.want-n), "lost")
			return
		}
	}
}

// measure runs publishAll, which publishes b.N messages, and reports msg/s
// and CPU µs per message from the received count and the process's rusage.
func measure(b *testing.B, cnt *counter, publishAll func() error) {
	var ru0, ru1 syscall.Rusage
	r0, w0, _ := procstat.SyscallsOfSelf()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	b.ResetTimer()
	if err := publishAll(); err != nil {
		b.Fatalf("publish: %v", err)
	}
	cnt.wait(b)
	b.StopTimer()
	elapsed := time.Since(start)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()) + time.Duration(ru1.Stime.Nano()-ru0.Stime.Nano())
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msg/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/msg")
	// Read and write syscalls per message: what the CPU per message is
	// mostly made of (see docs/BENCHMARKS.md).
	if r1, w1, err := procstat.SyscallsOfSelf(); err == nil {
		b.ReportMetric(float64(r1-r0)/float64(b.N), "reads/msg")
		b.ReportMetric(float64(w1-w0)/float64(b.N), "writes/msg")
	}
}

// concurrently returns a publishAll for measure that calls publish(i) for
// every i below n from benchPublishers goroutines, each waiting for its
// call to return before the next.
func concurrently(n int, publish func(i int) error) func() error {
	return func() error {
		var wg sync.WaitGroup
		var next atomic.Int64
		var firstErr atomic.Value
		for range benchPublishers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					if err := publish(i); err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		err, _ := firstErr.Load().(error)
		return err
	}
}

// measureBrokerCPU starts measuring Mosquitto's CPU time; the function it
// returns reports the broker's share of a core since then as broker-cpu-%
// (at 100 the single-threaded broker is the limit of the run, not the
// clients). Against the embedded broker it reports nothing: its CPU is the
// process's.
func measureBrokerCPU(b *testing.B, srv mqtttest.Server) (report func()) {
	m, ok := srv.(*mqtttest.MosquittoServer)
	if !ok {
		return func() {}
	}
	cpu0, err := m.CPU()
	start := time.Now()
	return func() {
		cpu1, err1 := m.CPU()
		if err == nil && err1 == nil {
			b.ReportMetric(100*(cpu1-cpu0).Seconds()/time.Since(start).Seconds(), "broker-cpu-%")
		}
	}
}

// benchMqttkit measures mqttkit publishing with a synchronous Publish from
// benchPublishers goroutines or, async, from one goroutine through
// PublishAsync, up to asyncWindow messages unacknowledged: the library's
// way to publish fast (paho.golang has no asynchronous publish).
func benchMqttkit(b *testing.B, srv mqtttest.Server, qos mqttkit.QoS, async bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	topic := fmt.Sprintf("bench/mqttkit/%d/%t/%d", qos, async, b.N)
	cnt := newCounter(b.N)
	sub := dialURL(b, srv.DirectURL())
	subOpt := []mqttkit.SubscribeOption{mqttkit.AtMostOnce, mqttkit.AtLeastOnce, mqttkit.ExactlyOnce}[qos]
	h := mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error { cnt.add(); return nil })
	if _, err := sub.Subscribe(ctx, topic, h, subOpt); err != nil {
		b.Fatal(err)
	}
	pub := dialURL(b, srv.DirectURL())
	defer measureBrokerCPU(b, srv)()
	if !async {
		measure(b, cnt, concurrently(b.N, func(int) error { return pub.Publish(ctx, topic, benchPayload, qos) }))
		return
	}
	measure(b, cnt, func() error {
		ring := make([]*mqttkit.PublishResult, asyncWindow)
		for i := range b.N {
			if r := ring[i%asyncWindow]; r != nil {
				if err := r.Wait(ctx); err != nil {
					return err
				}
			}
			ring[i%asyncWindow] = pub.PublishAsync(ctx, topic, benchPayload, qos)
		}
		for _, r := range ring {
			if r != nil {
				if err := r.Wait(ctx); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// asyncWindow is how many PublishAsync results benchMqttkit leaves
// pending: the broker's Receive Maximum (benchServer).
const asyncWindow = 1000

func benchPaho(b *testing.B, srv mqtttest.Server, qos mqttkit.QoS) {
	addr := strings.TrimPrefix(srv.DirectURL(), "mqtt://")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	topic := fmt.Sprintf("bench/paho/%d/%d", qos, b.N)
	cnt := newCounter(b.N)
	sub := pahoDial(b, ctx, addr, func(paho.PublishReceived) (bool, error) { cnt.add(); return true, nil })
	if _, err := sub.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: byte(qos)}}}); err != nil {
		b.Fatal(err)
	}
	pub := pahoDial(b, ctx, addr, nil)
	defer measureBrokerCPU(b, srv)()
	measure(b, cnt, concurrently(b.N, func(int) error {
		_, err := pub.Publish(ctx, &paho.Publish{Topic: topic, QoS: byte(qos), Payload: benchPayload})
		return err
	}))
}

func pahoDial(b *testing.B, ctx context.Context, addr string, onMsg func(paho.PublishReceived) (bool, error)) *paho.Client {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	cfg := paho.ClientConfig{Conn: conn}
	if onMsg != nil {
		cfg.OnPublishReceived = []func(paho.PublishReceived) (bool, error){onMsg}
	}
	c := paho.NewClient(cfg)
	if _, err := c.Connect(ctx, &paho.Connect{KeepAlive: 30, CleanStart: true}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = c.Disconnect(&paho.Disconnect{})
		<-c.Done()
	})
	return c
}

// BenchmarkPublish is the publish path alone, one message at a time, for its
// allocations: none per message beyond what the caller passes. Run it
// against Mosquitto: the embedded broker's allocations would be counted.
func BenchmarkPublish(b *testing.B) {
	srv := benchServer(b)
	for _, qos := range []mqttkit.QoS{mqttkit.QoS0, mqttkit.QoS1, mqttkit.QoS2} {
		b.Run(fmt.Sprintf("qos%d", qos), func(b *testing.B) {
			c := dialURL(b, srv.DirectURL())
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := c.Publish(ctx, "bench/publish", benchPayload, qos); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
