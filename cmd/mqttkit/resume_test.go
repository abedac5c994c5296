package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest"
)

// sub -c -i ID resumes its session, and every message queued while it was
// away reaches its output once. (sub now subscribes as part of Dial, so
// the session's first messages cannot beat the handler; subscribing after
// Dial lost them only when they did, which this test rarely provokes.)
func TestSubResumesSessionWithoutSessionDir(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		hp := hostPort(srv.Addr())
		topic := "resume-cli/" + srv.Name()
		id := "resume-cli-" + srv.Name()
		first := args([]string{"sub", "-c", "-i", id, "-x", "600", "-q", "1", "-t", topic, "-C", "1", "-W", "10", "-d"}, hp)
		s := start(t, nil, first...) // -d: start waits until it subscribed
		if r := run(t, "", nil, args([]string{"pub", "-q", "1", "-t", topic, "-m", "first"}, hp)...); r.code != 0 {
			t.Fatalf("pub: %d %s", r.code, r.stderr)
		}
		if code := s.wait(t, 15*time.Second); code != 0 {
			t.Fatalf("first sub: status %d", code)
		}
		const queued = 500
		if r := run(t, numbers(queued), nil, args([]string{"pub", "-l", "-q", "1", "-t", topic}, hp)...); r.code != 0 {
			t.Fatalf("pub: %d %s", r.code, r.stderr)
		}
		r := run(t, "", nil, args([]string{"sub", "-c", "-i", id, "-x", "600", "-q", "1", "-t", topic, "-C", strconv.Itoa(queued), "-W", "10"}, hp)...)
		if r.code != 0 {
			t.Fatalf("resumed sub: status %d after %d lines, stderr %s; want every queued message", r.code, strings.Count(r.stdout, "\n"), r.stderr)
		}
		if _, missing, dup := lineSet(t, r.stdout, queued); missing != 0 || dup != 0 {
			t.Fatalf("resumed sub: %d missing, %d duplicated of %d", missing, dup, queued)
		}
	})
}
