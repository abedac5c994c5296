package mqttkit_test

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
)

// WithDialOnce tries each server once and returns the last error while the
// context still has time left, instead of retrying until it ends.
func TestDialOnceFailsFast(t *testing.T) {
	var urls []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, "mqtt://"+ln.Addr().String())
		_ = ln.Close() // nothing listens there now: connection refused
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := mqttkit.Dial(ctx, urls[0], mqttkit.WithServers(urls[1]), mqttkit.WithDialOnce(), mqttkit.WithLogger(testLogger(t)))
	if err == nil {
		_ = c.Close()
		t.Fatal("Dial succeeded with no server listening")
	}
	if ctx.Err() != nil {
		t.Fatalf("Dial returned only when its context ended: %v", err)
	}
	var de *mqttkit.DialError
	if !errors.As(err, &de) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Dial error %T %q: want a *DialError unwrapping to ECONNREFUSED", err, err)
	}
	if de.Servers != urls[0]+", "+urls[1] {
		t.Errorf("DialError.Servers = %q, want both servers in order", de.Servers)
	}
}
