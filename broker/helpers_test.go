package broker_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// start starts an in-memory embedded broker adjusted by fn and returns it
// with its direct address (no proxy).
func start(t *testing.T, fn func(*broker.Config)) (*mqtttest.Broker, string) {
	t.Helper()
	opts := []mqtttest.Option{mqtttest.WithoutPersistence()}
	if fn != nil {
		opts = append(opts, mqtttest.WithBrokerConfig(fn))
	}
	b := mqtttest.NewBroker(t, opts...)
	return b, strings.TrimPrefix(b.DirectURL(), "mqtt://")
}

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
