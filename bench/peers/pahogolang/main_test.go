package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/mqttkit/mqttkit/internal/bench"
	"github.com/mqttkit/mqttkit/internal/bench/benchtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDriver checks this peer's driver with the test every peer passes.
func TestDriver(t *testing.T) {
	benchtest.CheckDriver(t, func(addr string) bench.Driver { return driver{addr: addr} })
}
