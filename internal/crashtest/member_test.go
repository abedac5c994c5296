package crashtest

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

const (
	memberTopic    = "crashtest/g"
	memberMessages = 3000
	memberKills    = 5
	memberReceive  = 50 // the member's Receive Maximum: what can be unacknowledged at a kill
	memberWorkers  = 4
	memberHandling = 2 * time.Millisecond
)

// A consumer group member is SIGKILLed while its handlers run, and started
// again with the same client id and session directory: the server resumes
// its session (session present), and the messages it was handling when it
// died come back to it. Nothing is lost; duplicates stay within the
// member's Receive Maximum per kill.
func TestMemberKilledWhileHandlingGetsItsMessagesBack(t *testing.T) {
	mqtttest.EachBroker(t, proveMember, mqtttest.WithReceiveMaximum(brokerReceive), mqtttest.WithMaxQueued(2*memberMessages))
}

// logGrowth is how much the member's log grows at least while it handles
// messages first to first+n-1: a "got" and a "done" line each. (A fixed
// four digits per number overestimated the first chunks, whose kill point
// then lay past the end of their growth: the test waited a minute and
// failed, in about 1 of 8 runs.)
func logGrowth(first, n int) (g int64) {
	for seq := first; seq < first+n; seq++ {
		g += 2*int64(len(strconv.Itoa(seq))) + int64(len("got \ndone \n"))
	}
	return g
}

func proveMember(t *testing.T, srv mqtttest.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "member.log")
	env := []string{urlEnv + "=" + srv.DirectURL(), dirEnv + "=" + filepath.Join(dir, "session"), logEnv + "=" + logPath}

	h := startHelper(t, "member", env...)
	waitFor(t, logPath, time.Minute, "the member to connect", func(ev []event) bool { return hasEvent(ev, "start") })
	pub, err := mqttkit.Dial(ctx, srv.DirectURL())
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	next := 1
	publish := func(n int) {
		results := make([]*mqttkit.PublishResult, n)
		for i := range results {
			results[i] = pub.PublishAsync(ctx, memberTopic, strconv.AppendInt(nil, int64(next), 10), mqttkit.QoS1)
			next++
		}
		for _, r := range results {
			if err := r.Wait(ctx); err != nil {
				t.Fatalf("publish: %v", err)
			}
		}
	}
	// The messages go out in one chunk per process, and each process but
	// the last is killed at a random point of handling its chunk (after a
	// random part of the log growth the chunk causes), however fast the
	// broker takes the publishes.
	chunk := memberMessages / (memberKills + 1)
	for range memberKills {
		base := fileSize(logPath)
		growth := logGrowth(next, chunk)
		publish(chunk)
		killAfterGrowth(t, h, logPath, base+1+rand.N(growth*9/10))
		h = startHelper(t, "member", env...)
	}
	publish(memberMessages - chunk*memberKills)
	waitFor(t, logPath, 2*time.Minute, "every message to be handled", func(ev []event) bool {
		done := map[int]bool{}
		for _, e := range ev {
			if e.what == "done" {
				done[e.n] = true
			}
		}
		return len(done) == memberMessages
	})
	_ = h.stdin.Close()
	h.wait(t, time.Minute)

	events, err := readEvents(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// Split the log into the processes that wrote it.
	var procs [][]event
	for _, e := range events {
		if e.what == "process" {
			procs = append(procs, nil)
			continue
		}
		procs[len(procs)-1] = append(procs[len(procs)-1], e)
	}
	if len(procs) != memberKills+1 {
		t.Fatalf("%d member processes logged, want %d", len(procs), memberKills+1)
	}
	got, interrupted, cameBack := 0, 0, 0
	var perProcess []int
	for _, p := range procs {
		n := 0
		for _, e := range p {
			if e.what == "got" {
				n++
			}
		}
		perProcess = append(perProcess, n)
	}
	t.Logf("handler calls per process: %v", perProcess)
	for i, p := range procs {
		// A process killed before it connected logged nothing more.
		if i > 0 && len(p) > 0 && p[0] != (event{"start", 1}) {
			t.Fatalf("member process %d did not resume its session: its log starts with %v", i+1, p[:min(len(p), 1)])
		}
		handling := map[int]bool{}
		for _, e := range p {
			switch e.what {
			case "got":
				got++
				handling[e.n] = true
			case "done":
				delete(handling, e.n)
			}
		}
		if i == len(procs)-1 {
			break
		}
		// Killed while handling these: each must come back to a later
		// process of the member.
		for seq := range handling {
			interrupted++
			if !gotLater(procs[i+1:], seq) {
				t.Errorf("message %d was being handled when member process %d was killed and never came back", seq, i+1)
				continue
			}
			cameBack++
		}
	}
	dups := got - memberMessages
	t.Logf("%d messages, %d kills: %d deliveries to handlers, %d duplicates, %d interrupted in a handler, %d of them came back",
		memberMessages, memberKills, got, dups, interrupted, cameBack)
	if interrupted == 0 {
		t.Fatal("no kill landed while a handler ran: the test proved nothing")
	}
	if bound := memberKills * (memberReceive + memberWorkers); dups > bound {
		t.Fatalf("%d duplicates after %d kills; at most %d expected", dups, memberKills, bound)
	}
}

func gotLater(procs [][]event, seq int) bool {
	for _, p := range procs {
		for _, e := range p {
			if e.what == "got" && e.n == seq {
				return true
			}
		}
	}
	return false
}

func hasEvent(ev []event, what string) bool {
	for _, e := range ev {
		if e.what == what {
			return true
		}
	}
	return false
}

// waitFor polls the log at path until ok says yes, failing after d.
func waitFor(t *testing.T, path string, d time.Duration, what string, ok func([]event) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ev, err := readEvents(path)
		if err != nil {
			t.Fatal(err)
		}
		if ok(ev) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runMember is the consumer group member helper process: it logs "process
// <pid>", then "start <1 if the session was present>" on connecting, "got
// <seq>" and "done <seq>" around each handler call, and drains and exits
// when its standard input closes.
func runMember() error {
	log, st, done, err := openHelperState(os.Getenv(logEnv))
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	handler := mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
		seq, err := strconv.Atoi(string(m.Payload))
		if err != nil {
			return fmt.Errorf("payload %q is not a sequence number", m.Payload)
		}
		if err := log.add("got", seq); err != nil {
			return err
		}
		time.Sleep(memberHandling)
		return log.add("done", seq)
	})
	c, err := mqttkit.Dial(ctx, os.Getenv(urlEnv), mqttkit.WithClientID("crashtest-member"), mqttkit.WithStore(st),
		mqttkit.WithReceiveMaximum(memberReceive),
		mqttkit.OnConnect(func(_ *mqttkit.Client, info mqttkit.ConnectInfo) {
			present := 0
			if info.SessionPresent {
				present = 1
			}
			_ = log.add("start", present)
		}),
		mqttkit.WithSubscription(memberTopic, handler, mqttkit.Group("g"), mqttkit.Workers(memberWorkers)))
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	return c.Drain(ctx)
}
