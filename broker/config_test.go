package broker_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
)

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  broker.Config
	}{
		{"queue too long", broker.Config{Limits: broker.Limits{MaxQueuedMessages: 70000}}},
		{"negative queue", broker.Config{Limits: broker.Limits{MaxQueuedMessages: -1}}},
		{"negative pending writes", broker.Config{Limits: broker.Limits{MaxPendingWrites: -1}}},
		{"packet size beyond MQTT", broker.Config{Limits: broker.Limits{MaxPacketSize: 300 << 20}}},
		{"negative clients", broker.Config{Limits: broker.Limits{MaxClients: -1}}},
		{"negative connect timeout", broker.Config{Limits: broker.Limits{ConnectTimeout: -time.Second}}},
		{"address without port", broker.Config{Addr: "127.0.0.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := broker.New(tc.cfg); err == nil {
				t.Fatalf("New(%+v) accepted it", tc.cfg)
			}
		})
	}
}

func TestMaxClients(t *testing.T) {
	_, addr := start(t, func(c *broker.Config) { c.Limits.MaxClients = 1 })
	pahotest.MustDial(t, addr, pahotest.Options{ClientID: "first"})
	c, err := pahotest.Dial(t, addr, pahotest.Options{ClientID: "second"})
	if err == nil || c == nil || c.Connack == nil || c.Connack.ReasonCode != 0x89 {
		t.Fatalf("second client: %v (err %v), want CONNACK 0x89 Server busy", c, err)
	}
}

func TestMaximumPacketSizeAnnounced(t *testing.T) {
	_, addr := start(t, func(c *broker.Config) { c.Limits.MaxPacketSize = 4096 })
	c := pahotest.MustDial(t, addr, pahotest.Options{})
	if m := c.Connack.Properties.MaximumPacketSize; m == nil || *m != 4096 {
		t.Fatalf("CONNACK Maximum Packet Size = %v, want 4096", m)
	}
}

func TestRun(t *testing.T) {
	s, err := broker.New(broker.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, "the broker listening", func() bool { return s.Addr() != "" })
	pahotest.MustDial(t, s.Addr(), pahotest.Options{})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10s after its context ended")
	}
}
