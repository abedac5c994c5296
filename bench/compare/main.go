// Command compare runs the comparison suite: it starts Mosquitto with a
// fixed configuration and runs, in one invocation and against that one
// broker, the same scenarios with `mqttkit bench` and with the peer
// programs of bench/peers (paho.golang, paho.mqtt.golang) and, where it can
// do the scenario, mosquitto_sub. Every client runs as a subprocess that
// prints one JSON summary; compare reads Mosquitto's CPU from /proc between
// runs and prints one table with mqttkit's ratio to each peer.
//
//	go run ./bench/compare                  # the full suite, about 5 minutes
//	go run ./bench/compare -duration 2s -only qos1-64B
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "measured time of each run")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "warmup of each run, not measured")
	flag.StringVar(&o.mosquitto, "mosquitto", "/usr/sbin/mosquitto", "the Mosquitto binary")
	flag.StringVar(&o.bin, "bin", "", "directory with prebuilt mqttkit, pahogolang and pahomqtt binaries (default: go build them)")
	flag.StringVar(&o.only, "only", "", "comma-separated scenario names to run (default: all)")
	flag.StringVar(&o.jsonOut, "json", "", "also write every result as a JSON line to this file")
	flag.StringVar(&o.mdOut, "markdown", "", "also write the table as Markdown to this file")
	flag.StringVar(&o.from, "from", "", "print the table of a -json file of an earlier run, without running anything")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	run := run
	if o.from != "" {
		run = reprint
	}
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

type options struct {
	duration, warmup time.Duration
	mosquitto, bin   string
	only             string
	jsonOut, mdOut   string
	from             string
}

func (o options) selected(name string) bool {
	if o.only == "" {
		return true
	}
	for _, n := range strings.Split(o.only, ",") {
		if strings.TrimSpace(n) == name {
			return true
		}
	}
	return false
}
