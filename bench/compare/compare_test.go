package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mqttkit/mqttkit/internal/bench"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestMosquittoConfigIsFixed(t *testing.T) {
	c := mosquittoConfig(1234)
	for _, line := range []string{"listener 1234 127.0.0.1", "max_queued_messages 0", "max_inflight_messages 1000", "user root", "persistence false"} {
		if !strings.Contains(c, line+"\n") {
			t.Errorf("config lacks %q", line)
		}
	}
}

func TestTableRatios(t *testing.T) {
	all := []outcome{
		{Scenario: "s", Result: bench.Result{Client: "mqttkit", MsgsPerSec: 40000, CPUusPerMsg: 10, P99ms: 1}, BrokerCPU: 0.9},
		{Scenario: "s", Result: bench.Result{Client: "paho.golang", MsgsPerSec: 10000, CPUusPerMsg: 60, P99ms: 4}},
		{Scenario: "s", Result: bench.Result{Client: "broken"}, Err: "exit status 1"},
	}
	got := renderTable(all)
	for _, want := range []string{"| s | paho.golang | 10000 | 4.00 | 60.0 | 0 | 0 % | 4.00× | 6.00× | 4.00× |", "| s | mqttkit | 40000 | 1.00 | 10.0 | 0 | 90 % |", "failed: exit status 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	// A lossy default row is no base for ratios; the loss-free variant is.
	lossy := []outcome{
		{Scenario: "s", Result: bench.Result{Client: "mqttkit", QoS: 1, Lost: 5, MsgsPerSec: 99999, CPUusPerMsg: 1, P99ms: 1}},
		{Scenario: "s", Result: bench.Result{Client: "mqttkit-rm65535", QoS: 1, MsgsPerSec: 20000, CPUusPerMsg: 10, P99ms: 2}},
		{Scenario: "s", Result: bench.Result{Client: "paho.golang", QoS: 1, MsgsPerSec: 10000, CPUusPerMsg: 50, P99ms: 4}},
	}
	if got := renderTable(lossy); !strings.Contains(got, "| 2.00×* | 5.00×* | 2.00×* |") {
		t.Errorf("ratios not taken from the loss-free row:\n%s", got)
	}
}

// TestRunPeerAgainstMosquitto builds one peer, starts the suite's Mosquitto
// and runs a short pubsub through runPeer: the building blocks of the
// suite, without the suite.
func TestRunPeerAgainstMosquitto(t *testing.T) {
	if _, err := exec.LookPath("mosquitto"); err != nil {
		if _, err := os.Stat("/usr/sbin/mosquitto"); err != nil {
			if os.Getenv("MQTTKIT_REQUIRE_MOSQUITTO") == "1" {
				t.Fatal("MQTTKIT_REQUIRE_MOSQUITTO=1 but mosquitto is not installed")
			}
			t.Skip("mosquitto is not installed")
		}
	}
	if testing.Short() {
		t.Skip("builds a peer program")
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", dir+"/", "github.com/mqttkit/mqttkit/bench/peers/pahomqtt")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the peer: %v\n%s", err, out)
	}
	b, err := startMosquitto("/usr/sbin/mosquitto", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.stop()
	p := peers[3]
	argv := p.argv(dir, b, []string{"pubsub", "--qos", "1", "--count", "300"})
	out := runPeer(context.Background(), b, argv, time.Minute)
	if out.Err != "" {
		t.Fatal(out.Err)
	}
	r := out.Result
	if r.Client != "paho.mqtt.golang" || r.Sent != 300 || r.Received != 300 || r.Lost != 0 {
		t.Fatalf("client %q sent %d received %d lost %d", r.Client, r.Sent, r.Received, r.Lost)
	}
	if out.BrokerCPU < 0 || out.BrokerCPU > 2 {
		t.Errorf("broker CPU share %v : not a share of one core", out.BrokerCPU)
	}
}
