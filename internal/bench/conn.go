package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runConns opens cfg.Clients connections, cfg.Parallel at a time, records
// each one's connect time, holds them all for cfg.Duration and reports the
// memory they take in this process.
func runConns(ctx context.Context, cfg Config, d Driver) (*Result, error) {
	if cfg.Parallel < 1 {
		cfg.Parallel = 64
	}
	if limit, err := RaiseFileLimit(); err == nil && uint64(cfg.Clients)+64 > limit {
		return nil, fmt.Errorf("%d connections need more open files than the limit of %d; raise it (ulimit -n as root) or ask for fewer", cfg.Clients, limit)
	}
	memBefore, rssBefore := goMemory(), residentKB()
	usageBefore := readUsage()
	res := &Result{Client: d.Name(), Scenario: string(Conns), Clients: cfg.Clients, Latency: &Histogram{}}
	conns := make([]Conn, cfg.Clients)
	var failed atomic.Uint64
	var firstErr atomic.Pointer[error]
	sem := make(chan struct{}, cfg.Parallel)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range conns {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t := time.Now()
			c, err := d.Connect(ctx, i)
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, &err)
				return
			}
			res.Latency.Record(time.Since(t))
			conns[i] = c
		}()
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	open := 0
	for _, c := range conns {
		if c != nil {
			open++
		}
	}
	res.Connections = open
	res.Sent, res.Failed = uint64(cfg.Clients), failed.Load()
	res.Lost = res.Failed
	res.LossCounted = "connections that failed"
	if p := firstErr.Load(); p != nil {
		res.FirstError = (*p).Error()
	}
	if res.Seconds > 0 {
		res.MsgsPerSec = float64(open) / res.Seconds // connections per second
	}
	if cfg.Duration > 0 {
		sleepCtx(ctx, cfg.Duration)
	}
	memAfter, rssAfter := goMemory(), residentKB()
	if cfg.BeforeClose != nil {
		cfg.BeforeClose()
	}
	usageAfter := readUsage()
	if open > 0 {
		res.MemPerConnKB = float64(memAfter-memBefore) / 1024 / float64(open)
		res.RSSPerConnKB = float64(rssAfter-rssBefore) / float64(open)
		res.CPUusPerMsg = float64((usageAfter.CPU - usageBefore.CPU).Microseconds()) / float64(open)
	}
	res.CPUSeconds = (usageAfter.CPU - usageBefore.CPU).Seconds()
	res.PeakRSSMB = float64(usageAfter.PeakRSSKB) / 1024
	lat := res.Latency
	res.P50ms, res.P90ms, res.P99ms = ms(lat.Quantile(0.5)), ms(lat.Quantile(0.9)), ms(lat.Quantile(0.99))
	res.P999ms, res.MaxMs, res.MeanMs = ms(lat.Quantile(0.999)), ms(lat.Max()), ms(lat.Mean())
	live := conns[:0]
	for _, c := range conns {
		if c != nil {
			live = append(live, c)
		}
	}
	closeAll(live)
	return res, nil
}

// goMemory is the memory the Go runtime holds from the system and has not
// given back, after a collection: heap in use, goroutine stacks, buffers.
func goMemory() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse + m.MSpanInuse + m.MCacheInuse + m.BuckHashSys + m.GCSys + m.OtherSys)
}

// residentKB is the process's resident memory now, from /proc/self/statm
// (0 where that file does not exist).
func residentKB() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize()) / 1024
}
