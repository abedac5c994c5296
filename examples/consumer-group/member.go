package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/middleware"
)

type memberFlags struct {
	url, group, id, filter, out string
	workers                     int
	expiry, work                time.Duration
}

func parseMemberFlags(args []string) (memberFlags, error) {
	var f memberFlags
	fs := flag.NewFlagSet("member", flag.ContinueOnError)
	fs.StringVar(&f.url, "url", "mqtt://127.0.0.1:1883", "broker URL(s), comma-separated")
	fs.StringVar(&f.group, "group", "sensors", "consumer group name (no /, + or #)")
	fs.StringVar(&f.id, "id", "", "client id of this member; fixed, so a restarted member resumes its session (required)")
	fs.StringVar(&f.filter, "filter", "sensors/+/temp", "topic filter the group shares")
	fs.IntVar(&f.workers, "workers", 8, "handler goroutines")
	fs.StringVar(&f.out, "out", "-", `file the handled and duplicate ids are appended to ("-": stdout)`)
	fs.DurationVar(&f.expiry, "session-expiry", time.Hour, "how long the broker keeps this member's session while it is away")
	fs.DurationVar(&f.work, "work", 0, "time each message takes to handle (simulated work)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if f.id == "" {
		return f, errors.New("member: --id is required: a member needs a fixed client id to resume its session after a restart")
	}
	return f, nil
}

// reading is the payload the publisher sends.
type reading struct {
	ID     string  `json:"id"`
	Device int     `json:"device"`
	Temp   float64 `json:"temp"`
}

// runMember handles the group's messages until ctx ends, then drains.
func runMember(ctx context.Context, args []string) error {
	f, err := parseMemberFlags(args)
	if err != nil {
		return err
	}
	out, err := openOutput(f.out)
	if err != nil {
		return fmt.Errorf("member: %w", err)
	}
	defer out.Close()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("member", f.id)

	h := mqttkit.Chain(handler(out, f.work),
		middleware.Dedupe(middleware.NewMemoryStore(1_000_000, time.Hour),
			middleware.OnDuplicate(func(_ context.Context, m *mqttkit.Message, key string) {
				if err := writeLine(out, "duplicate", key, m.Topic); err != nil {
					log.Error("writing a duplicate line", "err", err)
				}
			}),
			middleware.DedupeLogger(log)),
		middleware.Recoverer(log))
	dialCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The subscription is part of Dial, so its handler is in place when the
	// resumed session's pending messages arrive right after CONNACK; a
	// Subscribe after Dial would let them be acknowledged unhandled.
	c, err := mqttkit.Dial(dialCtx, f.url,
		mqttkit.WithClientID(f.id),
		mqttkit.WithCleanStart(false), // resume the session a previous run left
		mqttkit.WithSessionExpiry(f.expiry),
		mqttkit.WithBackoff(20*time.Millisecond, time.Second),
		mqttkit.WithLogger(log),
		mqttkit.WithSubscription(f.filter, h, mqttkit.Group(f.group), mqttkit.AtLeastOnce, mqttkit.Workers(f.workers)))
	if err != nil {
		return fmt.Errorf("member %s: %w", f.id, err)
	}
	sub := c.Subscriptions()[0]
	fmt.Fprintf(os.Stderr, "member %s subscribed %s\n", f.id, sub.Filters()[0])

	<-ctx.Done()
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelDrain()
	err = c.Drain(drainCtx)
	st := c.Stats()
	fmt.Fprintf(os.Stderr, "member %s stopped: received %d, handler errors %d, connects %d\n", f.id, st.Received, st.HandlerErrors, st.Connects)
	return err
}

// handler records each message it handles; the record is written before
// the handler returns, so before the acknowledgement.
func handler(out io.Writer, work time.Duration) mqttkit.Handler {
	return mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
		id, _ := m.UserProperty(middleware.MessageIDProperty)
		var r reading
		if err := json.Unmarshal(m.Payload, &r); err != nil {
			return fmt.Errorf("payload on %s is not a reading: %w", m.Topic, err)
		}
		if r.ID != id {
			return fmt.Errorf("payload id %q differs from the %s property %q", r.ID, middleware.MessageIDProperty, id)
		}
		if work > 0 {
			time.Sleep(work)
		}
		return writeLine(out, "handled", id, m.Topic)
	})
}
