// Package benchtest holds the test every peer driver of bench/peers must
// pass, so the peers are checked by one piece of code.
package benchtest

import (
	"context"
	"testing"

	"github.com/mqttkit/mqttkit/internal/bench"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// CheckDriver runs short pubsub scenarios with the driver that newDriver
// builds for a broker address, against Mosquitto set up as bench/compare
// sets it up (1000 messages in flight): everything sent must arrive once.
// With Mosquitto's default of 20, paho.mqtt.golang v1.5.1 stops receiving
// QoS 2 messages after about 50 (docs/BENCHMARKS.md).
func CheckDriver(t *testing.T, newDriver func(addr string) bench.Driver) {
	srv := mqtttest.Mosquitto(t, mqtttest.WithoutPersistence(), mqtttest.WithReceiveMaximum(1000))
	tests := []struct {
		name string
		cfg  bench.Config
	}{
		{"qos1", bench.Config{Scenario: bench.PubSub, Clients: 2, Subscribers: 1, Count: 200, QoS: 1}},
		{"qos2", bench.Config{Scenario: bench.PubSub, Clients: 1, Subscribers: 1, Count: 100, QoS: 2}},
		{"group of two", bench.Config{Scenario: bench.PubSub, Clients: 1, Subscribers: 2, Group: "g", Count: 200, QoS: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Size, cfg.Inflight, cfg.Topic = 64, 50, "peer/"+tc.name+"/%i"
			res, err := bench.Run(context.Background(), cfg, newDriver(srv.Addr()))
			if err != nil {
				t.Fatal(err)
			}
			want := uint64(cfg.Clients * cfg.Count)
			if res.Sent != want || res.Received != want || res.Lost != 0 || res.Duplicated != 0 || res.Failed != 0 {
				t.Fatalf("sent %d received %d lost %d duplicated %d failed %d; want %d each, no loss",
					res.Sent, res.Received, res.Lost, res.Duplicated, res.Failed, want)
			}
		})
	}
}
