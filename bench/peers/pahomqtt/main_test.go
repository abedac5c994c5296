package main

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/mqttkit/mqttkit/internal/bench"
	"github.com/mqttkit/mqttkit/mqtttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDriver runs short pubsub scenarios with this peer's driver against
// Mosquitto set up as bench/compare sets it up (1000 messages in flight):
// everything sent arrives once. With Mosquitto's default of 20,
// paho.mqtt.golang v1.5.1 stops receiving QoS 2 messages after about 50
// (docs/BENCHMARKS.md).
func TestDriver(t *testing.T) {
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
			res, err := bench.Run(context.Background(), cfg, driver{addr: srv.Addr()})
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
