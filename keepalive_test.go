package mqttkit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// Half-open detection within 1.5 × keepalive (issue 4), asserted rather
// than only logged: the broker is paused (it reads, answers and closes
// nothing), and the client must give the connection up within 1.5 × 4 s
// of the pause, plus 750 ms for a loaded machine. The client pings after
// 0.75 × keepalive of silence and waits 0.5 × keepalive for the answer, so
// it needs at most 5 s; a client that waited a whole keepalive for the
// PINGRESP (7 s) fails.
func TestHalfOpenWithinBound(t *testing.T) {
	const keepAlive = 4 * time.Second
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		lost := make(chan error, 5)
		c := dial(t, srv, mqttkit.WithKeepAlive(keepAlive),
			mqttkit.OnConnectionLost(func(_ *mqttkit.Client, err error) { lost <- err }))
		srv.Pause()
		start := time.Now()
		defer srv.Resume()
		select {
		case err := <-lost:
			took := time.Since(start)
			t.Logf("half-open connection detected after %v (keepalive %v)", took.Round(time.Millisecond), keepAlive)
			if !errors.Is(err, mqttkit.ErrKeepAliveTimeout) {
				t.Fatalf("connection lost with %v, want ErrKeepAliveTimeout", err)
			}
			if limit := keepAlive*3/2 + 750*time.Millisecond; took > limit {
				t.Fatalf("detected after %v, want within 1.5 x keepalive (%v with slack)", took, limit)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("half-open connection not detected within 20s")
		}
		srv.Resume()
		waitConnected(t, c)
	})
}
