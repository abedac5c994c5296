package crashtest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/store"
)

// Parameters of a helper process, in its environment.
const (
	urlEnv = "MQTTKIT_CRASHTEST_URL" // broker
	dirEnv = "MQTTKIT_CRASHTEST_DIR" // session directory (store.Open)
	logEnv = "MQTTKIT_CRASHTEST_LOG" // the helper's event log, appended to
	nEnv   = "MQTTKIT_CRASHTEST_N"   // messages to publish (producer)
)

// helper is a running helper process: this test binary in a role.
type helper struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *mqtttest.LogBuffer
	exited chan struct{}
}

// startHelper starts the test binary as role with env.
func startHelper(t *testing.T, role string, env ...string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), roleEnv+"="+role), env...)
	h := &helper{cmd: cmd, stderr: &mqtttest.LogBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = h.stderr
	var err error
	if h.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the %s helper: %v", role, err)
	}
	go func() {
		_ = cmd.Wait()
		close(h.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-h.exited
	})
	return h
}

// kill SIGKILLs the helper, as a crash would, and waits for it to be gone.
// It reports whether the helper was still running.
func (h *helper) kill() bool {
	select {
	case <-h.exited:
		return false
	default:
	}
	_ = h.cmd.Process.Signal(syscall.SIGKILL)
	<-h.exited
	return true
}

// running reports whether the helper has not exited yet.
func (h *helper) running() bool {
	select {
	case <-h.exited:
		return false
	default:
		return true
	}
}

// wait waits up to d for the helper to exit and fails unless it exited 0.
func (h *helper) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-h.exited:
	case <-time.After(d):
		h.kill()
		t.Fatalf("helper still running after %v; its stderr:\n%s", d, h.stderr.String())
	}
	if !h.cmd.ProcessState.Success() {
		t.Fatalf("helper exited with %v; its stderr:\n%s", h.cmd.ProcessState, h.stderr.String())
	}
}

// killAfterGrowth SIGKILLs h once the log at path grew to target bytes (or
// h exited by itself), and reports whether h was still running. It fails
// the test when the log does not grow for a minute: the helper is stuck.
func killAfterGrowth(t *testing.T, h *helper, path string, target int64) bool {
	t.Helper()
	last, lastAt := fileSize(path), time.Now()
	for size := last; size < target && h.running(); size = fileSize(path) {
		if size != last {
			last, lastAt = size, time.Now()
		} else if time.Since(lastAt) > time.Minute {
			h.kill()
			t.Fatalf("the helper made no progress for a minute (log at %d bytes, waiting for %d); its stderr:\n%s", size, target, h.stderr.String())
		}
		time.Sleep(time.Millisecond)
	}
	return h.kill()
}

// fileSize returns the size of the file at path, 0 if it does not exist.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// event is one line of a helper's log: a word and a number ("stored 17",
// "start 1").
type event struct {
	what string
	n    int
}

// readEvents reads a helper's log. A SIGKILL can cut the last line short
// only between write calls, and every line is one write, so every line is
// whole; a missing file has no events.
func readEvents(path string) ([]event, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		what, num, ok := strings.Cut(sc.Text(), " ")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("%s: bad line %q", path, sc.Text())
		}
		out = append(out, event{what, n})
	}
	return out, sc.Err()
}

// eventLog appends events to a helper's log, one write per line.
type eventLog struct {
	mu sync.Mutex
	f  *os.File
}

func openEventLog(path string) (*eventLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &eventLog{f: f}, nil
}

func (l *eventLog) add(what string, n int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.f.Write(append(strconv.AppendInt([]byte(what+" "), int64(n), 10), '\n'))
	return err
}

func (l *eventLog) close() error { return l.f.Close() }

// openHelperState opens what every helper process starts with: its event
// log at logPath, with a "process <pid>" line that marks where this process
// begins, and the session store of dirEnv. done closes both.
func openHelperState(logPath string) (log *eventLog, st *store.File, done func(), err error) {
	if log, err = openEventLog(logPath); err != nil {
		return nil, nil, nil, err
	}
	if err = log.add("process", os.Getpid()); err == nil {
		st, err = store.Open(os.Getenv(dirEnv))
	}
	if err != nil {
		log.close()
		return nil, nil, nil, err
	}
	return log, st, func() { st.Close(); log.close() }, nil
}
