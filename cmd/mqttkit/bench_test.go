package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mqttkit/mqttkit/mqtttest"
)

// runBench runs `mqttkit bench args…` in process and returns its stdout
// and exit status.
func runBench(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = out
	root := newRoot()
	root.SetArgs(append([]string{"bench"}, args...))
	cmd, runErr := root.ExecuteC()
	os.Stdout = saved
	code := exitOK
	if runErr != nil {
		code, _ = classify(cmd, runErr)
		t.Logf("bench: %v", runErr)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b), code
}

func TestBenchPubSubEndToEnd(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		u, err := url.Parse(srv.DirectURL())
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		csvPath, htmlPath := filepath.Join(dir, "runs.csv"), filepath.Join(dir, "run.html")
		out, code := runBench(t, "pubsub", "-h", u.Hostname(), "-p", u.Port(), "-c", "2", "--count", "500",
			"--rate", "2000", "--inflight", "100", "-q", "1", "--json", "--csv", csvPath, "--report", htmlPath, "--quiet")
		if code != exitOK {
			t.Fatalf("exit status %d, output %q", code, out)
		}
		var res map[string]any
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("output is not one JSON object: %v: %q", err, out)
		}
		for _, k := range []string{"scenario", "qos", "size", "clients", "sent", "received", "lost", "duplicated",
			"msgs_per_sec", "p50_ms", "p99_ms", "p999_ms", "max_ms", "cpu_us_per_msg"} {
			if _, ok := res[k]; !ok {
				t.Errorf("JSON lacks %q", k)
			}
		}
		if res["sent"] != 1000.0 || res["received"] != res["sent"] || res["lost"] != 0.0 {
			t.Errorf("sent %v, received %v, lost %v; want 1000, 1000, 0", res["sent"], res["received"], res["lost"])
		}
		if res["scenario"] != "pubsub" || res["qos"] != 1.0 || res["clients"] != 2.0 {
			t.Errorf("scenario %v qos %v clients %v", res["scenario"], res["qos"], res["clients"])
		}
		csv, err := os.ReadFile(csvPath)
		if err != nil || strings.Count(string(csv), "\n") != 2 {
			t.Errorf("CSV: %v, %q; want a header and a row", err, csv)
		}
		page, err := os.ReadFile(htmlPath)
		if err != nil || strings.Count(string(page), "<svg") != 2 {
			t.Errorf("report: %v; want two inline SVG charts", err)
		}
	}, mqtttest.WithoutPersistence())
}

func TestBenchUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"unknown scenario", []string{"flood"}},
		{"payload below the header", []string{"pub", "-s", "10"}},
		{"both rates", []string{"pub", "--rate", "10", "--rate-per-client", "5"}},
		{"qos 3", []string{"pub", "-q", "3"}},
		{"count and duration", []string{"pub", "--count", "5", "--duration", "1s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, code := runBench(t, tc.args...); code != exitUsage {
				t.Fatalf("exit status %d, want %d", code, exitUsage)
			}
		})
	}
}

func TestBenchConnectFailure(t *testing.T) {
	// Port 1 on loopback refuses connections.
	_, code := runBench(t, "pub", "-h", "127.0.0.1", "-p", "1", "--count", "1", "--quiet")
	if code != exitConnect {
		t.Fatalf("exit status %d, want %d", code, exitConnect)
	}
}
