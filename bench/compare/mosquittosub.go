package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/mqttkit/mqttkit/internal/bench"
)

// runMosquittoSub measures mosquitto_sub as the subscriber, with `mqttkit
// bench pub` publishing: mosquitto_sub prints each payload in hex (-F %x),
// compare reads the header back for latency and counting. Its CPU is the
// subscriber's (from its rusage) plus the publisher's (from its JSON), per
// message; its latency includes the pipe to compare. It speaks MQTT 3.1.1:
// as an MQTT v5 client at QoS 2, mosquitto_sub 2.0.11 stops after a few
// messages with "A network protocol error occurred".
func runMosquittoSub(ctx context.Context, b *broker, o options, mqttkitBin string, args []string) outcome {
	out := outcome{Result: bench.Result{Client: "mosquitto_sub"}, Note: "publisher: mqttkit bench pub"}
	pubArgs := append([]string{"pub"}, args[1:]...)
	qos := flagValue(args, "--qos")
	sub := exec.CommandContext(ctx, "mosquitto_sub", "-h", "127.0.0.1", "-p", strconv.Itoa(b.port),
		"-t", "mqttkit/bench/+", "-q", qos, "-F", "%x")
	pipe, err := sub.StdoutPipe()
	if err != nil {
		out.Err = err.Error()
		return out
	}
	if err := sub.Start(); err != nil {
		out.Err = fmt.Sprintf("starting mosquitto_sub: %v", err)
		return out
	}
	lat := &bench.Histogram{}
	var received, measured uint64
	var first, last time.Time
	lines := make(chan struct{}, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		s := bufio.NewScanner(pipe)
		for s.Scan() {
			now := time.Now()
			p, err := hex.DecodeString(s.Text())
			if err != nil {
				continue
			}
			st, err := bench.ReadStamp(p)
			if err != nil {
				continue
			}
			received++
			if !st.Warmup {
				lat.Record(now.Sub(st.Sent))
				measured++
				if first.IsZero() {
					first = now
				}
				last = now
			}
			select {
			case lines <- struct{}{}:
			default:
			}
		}
	}()
	time.Sleep(300 * time.Millisecond) // mosquitto_sub subscribes
	pub := runPeer(ctx, b, append([]string{mqttkitBin, "bench"}, append(pubArgs,
		"-h", "127.0.0.1", "-p", strconv.Itoa(b.port), "--json", "--allow-loss", "--quiet")...), runTimeout(o.duration, o.warmup))
	// Wait until mosquitto_sub printed nothing for two seconds.
	for quiet := time.NewTimer(2 * time.Second); ; {
		select {
		case <-lines:
			quiet.Reset(2 * time.Second)
			continue
		case <-quiet.C:
		}
		break
	}
	_ = sub.Process.Signal(syscall.SIGTERM)
	<-readDone
	_ = sub.Wait()
	var subCPU time.Duration
	if ru, ok := sub.ProcessState.SysUsage().(*syscall.Rusage); ok {
		subCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	r := &out.Result
	r.Scenario, r.QoS, r.Size = "pubsub", pub.Result.QoS, pub.Result.Size
	r.Clients, r.Subscribers = 1, 1
	r.Sent, r.Acked, r.Received = pub.Result.Sent, pub.Result.Acked, received
	if r.Sent > received {
		r.Lost = r.Sent - received
	}
	if secs := last.Sub(first).Seconds(); secs > 0 {
		r.MsgsPerSec = float64(measured) / secs
	}
	r.P50ms, r.P99ms, r.MaxMs = ms(lat.Quantile(0.5)), ms(lat.Quantile(0.99)), ms(lat.Max())
	if received > 0 {
		r.CPUusPerMsg = (subCPU.Seconds() + pub.Result.CPUSeconds) * 1e6 / float64(received)
	}
	out.BrokerCPU = pub.BrokerCPU
	out.Err = pub.Err
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// flagValue returns the value following name in args.
func flagValue(args []string, name string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == name {
			return args[i+1]
		}
	}
	return ""
}
