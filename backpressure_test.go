package mqttkit_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// A handler slower than the keepalive fills the worker queue, and the reader
// stops reading until it has room (backpressure): the PINGRESP then waits
// unread in the socket. That is the client's own doing, not a dead server,
// so the connection must survive; the client used to end it with "no
// PINGRESP from the server" after 1.25 keepalives. Meanwhile the client
// still sends a PINGREQ within every keepalive: the embedded broker (mochi
// allows a keepalive of 1 s only 1 s, not 1.5) closed the connection when
// the client waited 1.25 keepalives between them.
func TestBackpressureIsNotKeepAliveTimeout(t *testing.T) {
	const n = 50
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 30*time.Second)
		var lost atomic.Value
		sub := dial(t, srv, mqttkit.WithKeepAlive(time.Second), mqttkit.WithReceiveMaximum(10),
			mqttkit.OnConnectionLost(func(_ *mqttkit.Client, err error) { lost.CompareAndSwap(nil, err) }))
		var got atomic.Int64
		h := mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
			if got.Add(1) == 1 {
				time.Sleep(3 * time.Second) // three keepalives; the queue of 10 fills behind it
			}
			return nil
		})
		if _, err := sub.Subscribe(ctx, "bp/t", h, mqttkit.AtMostOnce, mqttkit.Workers(1)); err != nil {
			t.Fatal(err)
		}
		pub := dial(t, srv)
		for i := range n {
			if err := pub.Publish(ctx, "bp/t", []byte(strconv.Itoa(i)), mqttkit.QoS0); err != nil {
				t.Fatal(err)
			}
		}
		for got.Load() < n {
			if err, _ := lost.Load().(error); err != nil {
				t.Fatalf("connection lost while the handler held the reader back: %v", err)
			}
			if ctx.Err() != nil {
				t.Fatalf("%d of %d messages handled", got.Load(), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err, _ := lost.Load().(error); err != nil {
			t.Fatalf("connection lost while the handler held the reader back: %v", err)
		}
	}, mqtttest.WithoutPersistence())
}
