package mqtttest

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// testLog writes lines to t.Log until closed; lines after that are dropped,
// because t.Log after a test ends panics and brokers may log while they
// shut down.
type testLog struct {
	t      testing.TB
	prefix string
	mu     sync.Mutex
	closed bool
}

func newTestLog(t testing.TB, prefix string) *testLog {
	l := &testLog{t: t, prefix: prefix}
	t.Cleanup(l.close) // registered first, so it runs after the broker's cleanup
	return l
}

// Write logs p, one t.Log call per line.
func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return len(p), nil
	}
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		l.t.Log(l.prefix + line)
	}
	return len(p), nil
}

func (l *testLog) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}

// logger returns a slog.Logger writing to l at warning level, or debug.
func (l *testLog) logger(debug bool) *slog.Logger {
	level := slog.LevelWarn
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: level}))
}
