package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest"
)

// lineSet parses lines of numbers and reports the missing and repeated ones
// among 0..n-1.
func lineSet(t *testing.T, text string, n int) (seen []int, missing, dup int) {
	t.Helper()
	seen = make([]int, n)
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if l == "" {
			continue
		}
		i, err := strconv.Atoi(l)
		if err != nil || i < 0 || i >= n {
			t.Fatalf("unexpected line %q", l)
		}
		seen[i]++
	}
	for _, c := range seen {
		switch {
		case c == 0:
			missing++
		case c > 1:
			dup += c - 1
		}
	}
	return seen, missing, dup
}

func numbers(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%d\n", i)
	}
	return b.String()
}

// TestPubLinesQoS1LosesNothing pipes 100k lines into pub -l -q 1 and
// counts them at a QoS 1 subscriber: pub exits only after every PUBACK, so
// all arrive, once.
func TestPubLinesQoS1LosesNothing(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		n := 100_000
		// Straight to the broker: the fault-injecting proxy is not under test.
		hp := hostPort(strings.TrimPrefix(srv.DirectURL(), "mqtt://"))
		s := start(t, nil, args([]string{"sub", "-d", "-q", "1", "-t", "lines/t", "-C", strconv.Itoa(n), "-W", "120"}, hp)...)
		r := run(t, numbers(n), nil, args([]string{"pub", "-l", "-q", "1", "-t", "lines/t"}, hp)...)
		if r.code != 0 {
			t.Fatalf("pub -l: status %d after the subscriber printed %d lines: %s", r.code, s.lines(t), r.stderr)
		}
		if code := s.wait(t, 120*time.Second); code != 0 {
			t.Fatalf("sub: status %d after %d lines", code, s.lines(t))
		}
		if _, missing, dup := lineSet(t, s.stdout(t), n); missing != 0 || dup != 0 {
			t.Fatalf("%d missing, %d duplicated of %d", missing, dup, n)
		}
	}, mqtttest.WithMaxQueued(65535), mqtttest.WithoutPersistence())
}

// TestSubGroupSplitsStream runs three sub --group processes and checks that
// together they print every message once, each a share of them.
func TestSubGroupSplitsStream(t *testing.T) {
	const n = 3000
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		hp := hostPort(srv.Addr())
		var members []*proc
		for i := range 3 {
			members = append(members, start(t, nil, args([]string{"sub", "-d", "-q", "1", "-t", "grp/+/v", "--group", "g", "-i", fmt.Sprintf("member-%d", i)}, hp)...))
		}
		r := run(t, topicLines(n), nil, args([]string{"pub", "-l", "--topic-from-line", "-q", "1"}, hp)...)
		if r.code != 0 {
			t.Fatalf("pub: status %d: %s", r.code, r.stderr)
		}
		waitLines(t, 30*time.Second, n, members...)
		time.Sleep(200 * time.Millisecond) // a duplicate would arrive now
		all := ""
		for i, m := range members {
			out := m.stdout(t)
			if got := strings.Count(out, "\n"); got < n/10 {
				t.Errorf("member %d printed %d of %d messages; the group should split them", i, got, n)
			}
			all += out
		}
		if _, missing, dup := lineSet(t, all, n); missing != 0 || dup != 0 {
			t.Fatalf("%d missing, %d duplicated of %d", missing, dup, n)
		}
	})
}

// topicLines is n lines "grp/<k>/v<TAB><i>" over 10 topics.
func topicLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "grp/%d/v\t%d\n", i%10, i)
	}
	return b.String()
}
