package mqttkit_test

import (
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// Will Delay reaches the server and works: a client that reconnects within
// the delay has no will published; one that stays away has it published
// after the delay, not at once.
func TestWillDelay(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 30*time.Second)
		watcher := dialURL(t, srv.DirectURL()) // not dropped with the others
		col := newCollector(4)
		if _, err := watcher.Subscribe(ctx, "wd/+", col); err != nil {
			t.Fatal(err)
		}
		back := dial(t, srv, mqttkit.WithClientID("wd-back"), mqttkit.WithSessionExpiry(time.Minute),
			mqttkit.WithWill(mqttkit.Will{Topic: "wd/back", Payload: []byte("x"), Delay: 3 * time.Second}))
		srv.DropClients()
		waitConnected(t, back) // within the delay: the will is cancelled
		col.none(t, 4*time.Second)
		// A normal DISCONNECT discards the will: none left pending to race
		// the broker's Close: mochi v2.7.9's delayed-will goroutine races its
		// hooks' Stop (the race detector caught it once).
		_ = back.Close()

		_ = dial(t, srv, mqttkit.WithClientID("wd-away"), mqttkit.WithSessionExpiry(time.Minute),
			mqttkit.WithWill(mqttkit.Will{Topic: "wd/away", Payload: []byte("y"), Delay: 2 * time.Second}))
		srv.Proxy().Refuse(true) // neither client comes back
		srv.DropClients()
		col.none(t, time.Second) // not before the delay
		if m := col.next(t); m.Topic != "wd/away" {
			t.Fatalf("got the will of %q, want only wd/away's", m.Topic)
		}
		srv.Proxy().Refuse(false)
	})
}
