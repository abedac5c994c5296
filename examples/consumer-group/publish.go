package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/middleware"
)

type publishFlags struct {
	url, prefix, out string
	count, devices   int
	concurrency      int
	rate             float64
	timeout          time.Duration
}

func parsePublishFlags(args []string) (publishFlags, error) {
	var f publishFlags
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.StringVar(&f.url, "url", "mqtt://127.0.0.1:1883", "broker URL(s), comma-separated")
	fs.StringVar(&f.prefix, "prefix", "m", "prefix of the message ids (<prefix>-<n>)")
	fs.StringVar(&f.out, "out", "-", `file the acknowledged ids are appended to ("-": stdout)`)
	fs.IntVar(&f.count, "count", 1000, "messages to publish")
	fs.IntVar(&f.devices, "devices", 100, "devices n in sensors/<n>/temp")
	fs.IntVar(&f.concurrency, "concurrency", 64, "publishes in flight at once")
	fs.Float64Var(&f.rate, "rate", 0, "messages per second (0: as fast as the broker acknowledges)")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "how long a publish may wait for its acknowledgement, across reconnects")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if f.count < 0 || f.devices < 1 || f.concurrency < 1 || f.rate < 0 {
		return f, fmt.Errorf("publish: --count must be ≥ 0, --devices and --concurrency ≥ 1, --rate ≥ 0")
	}
	return f, nil
}

// runPublish publishes --count messages and records which were acknowledged.
func runPublish(ctx context.Context, args []string) error {
	f, err := parsePublishFlags(args)
	if err != nil {
		return err
	}
	out, err := openOutput(f.out)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	defer out.Close()
	dialCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("publisher", f.prefix)
	c, err := mqttkit.Dial(dialCtx, f.url, mqttkit.WithBackoff(20*time.Millisecond, time.Second), mqttkit.WithLogger(log))
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}

	next := make(chan int)
	go pace(ctx, f.count, f.rate, next)
	var acked, failed atomic.Int64
	var wg sync.WaitGroup
	for range f.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := publishOne(ctx, c, f, i); err != nil {
					failed.Add(1)
					fmt.Fprintf(os.Stderr, "publish: %s-%06d not acknowledged: %v\n", f.prefix, i, err)
					continue
				}
				acked.Add(1)
				if err := writeLine(out, "acked", fmt.Sprintf("%s-%06d", f.prefix, i), ""); err != nil {
					fmt.Fprintf(os.Stderr, "publish: recording an ack: %v\n", err)
				}
			}
		}()
	}
	wg.Wait()
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelDrain()
	derr := c.Drain(drainCtx)
	fmt.Fprintf(os.Stderr, "publish: %d acknowledged, %d failed, %d connects\n", acked.Load(), failed.Load(), c.Stats().Connects)
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("publish: %d of %d messages were not acknowledged", n, f.count)
	}
	return derr
}

// pace sends 0..count-1 on next, at most rate per second when rate > 0, and
// closes it; it stops early when ctx ends.
func pace(ctx context.Context, count int, rate float64, next chan<- int) {
	defer close(next)
	start := time.Now()
	for i := range count {
		if rate > 0 {
			if d := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return
				}
			}
		}
		select {
		case next <- i:
		case <-ctx.Done():
			return
		}
	}
}

// publishOne publishes message i at QoS 1 and waits for its PUBACK.
func publishOne(ctx context.Context, c *mqttkit.Client, f publishFlags, i int) error {
	id := fmt.Sprintf("%s-%06d", f.prefix, i)
	device := i % f.devices
	payload := fmt.Appendf(nil, `{"id":%q,"device":%d,"temp":%.1f}`, id, device, 15+float64(i%200)/10)
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	return c.Publish(ctx, "sensors/"+strconv.Itoa(device)+"/temp", payload, mqttkit.QoS1,
		mqttkit.WithUserProperty(middleware.MessageIDProperty, id))
}
