package mqttkit_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// groupBenchWork is what the benchmark's handler does per message. It
// sleeps rather than spins: a handler worth 32 workers waits on I/O (a
// database, an HTTP call), and a spin would burn the CPU the broker and the
// publisher need and cap parallelism at the core count. time.Sleep on Linux
// overshoots a 100 µs sleep by some tens of µs; both sub-benchmarks pay the
// same overshoot.
const groupBenchWork = 100 * time.Microsecond

// groupBenchDevices is the number of topics sensors/<n>/temp: enough that
// mqttkit's per-topic ordering spreads them over its 32 workers.
const groupBenchDevices = 256

var groupBenchRun atomic.Int64 // makes each run's group name unique

// BenchmarkGroupSlowHandler measures a consumer group member whose handler
// takes 100 µs: mqttkit with Workers(32) against paho.golang v0.23.0, which
// calls its handlers one message at a time. One mqttkit publisher sends b.N
// QoS 1 messages through Mosquitto (the embedded broker when Mosquitto is
// not installed); msgs/s is b.N over the time until the member handled the
// last one.
func BenchmarkGroupSlowHandler(b *testing.B) {
	// Mosquitto must neither drop what the slow member has not taken yet
	// (max_queued_messages) nor hold back what 32 workers could handle
	// (max_inflight_messages, its window towards each client). A run of more
	// than 65535 messages (the embedded broker's limit) may lose some to the
	// slow paho member; -benchtime with a count keeps runs below it.
	servers := mqtttest.Brokers(b, mqtttest.WithoutPersistence(),
		mqtttest.WithMaxQueued(65535), mqtttest.WithReceiveMaximum(1024))
	srv := servers[len(servers)-1]
	b.Logf("broker: %s", srv.Name())
	subscribers := []struct {
		name      string
		subscribe func(b *testing.B, srv mqtttest.Server, filter string, handled func()) (stop func(), state func() string)
	}{
		{"mqttkit", groupBenchMqttkit},
		{"paho", groupBenchPaho},
	}
	for _, s := range subscribers {
		b.Run(s.name, func(b *testing.B) {
			filter := fmt.Sprintf("$share/bench%d/sensors/+/temp", groupBenchRun.Add(1))
			var count atomic.Int64
			done := make(chan struct{})
			n := int64(b.N)
			stop, state := s.subscribe(b, srv, filter, func() {
				time.Sleep(groupBenchWork)
				if count.Add(1) == n {
					close(done)
				}
			})
			defer stop()
			pub := groupBenchPublisher(b, srv)
			b.ResetTimer()
			start := time.Now()
			groupBenchPublish(b, pub, b.N)
			select {
			case <-done:
			case <-time.After(time.Minute):
				b.Fatalf("handled %d of %d messages in a minute; subscriber: %s", count.Load(), b.N, state())
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}

// groupBenchPublisher dials the publisher straight to the broker.
func groupBenchPublisher(b *testing.B, srv mqtttest.Server) *mqttkit.Client {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mqttkit.Dial(ctx, srv.DirectURL())
	if err != nil {
		b.Fatalf("Dial: %v", err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// groupBenchPublish publishes n QoS 1 messages from 32 goroutines.
func groupBenchPublish(b *testing.B, c *mqttkit.Client, n int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	payload := []byte(`{"temp":21.5}`)
	topics := make([]string, groupBenchDevices)
	for i := range topics {
		topics[i] = "sensors/" + strconv.Itoa(i) + "/temp"
	}
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				if err := c.Publish(ctx, topics[i%groupBenchDevices], payload, mqttkit.QoS1); err != nil {
					b.Errorf("Publish: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// groupBenchMqttkit subscribes an mqttkit member with 32 workers (and no
// persistent session, so that nothing outlives the run).
func groupBenchMqttkit(b *testing.B, srv mqtttest.Server, filter string, handled func()) (func(), func() string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mqttkit.Dial(ctx, srv.DirectURL(), mqttkit.WithSessionExpiry(0))
	if err != nil {
		b.Fatalf("Dial: %v", err)
	}
	h := mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error {
		handled()
		return nil
	})
	if _, err := c.Subscribe(ctx, filter, h, mqttkit.Workers(32)); err != nil {
		b.Fatalf("Subscribe: %v", err)
	}
	return func() { _ = c.Close() }, func() string { return fmt.Sprintf("%+v", c.Stats()) }
}

// groupBenchPaho subscribes a paho.golang client as its documentation
// shows: OnPublishReceived, acknowledged by paho when the callback returns.
// paho calls it on one goroutine, one message at a time.
func groupBenchPaho(b *testing.B, srv mqtttest.Server, filter string, handled func()) (func(), func() string) {
	u, err := url.Parse(srv.DirectURL())
	if err != nil {
		b.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		b.Fatalf("dial: %v", err)
	}
	c := paho.NewClient(paho.ClientConfig{
		Conn: packets.NewThreadSafeConn(conn),
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){
			func(paho.PublishReceived) (bool, error) {
				handled()
				return true, nil
			},
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Connect(ctx, &paho.Connect{ClientID: "paho-bench-" + strconv.FormatInt(groupBenchRun.Load(), 10), KeepAlive: 30, CleanStart: true}); err != nil {
		b.Fatalf("paho Connect: %v", err)
	}
	if _, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: 1}}}); err != nil {
		b.Fatalf("paho Subscribe: %v", err)
	}
	stop := func() {
		_ = c.Disconnect(&paho.Disconnect{})
		<-c.Done()
	}
	return stop, func() string { return "paho" }
}
