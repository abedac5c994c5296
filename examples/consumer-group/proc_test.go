package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildExample builds this program with go build, so that the tests run it
// as separate OS processes.
func buildExample(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "consumer-group")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is one running process of the example.
type proc struct {
	name       string
	cmd        *exec.Cmd
	subscribed chan struct{} // closed when a member printed that it subscribed
	listening  chan string   // the address a broker printed it listens on
	exited     chan struct{} // closed once the process was waited for
	err        error         // its exit status, valid after exited
}

// startProc starts bin with args; its standard error goes to t.Log, line by
// line. The process is killed at the end of the test if still running.
func startProc(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, subscribed: make(chan struct{}), listening: make(chan string, 1), exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stderr = &lineLogger{t: t, prefix: name + ": ", onLine: func(l string) {
		if addr, ok := strings.CutPrefix(l, "broker listening on "); ok {
			p.listening <- addr
		}
		if strings.Contains(l, " subscribed ") {
			select {
			case <-p.subscribed:
			default:
				close(p.subscribed)
			}
		}
	}}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// waitSubscribed waits until a member has its subscription.
func (p *proc) waitSubscribed(t *testing.T) {
	t.Helper()
	select {
	case <-p.subscribed:
	case <-p.exited:
		t.Fatalf("%s exited before subscribing: %v", p.name, p.err)
	case <-time.After(30 * time.Second):
		p.dump()
		t.Fatalf("%s did not subscribe within 30s (its goroutines are in the log above)", p.name)
	}
}

// dump makes the process print its goroutines (SIGQUIT: Go's runtime
// writes them to standard error, which is in the test log) and exit.
func (p *proc) dump() {
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
	}
}

// kill sends SIGKILL: no drain, no DISCONNECT, nothing flushed.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL %s: %v", p.name, err)
	}
	<-p.exited
}

// stop sends SIGTERM, which makes the example drain, and checks that it
// exits cleanly.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t, 20*time.Second)
}

// wait waits for the process to exit and checks that it succeeded.
func (p *proc) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		t.Fatalf("%s did not exit within %v", p.name, d)
	}
	if p.err != nil {
		t.Errorf("%s exited with %v", p.name, p.err)
	}
}

// lineLogger writes what a process prints to t.Log, one line at a time.
type lineLogger struct {
	t      *testing.T
	prefix string
	onLine func(string)
	mu     sync.Mutex
	buf    []byte
}

func (l *lineLogger) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := string(l.buf[:i])
		l.buf = l.buf[i+1:]
		l.t.Log(l.prefix + line)
		l.onLine(line)
	}
}

// countLines returns the number of lines in path (0 while it does not exist).
func countLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte{'\n'})
}
