package mqtttest

import (
	"bytes"
	"sync"
)

// LogBuffer collects output written from several goroutines, typically a
// client's or a broker's log (slog.NewTextHandler(buf, nil)), so that a
// test can assert on it: that a warning was logged, or that a secret never
// was.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
