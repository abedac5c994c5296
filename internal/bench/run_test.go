package bench

import (
	"context"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

func mqttkitDriver(url string) Mqttkit {
	return Mqttkit{Dial: func(ctx context.Context, _ int) (*mqttkit.Client, error) {
		return mqttkit.Dial(ctx, url, mqttkit.WithSessionExpiry(0))
	}}
}

// TestRunScenarios runs each scenario briefly against both brokers and
// checks the accounting: everything sent arrives once, exactly as often as
// the receiver sets require.
func TestRunScenarios(t *testing.T) {
	tests := []struct {
		name         string
		cfg          Config
		wantReceived uint64
	}{
		{"pubsub qos1", Config{Scenario: PubSub, Clients: 2, Subscribers: 1, Count: 300, QoS: 1}, 600},
		{"pubsub qos2", Config{Scenario: PubSub, Clients: 1, Subscribers: 1, Count: 200, QoS: 2}, 200},
		{"fan-out to two subscribers", Config{Scenario: PubSub, Clients: 1, Subscribers: 2, Count: 200, QoS: 1}, 400},
		{"group of three", Config{Scenario: PubSub, Clients: 2, Subscribers: 3, Group: "g", Count: 200, QoS: 1}, 400},
		{"pub with warmup", Config{Scenario: Pub, Clients: 1, Duration: 300 * time.Millisecond, Warmup: 100 * time.Millisecond, QoS: 1}, 0},
		{"rate limited", Config{Scenario: PubSub, Clients: 1, Subscribers: 1, Count: 50, Rate: 500, QoS: 0}, 50},
	}
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				cfg := tc.cfg
				cfg.Size, cfg.Inflight, cfg.Topic = 64, 100, "bench/"+t.Name()+"/%i"
				res, err := Run(context.Background(), cfg, mqttkitDriver(srv.DirectURL()))
				if err != nil {
					t.Fatal(err)
				}
				if res.Bad() || res.Lost != 0 || res.Duplicated != 0 {
					t.Fatalf("lost %d, failed %d, duplicated %d (%s)", res.Lost, res.Failed, res.Duplicated, res.FirstError)
				}
				if res.Acked != res.Sent || res.Sent == 0 {
					t.Errorf("sent %d, acknowledged %d", res.Sent, res.Acked)
				}
				if tc.wantReceived != 0 && (res.Received != tc.wantReceived || res.Expected != tc.wantReceived) {
					t.Errorf("received %d of %d expected, want %d", res.Received, res.Expected, tc.wantReceived)
				}
				if cfg.Scenario == PubSub && res.Latency.Count() != res.Received {
					t.Errorf("%d latencies for %d messages", res.Latency.Count(), res.Received)
				}
				if res.MsgsPerSec <= 0 || res.CPUusPerMsg <= 0 {
					t.Errorf("msgs/s %v, cpu/msg %v", res.MsgsPerSec, res.CPUusPerMsg)
				}
			})
		}
	}, mqtttest.WithoutPersistence(), mqtttest.WithReceiveMaximum(1000))
}

// TestRunConns opens a few connections and reports their connect times.
func TestRunConns(t *testing.T) {
	srv := mqtttest.NewBroker(t, mqtttest.WithoutPersistence())
	res, err := Run(context.Background(), Config{Scenario: Conns, Clients: 20, Size: 64, Inflight: 1, Topic: "t"}, mqttkitDriver(srv.DirectURL()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Connections != 20 || res.Failed != 0 || res.Latency.Count() != 20 {
		t.Fatalf("connections %d, failed %d, timed %d", res.Connections, res.Failed, res.Latency.Count())
	}
}

// TestLossIsReported counts a subscriber's missing messages: the
// subscriber's filter matches only one of two publishers' topics.
func TestLossIsReported(t *testing.T) {
	srv := mqtttest.Mosquitto(t, mqtttest.WithoutPersistence(), mqtttest.WithReceiveMaximum(1000))
	d := mqttkitDriver(srv.DirectURL())
	cfg := Config{Scenario: PubSub, Clients: 2, Subscribers: 1, Count: 50, Size: 64, Inflight: 10, QoS: 1,
		Topic: "loss/%i", Drain: 200 * time.Millisecond}
	res, err := Run(context.Background(), cfg, filtered{d, "loss/0"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lost != 50 || !res.Bad() {
		t.Fatalf("lost %d, want the 50 of the unsubscribed publisher", res.Lost)
	}
}

// filtered subscribes to one fixed filter whatever it is asked.
type filtered struct {
	Mqttkit
	filter string
}

func (f filtered) Connect(ctx context.Context, i int) (Conn, error) {
	c, err := f.Mqttkit.Connect(ctx, i)
	if err != nil {
		return nil, err
	}
	return filteredConn{c, f.filter}, nil
}

type filteredConn struct {
	Conn
	filter string
}

func (c filteredConn) Subscribe(ctx context.Context, _ string, o SubOptions, h func([]byte)) error {
	return c.Conn.Subscribe(ctx, c.filter, o, h)
}
