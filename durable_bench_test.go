package mqttkit_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/eclipse/paho.golang/paho/session/state"
	pahofile "github.com/eclipse/paho.golang/paho/store/file"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/store"
)

// BenchmarkDurablePublish measures QoS 1 publishing with a session kept on
// disk, through Mosquitto, with benchPublishers goroutines each waiting for
// its message before the next: mqttkit with WithStore(store.Open(dir)),
// whose Publish returns once the PUBACK arrived and the record is fsynced
// (group commit), against paho.golang v0.23.0 with its file store
// (state.New over two store/file stores), whose Publish returns after the
// PUBACK of a message written to its own file. "async" is mqttkit's
// PublishAsync in a pipeline of 1024, counted when the message is both
// stored and acknowledged. Every message is counted at a subscriber.
//
//	go test -run '^$' -bench DurablePublish -benchtime 20000x -count 3 .
func BenchmarkDurablePublish(b *testing.B) {
	srv := benchServer(b)
	b.Run("mqttkit", func(b *testing.B) {
		st := benchStore(b)
		benchMqttkitDurable(b, srv.DirectURL(), st, func(ctx context.Context, c *mqttkit.Client, topic string) (func(int) error, func() error) {
			return func(int) error { return c.Publish(ctx, topic, benchPayload, mqttkit.QoS1) }, nil
		})
		b.ReportMetric(float64(st.Stats().Syncs)/float64(b.N), "fsyncs/msg")
	})
	b.Run("mqttkit-async", func(b *testing.B) {
		st := benchStore(b)
		benchMqttkitDurable(b, srv.DirectURL(), st, asyncPipeline)
		b.ReportMetric(float64(st.Stats().Syncs)/float64(b.N), "fsyncs/msg")
	})
	b.Run("paho", func(b *testing.B) { benchPahoDurable(b, strings.TrimPrefix(srv.DirectURL(), "mqtt://")) })
}

func benchStore(b *testing.B) *store.File {
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

// benchMqttkitDurable measures the publish function that publisher makes,
// and then calls the done function it returned, if any.
func benchMqttkitDurable(b *testing.B, url string, st store.Store, publisher func(context.Context, *mqttkit.Client, string) (func(int) error, func() error)) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	topic := fmt.Sprintf("bench/durable/mqttkit/%d", b.N)
	cnt := newCounter(b.N)
	sub := dialURL(b, url)
	h := mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error { cnt.add(); return nil })
	if _, err := sub.Subscribe(ctx, topic, h); err != nil {
		b.Fatal(err)
	}
	pub := dialURL(b, url, mqttkit.WithStore(st))
	publish, done := publisher(ctx, pub, topic)
	measure(b, cnt, concurrently(b.N, publish))
	if done != nil {
		if err := done(); err != nil {
			b.Fatal(err)
		}
	}
}

// asyncPipeline returns a publish function for measure that issues
// PublishAsync and hands the result to one goroutine, which waits, in order,
// until each message is stored and acknowledged; at most depth results are
// outstanding. done waits for that goroutine and returns its first error.
func asyncPipeline(ctx context.Context, c *mqttkit.Client, topic string) (publish func(int) error, done func() error) {
	const depth = 1024
	results := make(chan *mqttkit.PublishResult, depth)
	errc := make(chan error, 1)
	go func() {
		var first error
		for r := range results {
			err := r.WaitStored(ctx)
			if err == nil {
				err = r.Wait(ctx)
			}
			if first == nil {
				first = err
			}
		}
		errc <- first
	}()
	publish = func(int) error {
		results <- c.PublishAsync(ctx, topic, benchPayload, mqttkit.QoS1)
		return nil
	}
	done = func() error {
		close(results)
		return <-errc
	}
	return publish, done
}

func benchPahoDurable(b *testing.B, addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	topic := fmt.Sprintf("bench/durable/paho/%d", b.N)
	cnt := newCounter(b.N)
	sub := pahoDial(b, ctx, addr, func(paho.PublishReceived) (bool, error) { cnt.add(); return true, nil })
	if _, err := sub.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: 1}}}); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	clientStore, err := pahofile.New(dir, "client-", ".pkt")
	if err != nil {
		b.Fatal(err)
	}
	serverStore, err := pahofile.New(dir, "server-", ".pkt")
	if err != nil {
		b.Fatal(err)
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	sess := state.New(clientStore, serverStore)
	pub := paho.NewClient(paho.ClientConfig{Conn: conn, Session: sess})
	if _, err := pub.Connect(ctx, &paho.Connect{KeepAlive: 30, CleanStart: true, ClientID: "bench-durable-paho"}); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = pub.Disconnect(&paho.Disconnect{})
		<-pub.Done()
		_ = sess.Close()
	}()
	measure(b, cnt, concurrently(b.N, func(int) error {
		_, err := pub.Publish(ctx, &paho.Publish{Topic: topic, QoS: 1, Payload: benchPayload})
		return err
	}))
}
