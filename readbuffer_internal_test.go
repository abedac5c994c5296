package mqttkit

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest"
)

// An idle connection keeps its small read buffer; a busy one, whose reads
// fill it, moves to the large one.
func TestReadBufferGrowsWhenBusy(t *testing.T) {
	const n = 5000
	srv := mqtttest.Mosquitto(t, mqtttest.WithoutPersistence())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dialConn := func() (*Client, *conn) {
		c, err := Dial(ctx, srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c, c.cn
	}
	idle, idleConn := dialConn()
	busy, busyConn := dialConn()
	var got atomic.Int64
	if _, err := busy.Subscribe(ctx, "rb/t", HandlerFunc(func(context.Context, *Message) error {
		got.Add(1)
		return nil
	}), AtMostOnce); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 64)
	for range n {
		if err := idle.Publish(ctx, "rb/t", payload, QoS0); err != nil {
			t.Fatal(err)
		}
	}
	for got.Load() < n && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	// After Close the reader goroutines have ended: their buffers can be read.
	_ = busy.Close()
	_ = idle.Close()
	if got.Load() < n {
		t.Fatalf("%d of %d messages arrived", got.Load(), n)
	}
	if s := idleConn.br.Size(); s != initialReadBuffer {
		t.Errorf("idle connection's read buffer is %d bytes, want %d", s, initialReadBuffer)
	}
	if s := busyConn.br.Size(); s != busyReadBuffer {
		t.Errorf("busy connection's read buffer is %d bytes after %d messages, want %d", s, n, busyReadBuffer)
	}
}
