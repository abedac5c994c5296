package main

import (
	"net"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// BenchmarkStartupToFirstByte measures how long `mqttkit pub` takes from
// exec to the first byte of its CONNECT arriving at a listener on
// loopback: process start, flag parsing, dialing (the goal is ≤ 20 ms).
// The listener only reads that byte, so nothing of the broker is measured.
//
//	go test -run '^$' -bench StartupToFirstByte -benchtime 50x ./cmd/mqttkit
func BenchmarkStartupToFirstByte(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	times := make([]time.Duration, 0, b.N)
	for b.Loop() {
		cmd := exec.Command(bin, "pub", "-h", "127.0.0.1", "-p", itoa(port), "-t", "startup", "-m", "x")
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		_ = ln.(*net.TCPListener).SetDeadline(start.Add(10 * time.Second))
		c, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Read(make([]byte, 1)); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
		_ = c.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	slices.Sort(times)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(times[len(times)/2]), "p50-ms")
	b.ReportMetric(ms(times[len(times)*9/10]), "p90-ms")
	b.ReportMetric(ms(times[len(times)-1]), "max-ms")
}
