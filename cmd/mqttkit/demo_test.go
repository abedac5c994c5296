package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mqttkit/mqttkit/mqtttest"
)

var summary = regexp.MustCompile(`(?m)^demo: published (\d+), consumed (\d+) by (\d+) members \(([\d/]+)\), lost 0, duplicated 0$`)

// TestDemo runs demo with no arguments (embedded broker) and against
// Mosquitto with --url, and checks the summary line's counts.
func TestDemo(t *testing.T) {
	// The demo as the README runs it (500 msg/s).
	r := run(t, "", nil, "demo")
	checkSummary(t, r, 1000, 3)
	t.Run("embedded full speed", func(t *testing.T) {
		r := run(t, "", nil, "demo", "--rate", "0", "--messages", "5000")
		checkSummary(t, r, 5000, 3)
	})
	t.Run("mosquitto", func(t *testing.T) {
		srv := mqtttest.Mosquitto(t)
		r := run(t, "", nil, "demo", "--rate", "0", "--url", srv.URL(), "--messages", "300", "--members", "2")
		checkSummary(t, r, 300, 2)
	})
}

func checkSummary(t *testing.T, r result, messages, members int) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("demo: status %d: %s%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	m := summary.FindStringSubmatch(lines[len(lines)-1])
	if m == nil {
		t.Fatalf("last line %q is not the summary", lines[len(lines)-1])
	}
	total := 0
	shares := strings.Split(m[4], "/")
	for _, s := range shares {
		n, _ := strconv.Atoi(s)
		if n == 0 {
			t.Errorf("a member handled nothing: %s", m[4])
		}
		total += n
	}
	if m[1] != strconv.Itoa(messages) || m[2] != strconv.Itoa(messages) || m[3] != strconv.Itoa(members) || len(shares) != members || total != messages {
		t.Fatalf("summary %q: want %d published and consumed by %d members", m[0], messages, members)
	}
}
