package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// received collects the payloads a persistent-session subscriber in the
// test process gets.
type received struct {
	mu  sync.Mutex
	got map[string]int
}

func subscribeCounting(t *testing.T, srv mqtttest.Server, topic string) *received {
	t.Helper()
	r := &received{got: map[string]int{}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mqttkit.Dial(ctx, srv.DirectURL(), mqttkit.WithClientID("sessiondir-counter"), mqttkit.WithSessionExpiry(time.Hour),
		mqttkit.WithSubscription(topic, mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
			r.mu.Lock()
			r.got[string(m.Payload)]++
			r.mu.Unlock()
			return nil
		})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return r
}

// highest returns the highest number received and whether every number from
// 1 to it was received.
func (r *received) highest() (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	top := 0
	for p := range r.got {
		n, _ := strconv.Atoi(p)
		top = max(top, n)
	}
	for i := 1; i <= top; i++ {
		if r.got[strconv.Itoa(i)] == 0 {
			return top, false
		}
	}
	return top, true
}

// pub --session-dir killed while messages were unacknowledged: the next run
// on the directory sends them again and says so; nothing pub had handed to
// the client is missing.
func TestSessionDirPubResumesAfterKill(t *testing.T) {
	srv := mqtttest.Mosquitto(t)
	topic := "sessiondir/pub"
	counter := subscribeCounting(t, srv, topic)
	dir := filepath.Join(t.TempDir(), "session")
	var lines strings.Builder
	for i := 1; i <= 1000; i++ {
		fmt.Fprintln(&lines, i)
	}
	first := exec.Command(bin, args([]string{"pub"}, hostPort(srv.Addr()), []string{"--session-dir", dir, "-t", topic, "-q", "1", "-l", "--rate", "50"})...)
	first.Env = testEnv()
	first.Stdin = strings.NewReader(lines.String())
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = first.Process.Kill(); _ = first.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for top, _ := counter.highest(); top < 5; top, _ = counter.highest() {
		if time.Now().After(deadline) {
			t.Fatal("the first pub delivered nothing within 20s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Acknowledgements stop coming; what pub sends now stays in its store.
	srv.Proxy().Blackhole(true)
	time.Sleep(500 * time.Millisecond)
	_ = first.Process.Signal(syscall.SIGKILL)
	_ = first.Wait()
	srv.Proxy().Blackhole(false)
	before, _ := counter.highest()

	res := run(t, "", nil, args([]string{"pub"}, hostPort(srv.Addr()), []string{"--session-dir", dir, "-t", topic, "-q", "1", "-m", "0"})...)
	if res.code != 0 || !strings.Contains(res.stderr, "sent again") {
		t.Fatalf("second pub: exit %d, stderr %q; want 0 and a line about the messages sent again", res.code, res.stderr)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		top, complete := counter.highest()
		if top > before && complete {
			t.Logf("%d messages before the kill, %d after the second run: %s", before, top, strings.TrimSpace(res.stderr))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the second run: highest %d (before: %d), every one from 1 received: %v", top, before, complete)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sub --session-dir resumes its session without -i: what was published
// while it was away is printed by the next run.
func TestSessionDirSubResumes(t *testing.T) {
	srv := mqtttest.Mosquitto(t)
	dir := filepath.Join(t.TempDir(), "session")
	topic := "sessiondir/sub"
	sub := args([]string{"sub"}, hostPort(srv.Addr()), []string{"--session-dir", dir, "-t", topic, "-q", "1"})
	first := start(t, nil, append(sub, "-d")...)
	if res := run(t, "", nil, args([]string{"pub"}, hostPort(srv.Addr()), []string{"-t", topic, "-q", "1", "-m", "live"})...); res.code != 0 {
		t.Fatalf("pub: %d %s", res.code, res.stderr)
	}
	waitLines(t, 10*time.Second, 1, first)
	_ = first.cmd.Process.Signal(syscall.SIGTERM)
	if code := first.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("first sub exited %d:\n%s", code, first.stderrText())
	}
	for _, m := range []string{"a", "b", "c"} {
		if res := run(t, "", nil, args([]string{"pub"}, hostPort(srv.Addr()), []string{"-t", topic, "-q", "1", "-m", m})...); res.code != 0 {
			t.Fatalf("pub: %d %s", res.code, res.stderr)
		}
	}
	res := run(t, "", nil, append(sub, "-C", "3", "-W", "10")...)
	if res.code != 0 || res.stdout != "a\nb\nc\n" {
		t.Fatalf("second sub: exit %d, stdout %q, stderr %q; want a, b, c queued while it was away", res.code, res.stdout, res.stderr)
	}
}

// consume --session-dir resumes its session, like sub.
func TestSessionDirConsumeResumes(t *testing.T) {
	srv := mqtttest.Mosquitto(t)
	tmp := t.TempDir()
	dir, out := filepath.Join(tmp, "session"), filepath.Join(tmp, "out.jsonl")
	topic := "sessiondir/consume"
	consume := args([]string{"consume"}, hostPort(srv.Addr()), []string{"--session-dir", dir, "-t", topic, "--group", "g", "--jsonl", out, "-q", "1"})
	first := start(t, nil, consume...)
	_ = first.cmd.Process.Signal(syscall.SIGTERM)
	if code := first.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("first consume exited %d:\n%s", code, first.stderrText())
	}
	for _, m := range []string{"a", "b", "c"} {
		if res := run(t, "", nil, args([]string{"pub"}, hostPort(srv.Addr()), []string{"-t", topic, "-q", "1", "-m", m})...); res.code != 0 {
			t.Fatalf("pub: %d %s", res.code, res.stderr)
		}
	}
	second := start(t, nil, consume...)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(out)
		if n := strings.Count(string(b), "\n"); n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q in --jsonl; want the 3 messages queued while consume was away:\n%s", b, second.stderrText())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two processes on one session directory: the second fails at once with the
// lock error, naming the flag, and exits 1.
func TestSessionDirInUse(t *testing.T) {
	srv := mqtttest.Mosquitto(t)
	dir := filepath.Join(t.TempDir(), "session")
	start(t, nil, args([]string{"sub"}, hostPort(srv.Addr()), []string{"--session-dir", dir, "-t", "sessiondir/lock", "-d"})...)
	res := run(t, "", nil, args([]string{"pub"}, hostPort(srv.Addr()), []string{"--session-dir", dir, "-t", "sessiondir/lock", "-m", "x"})...)
	if res.code != exitFailure || !strings.Contains(res.stderr, "--session-dir") || !strings.Contains(res.stderr, "in use by another process") {
		t.Fatalf("second process: exit %d, stderr %q; want %d and the lock error", res.code, res.stderr, exitFailure)
	}
}
