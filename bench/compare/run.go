package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/mqttkit/mqttkit/internal/bench"
	"github.com/mqttkit/mqttkit/internal/procstat"
)

// outcome is one client's result in one scenario, with the broker's CPU.
type outcome struct {
	Scenario  string       `json:"scenario_name"`
	Result    bench.Result `json:"result"`
	BrokerCPU float64      `json:"broker_cpu_share"` // of one core, over the whole run
	Note      string       `json:"note,omitempty"`
	Err       string       `json:"error,omitempty"`
}

// peer is a client program and how to call it.
type peer struct {
	name string
	argv func(bin string, b *broker, args []string) []string
}

var peers = []peer{
	{"mqttkit", func(bin string, b *broker, args []string) []string {
		return append(append([]string{filepath.Join(bin, "mqttkit"), "bench"}, args...),
			"-h", "127.0.0.1", "-p", strconv.Itoa(b.port), "--json", "--allow-loss", "--quiet")
	}},
	// mqttkit with the largest Receive Maximum, as paho.golang announces:
	// shows what the default of 1024 costs against Mosquitto 2.0.11, which
	// sends more than that unacknowledged (the client then disconnects
	// with 0x93; docs/BENCHMARKS.md).
	{"mqttkit-rm65535", func(bin string, b *broker, args []string) []string {
		return append(append([]string{filepath.Join(bin, "mqttkit"), "bench"}, args...),
			"-h", "127.0.0.1", "-p", strconv.Itoa(b.port), "--json", "--allow-loss", "--quiet", "--receive-maximum", "65535")
	}},
	{"paho.golang", func(bin string, b *broker, args []string) []string {
		return append([]string{filepath.Join(bin, "pahogolang")}, append(args, "--port", strconv.Itoa(b.port))...)
	}},
	{"paho.mqtt.golang", func(bin string, b *broker, args []string) []string {
		return append([]string{filepath.Join(bin, "pahomqtt")}, append(args, "--port", strconv.Itoa(b.port))...)
	}},
}

func run(ctx context.Context, o options) error {
	tmp, err := os.MkdirTemp("", "mqttkit-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.bin == "" {
		o.bin = tmp
		if err := buildAll(ctx, o.bin); err != nil {
			return err
		}
	}
	b, err := startMosquitto(o.mosquitto, tmp)
	if err != nil {
		return err
	}
	defer b.stop()
	fmt.Printf("Mosquitto on %s, %d CPUs, load average at start %s\n", b.addr(), runtime.NumCPU(), loadAverage())
	var all []outcome
	for _, sc := range scenarios {
		if !o.selected(sc.name) {
			continue
		}
		// A run of a fixed count has no warmup: it could end inside it.
		args := append([]string(nil), sc.args...)
		if flagValue(args, "--count") == "" {
			args = append(args, "--duration", o.duration.String(), "--warmup", o.warmup.String())
		}
		for _, p := range peers {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			out := runPeer(ctx, b, p.argv(o.bin, b, args), runTimeout(o.duration, o.warmup))
			out.Scenario = sc.name
			out.Result.Client = p.name
			all = append(all, out)
			fmt.Fprintf(os.Stderr, "%-20s %-18s %9.0f msg/s  p99 %8.2f ms  %6.1f µs/msg  lost %d %s\n",
				sc.name, p.name, out.Result.MsgsPerSec, out.Result.P99ms, out.Result.CPUusPerMsg, out.Result.Lost, out.Err)
		}
		if sc.mosquittoSub {
			out := runMosquittoSub(ctx, b, o, filepath.Join(o.bin, "mqttkit"), args)
			out.Scenario = sc.name
			all = append(all, out)
			fmt.Fprintf(os.Stderr, "%-20s %-18s %9.0f msg/s  p99 %8.2f ms  %6.1f µs/msg  lost %d %s\n",
				sc.name, out.Result.Client, out.Result.MsgsPerSec, out.Result.P99ms, out.Result.CPUusPerMsg, out.Result.Lost, out.Err)
		}
	}
	fmt.Printf("load average at end %s\n\n", loadAverage())
	table := renderTable(all)
	fmt.Print(table)
	if o.mdOut != "" {
		if err := os.WriteFile(o.mdOut, []byte(table), 0o644); err != nil {
			return err
		}
	}
	if o.jsonOut != "" {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for _, out := range all {
			if err := enc.Encode(out); err != nil {
				return err
			}
		}
		if err := os.WriteFile(o.jsonOut, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// buildAll builds mqttkit and the peer programs into dir.
func buildAll(ctx context.Context, dir string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+"/",
		"github.com/mqttkit/mqttkit/cmd/mqttkit",
		"github.com/mqttkit/mqttkit/bench/peers/pahogolang",
		"github.com/mqttkit/mqttkit/bench/peers/pahomqtt")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the clients (run from the repository, or give -bin): %w", err)
	}
	return nil
}

// runPeer runs one client program and reads its JSON summary, measuring the
// broker's CPU while it runs.
func runPeer(ctx context.Context, b *broker, argv []string, timeout time.Duration) outcome {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var out outcome
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cpu0, _ := procstat.CPU(b.cmd.Process.Pid)
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	cpu1, _ := procstat.CPU(b.cmd.Process.Pid)
	out.BrokerCPU = (cpu1 - cpu0).Seconds() / wall.Seconds()
	if perr := parseSummary(stdout.Bytes(), &out.Result); perr != nil {
		out.Err = fmt.Sprintf("%v; %v; %s", err, perr, lastLine(stderr.String()))
	}
	return out
}

// parseSummary reads the last non-empty line of a client's output as its
// JSON summary.
func parseSummary(stdout []byte, r *bench.Result) error {
	line := lastLine(string(stdout))
	if line == "" {
		return fmt.Errorf("no JSON summary on stdout")
	}
	return json.Unmarshal([]byte(line), r)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
