package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
)

func TestSharedSubscriptionRoundRobin(t *testing.T) {
	b, addr := start(t, nil)
	const filter = "$share/workers/jobs/+/run"
	members := make([]*pahotest.Client, 3)
	for i := range members {
		members[i] = pahotest.MustDial(t, addr, pahotest.Options{ClientID: fmt.Sprint("m", i), KeepSession: true})
		members[i].Subscribe(t, filter, 1)
	}
	pub := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "pub"})
	publish := func(n int) {
		for i := range n {
			pub.Publish(t, fmt.Sprintf("jobs/%d/run", i%7), 1, false, []byte("x"))
		}
	}

	publish(3000)
	counts := receiveAll(t, members, 3000)
	for i, n := range counts {
		if n < 999 || n > 1001 {
			t.Errorf("member m%d got %d of 3000, want 1000 ± 1 (all: %v)", i, n, counts)
		}
	}

	// Kill m2's connection; its session stays (offline). The others get
	// every following message.
	members[2].TerminateConnectionForTest()
	waitFor(t, "m2 offline in Stats", func() bool {
		for _, g := range b.Server().Stats().SharedGroups {
			for _, m := range g.Members {
				if m.ClientID == "m2" {
					return !m.Connected
				}
			}
		}
		return false
	})
	publish(300)
	counts = receiveAll(t, members[:2], 300)
	if counts[0]+counts[1] != 300 || counts[0] < 149 || counts[1] < 149 {
		t.Fatalf("connected members got %v of 300 after m2 left, want all, split evenly", counts)
	}

	// With every member gone, messages wait in the offline sessions and
	// arrive when the members come back.
	for _, m := range members[:2] {
		m.TerminateConnectionForTest()
	}
	waitFor(t, "no member connected", func() bool { return b.Server().Stats().ClientsConnected == 1 })
	publish(30)
	for i := range members {
		members[i] = pahotest.MustDial(t, addr, pahotest.Options{ClientID: fmt.Sprint("m", i), KeepSession: true})
	}
	receiveAll(t, members, 30)
}

// receiveAll waits until the clients together have received want messages
// and returns how many each got; it fails on timeout or on extra messages.
func receiveAll(t *testing.T, clients []*pahotest.Client, want int) []int {
	t.Helper()
	counts := make([]int, len(clients))
	total := 0
	deadline := time.After(60 * time.Second)
	for total < want {
		progressed := false
		for i, c := range clients {
			select {
			case <-c.Messages:
				counts[i]++
				total++
				progressed = true
			default:
			}
		}
		if !progressed {
			select {
			case <-deadline:
				t.Fatalf("received %d of %d messages (per client %v)", total, want, counts)
			case <-time.After(time.Millisecond):
			}
		}
	}
	for i, c := range clients {
		if m := c.Next(100 * time.Millisecond); m != nil {
			t.Fatalf("client %d got an extra message %s beyond the %d expected", i, m.Topic, want)
		}
	}
	return counts
}

// waitFor polls cond for up to 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStats(t *testing.T) {
	b, addr := start(t, nil)
	a := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "a", KeepSession: true})
	a.Subscribe(t, "s/#", 1)
	a.Subscribe(t, "$share/g/s/+", 1)
	c := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "c"})
	c.Subscribe(t, "$share/g/s/+", 1)
	c.Publish(t, "s/1", 1, true, []byte("x"))
	c.Publish(t, "s/2", 0, false, []byte("y"))
	a.Next(5 * time.Second)
	a.Next(5 * time.Second)

	waitFor(t, "messages counted", func() bool { return b.Server().Stats().MessagesOut >= 3 })
	got := b.Server().Stats()
	want := broker.Stats{
		ClientsConnected: 2, Sessions: 2, Subscriptions: 3,
		SharedGroups: []broker.SharedGroup{{Group: "g", Filter: "s/+", Members: []broker.SharedMember{
			{ClientID: "a", Connected: true}, {ClientID: "c", Connected: true},
		}}},
		// s/1 goes to a once: round-robin picks a (first by id) for the
		// group, and mochi merges a session's overlapping subscriptions
		// into one delivery. s/2 goes to a (s/#) and to c (the group's turn).
		MessagesIn: 2, MessagesOut: 3, Retained: 1,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Stats:\n got %+v\nwant %+v", got, want)
	}
}
