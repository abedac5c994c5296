package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// bin is the mqttkit binary built once for every test of the package.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mqttkit-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "mqttkit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building mqttkit: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what a finished mqttkit process left.
type result struct {
	stdout, stderr string
	code           int
}

// run runs mqttkit with args and stdin to completion (at most 60 s).
func run(t *testing.T, stdin string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(testEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running mqttkit %s: %v", strings.Join(args, " "), err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// testEnv is the environment of every child: no configuration file or
// password from the machine running the tests.
func testEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MQTTKIT_") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "XDG_CONFIG_HOME=/nonexistent")
}

// proc is a running mqttkit process whose stdout goes to a file, so that
// tests can count lines while it runs.
type proc struct {
	cmd    *exec.Cmd
	out    string
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan struct{}
	err    error
}

// start starts mqttkit with args; the process is killed when the test ends.
// With -d among args it waits for the "subscribed" line of sub.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{out: filepath.Join(t.TempDir(), "stdout"), done: make(chan struct{})}
	f, err := os.Create(p.out)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(testEnv(), env...)
	p.cmd.Stdout = f
	pr, pw := io.Pipe()
	p.cmd.Stderr = pw
	ready := make(chan struct{})
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if strings.Contains(sc.Text(), "subscribed to") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		pw.Close()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("mqttkit %s stderr:\n%s", strings.Join(args, " "), p.stderrText())
		}
	})
	if waitsForSubscription(args) {
		select {
		case <-ready:
		case <-p.done:
			t.Fatalf("mqttkit %s ended before subscribing: %v\n%s", strings.Join(args, " "), p.err, p.stderrText())
		case <-time.After(20 * time.Second):
			t.Fatalf("mqttkit %s did not subscribe within 20s:\n%s", strings.Join(args, " "), p.stderrText())
		}
	}
	return p
}

func waitsForSubscription(args []string) bool {
	if len(args) == 0 || (args[0] != "sub" && args[0] != "consume") {
		return false
	}
	return args[0] == "consume" || contains(args, "-d")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (p *proc) stderrText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// wait waits for the process to end by itself and returns its exit status.
func (p *proc) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		t.Fatalf("mqttkit %s still running after %v:\n%s", strings.Join(p.cmd.Args[1:], " "), within, p.stderrText())
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return 0
}

// stdout returns what the process printed so far.
func (p *proc) stdout(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lines counts the complete lines printed so far.
func (p *proc) lines(t *testing.T) int { return strings.Count(p.stdout(t), "\n") }

// waitLines waits until the process printed n lines in total.
func waitLines(t *testing.T, within time.Duration, n int, procs ...*proc) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		total := 0
		for _, p := range procs {
			total += p.lines(t)
		}
		if total >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d lines after %v", total, n, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hostPort splits a broker's "127.0.0.1:PORT" into -h and -p arguments.
func hostPort(addr string) []string {
	h, p, _ := strings.Cut(addr, ":")
	return []string{"-h", h, "-p", p}
}

// args joins argument lists.
func args(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
