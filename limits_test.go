package mqttkit_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// The client never has more QoS 1 publishes in flight than the server's
// Receive Maximum, and uses all of it.
func TestInFlightWindowIsServerReceiveMaximum(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 30*time.Second)
		c := dial(t, srv)
		results := make([]*mqttkit.PublishResult, 500)
		for i := range results {
			results[i] = c.PublishAsync(ctx, "window/t", []byte("x"), mqttkit.QoS1)
		}
		for i, r := range results {
			if err := r.Wait(ctx); err != nil {
				t.Fatalf("publish %d: %v", i, err)
			}
		}
		if peak := c.Stats().InFlightPeak; peak != 10 {
			t.Fatalf("in-flight peak = %d, want exactly the server's Receive Maximum of 10", peak)
		}
	}, mqtttest.WithReceiveMaximum(10))
}

// A publish over the server's Maximum Packet Size fails before anything is
// sent, and the connection stays up. (The embedded broker announces 4 MiB;
// mqtttest has no option to give Mosquitto a max_packet_size.)
func TestPublishOverServerMaxPacketSize(t *testing.T) {
	srv := mqtttest.NewBroker(t)
	ctx := testCtx(t, 20*time.Second)
	c := dial(t, srv)
	col := newCollector(1)
	if _, err := c.Subscribe(ctx, "big/#", col); err != nil {
		t.Fatal(err)
	}
	err := c.Publish(ctx, "big/one", make([]byte, 5<<20), mqttkit.QoS1)
	if !errors.Is(err, mqttkit.ErrPacketTooLarge) {
		t.Fatalf("Publish of 5 MiB: err = %v, want ErrPacketTooLarge", err)
	}
	if r := c.PublishAsync(ctx, "big/one", make([]byte, 5<<20), mqttkit.QoS0); !errors.Is(r.Wait(ctx), mqttkit.ErrPacketTooLarge) {
		t.Fatalf("PublishAsync of 5 MiB: err = %v, want ErrPacketTooLarge", r.Err())
	}
	if err := c.Publish(ctx, "big/small", []byte("ok"), mqttkit.QoS1); err != nil {
		t.Fatal(err)
	}
	if m := col.next(t); m.Topic != "big/small" {
		t.Fatalf("got %q, want only the small message", m.Topic)
	}
	if n := c.Stats().Connects; n != 1 {
		t.Fatalf("Connects = %d, want 1: nothing oversized may reach the server", n)
	}
}

// The client's own Maximum Packet Size makes the server drop larger messages.
func TestClientMaxPacketSize(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		sub := dial(t, srv, mqttkit.WithMaxPacketSize(1024))
		pub := dial(t, srv)
		col := newCollector(2)
		if _, err := sub.Subscribe(ctx, "mps/#", col); err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(ctx, "mps/big", make([]byte, 4096), mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(ctx, "mps/small", []byte("ok"), mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
		if m := col.next(t); m.Topic != "mps/small" {
			t.Fatalf("got %q (%d bytes); the server should have dropped the large one", m.Topic, len(m.Payload))
		}
	})
}

// A refused login ends Dial with a typed error at once instead of retrying.
func TestDialBadCredentials(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		for _, tc := range []struct {
			name string
			opts []mqttkit.Option
		}{
			{"wrong password", []mqttkit.Option{mqttkit.WithCredentials("admin", "wrong")}},
			{"unknown user", []mqttkit.Option{mqttkit.WithCredentials("nobody", "secret")}},
			{"anonymous", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				c, err := mqttkit.Dial(ctx, srv.URL(), tc.opts...)
				if err == nil {
					c.Close()
					t.Fatal("Dial succeeded with bad credentials")
				}
				if ctx.Err() != nil {
					t.Fatalf("Dial retried until its context ended: %v", err)
				}
				if !errors.Is(err, mqttkit.ErrBadCredentials) && !errors.Is(err, mqttkit.ErrNotAuthorized) {
					t.Fatalf("err = %v, want ErrBadCredentials or ErrNotAuthorized", err)
				}
				var re *mqttkit.ReasonError
				if !errors.As(err, &re) || strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "wrong") {
					t.Fatalf("err = %v: want a *ReasonError without the password", err)
				}
			})
		}
		c := dial(t, srv, mqttkit.WithCredentials("admin", "secret"))
		if err := c.Publish(testCtx(t, 5*time.Second), "auth/ok", nil, mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
	}, mqtttest.WithUser("admin", "secret"))
}

// Dial to a port where nothing listens retries until its context ends.
func TestDialRetriesNetworkErrors(t *testing.T) {
	srv := mqtttest.NewBroker(t)
	srv.Proxy().Refuse(true)
	go func() {
		time.Sleep(300 * time.Millisecond)
		srv.Proxy().Refuse(false)
	}()
	c := dial(t, srv)
	if !c.Connected() {
		t.Fatal("Dial returned without a connection")
	}
}
