package mqttkit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// Unsubscribe while disconnected waits for the next connection and sends
// UNSUBSCRIBE there: the session is resumed, so the server still holds the
// subscription and would otherwise keep sending its messages (to be
// acknowledged unhandled — lost, for a consumer group). When its context
// ends before a connection comes, it fails and says so.
func TestUnsubscribeWhileDisconnected(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 30*time.Second)
		sub := dial(t, srv, mqttkit.WithClientID("unsub-offline"), mqttkit.WithSessionExpiry(time.Minute))
		s, err := sub.Subscribe(ctx, "unsub/t", newCollector(16), mqttkit.AtLeastOnce)
		if err != nil {
			t.Fatal(err)
		}
		srv.Proxy().Refuse(true)
		srv.DropClients()
		for deadline := time.Now().Add(10 * time.Second); sub.Connected(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("client still connected after the drop")
			}
		}

		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		err = s.Unsubscribe(short)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "UNSUBSCRIBE not sent") {
			t.Fatalf("Unsubscribe with no connection before its context ended = %v; want an error saying it was not sent", err)
		}

		done := make(chan error, 1)
		go func() { done <- s.Unsubscribe(ctx) }()
		select {
		case err := <-done:
			t.Fatalf("Unsubscribe returned %v while disconnected; want it to wait for the connection", err)
		case <-time.After(200 * time.Millisecond):
		}
		srv.Proxy().Refuse(false)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Unsubscribe after the reconnect: %v", err)
			}
		case <-ctx.Done():
			t.Fatal("Unsubscribe did not return after the client reconnected")
		}

		// The server no longer sends the topic: a watcher gets the message,
		// the unsubscribed client does not.
		watcher := dialURL(t, srv.DirectURL())
		col := newCollector(1)
		if _, err := watcher.Subscribe(ctx, "unsub/t", col, mqttkit.AtLeastOnce); err != nil {
			t.Fatal(err)
		}
		before := sub.Stats().Received
		pub := dialURL(t, srv.DirectURL())
		if err := pub.Publish(ctx, "unsub/t", []byte("after"), mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
		col.next(t)
		if err := sub.Publish(ctx, "unsub/sync", nil, mqttkit.QoS1); err != nil { // a round trip on sub's connection
			t.Fatal(err)
		}
		if got := sub.Stats().Received - before; got != 0 {
			t.Fatalf("the unsubscribed client received %d messages: the server still holds its subscription", got)
		}
	}, mqtttest.WithoutPersistence())
}
