package broker_test

import (
	"strings"
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
