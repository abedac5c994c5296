package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/broker"
)

func init() { register(newDemoCmd) }

type demoFlags struct {
	messages int
	members  int
	url      string
	timeout  time.Duration
	rate     float64
}

func newDemoCmd() *cobra.Command {
	df := &demoFlags{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Watch a consumer group of 3 split 1000 QoS 1 messages, each handled exactly once",
		Long: `demo starts the embedded broker on a free loopback port (or uses --url),
three consumers in the group "demo" subscribed to sensors/+/temp, and a
publisher of 1000 QoS 1 messages on sensors/<n>/temp. It shows which member
handles what and ends with one line counting, by message id, what was
published, consumed, lost and duplicated. It exits with status 1 if any
message was lost or duplicated.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return df.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&df.messages, "messages", 1000, "messages to publish")
	f.IntVar(&df.members, "members", 3, "consumers in the group")
	f.StringVar(&df.url, "url", "", "run against this broker instead of an embedded one (mqtt://host:port)")
	f.DurationVar(&df.timeout, "timeout", 30*time.Second, "how long to wait for the last messages")
	f.Float64Var(&df.rate, "rate", 500, "messages per second, slow enough to watch (0: as fast as possible)")
	return cmd
}

// tally counts, per message id, how often the group handled it, and per
// member how many it handled.
type tally struct {
	mu      sync.Mutex
	seen    []int
	members []int
	total   atomic.Int64
	last    string
}

func (t *tally) record(member, id int, topic string) {
	t.mu.Lock()
	if id >= 0 && id < len(t.seen) {
		t.seen[id]++
	}
	t.members[member]++
	t.last = fmt.Sprintf("member-%d ← %s #%d", member+1, topic, id)
	t.mu.Unlock()
	t.total.Add(1)
}

// line is the live view: how many each member handled and the latest.
func (t *tally) line(published int64) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	parts := make([]string, len(t.members))
	for i, n := range t.members {
		parts[i] = fmt.Sprintf("member-%d %d", i+1, n)
	}
	return fmt.Sprintf("demo: published %d, consumed %d (%s), last: %s", published, t.total.Load(), strings.Join(parts, ", "), t.last)
}

func (df *demoFlags) run(cmd *cobra.Command) error {
	if df.messages < 1 || df.members < 1 {
		return usageErr(cmd, "--messages and --members must be at least 1")
	}
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	out := cmd.OutOrStdout()
	url := df.url
	if url == "" {
		srv, err := broker.New(broker.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return failure("demo: %v", err)
		}
		if err := srv.Start(); err != nil {
			return failure("demo: starting the embedded broker: %v", err)
		}
		defer srv.Close()
		url = "mqtt://" + srv.Addr()
		fmt.Fprintf(out, "demo: embedded broker on %s\n", url)
	}
	t := &tally{seen: make([]int, df.messages), members: make([]int, df.members)}
	group := "demo-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	var consumers []*mqttkit.Client
	defer func() {
		for _, c := range consumers {
			c.Close()
		}
	}()
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for i := range df.members {
		// A short session: the demo's members do not come back.
		c, err := mqttkit.Dial(dialCtx, url, mqttkit.WithSessionExpiry(time.Minute))
		if err != nil {
			return connectErr("demo: member %d cannot connect to %s: %v", i+1, url, err)
		}
		consumers = append(consumers, c)
		h := mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
			id, _ := strconv.Atoi(string(m.Payload))
			t.record(i, id, m.Topic)
			return nil
		})
		if _, err := c.Subscribe(dialCtx, "sensors/+/temp", h, mqttkit.Group(group), mqttkit.AtLeastOnce); err != nil {
			return failure("demo: member %d: subscribing: %v", i+1, err)
		}
	}
	fmt.Fprintf(out, "demo: %d members in group %q subscribed to sensors/+/temp; publishing %d QoS 1 messages\n", df.members, group, df.messages)
	pub, err := mqttkit.Dial(dialCtx, url)
	if err != nil {
		return connectErr("demo: publisher cannot connect to %s: %v", url, err)
	}
	defer pub.Close()
	var published atomic.Int64
	terminal := stderrIsTerminal() && cmd.OutOrStdout() == os.Stdout
	prog := startProgress(terminal, func() string { return t.line(published.Load()) })
	s := newSender(pub, mqttkit.QoS1, nil, df.rate)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := 0; i < df.messages && ctx.Err() == nil; i++ {
			s.send(ctx, fmt.Sprintf("sensors/%d/temp", i%10), []byte(strconv.Itoa(i)))
			published.Store(int64(i + 1))
		}
	}()
	// Without a terminal, a plain line at every tenth of the messages.
	step, next := int64(max(df.messages/10, 1)), int64(0)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-sent:
			done = true
		case <-tick.C:
		}
		for n := t.total.Load(); !terminal && n >= next+step; next += step {
			fmt.Fprintln(out, t.line(published.Load()))
		}
	}
	res := s.finish(ctx)
	deadline := time.Now().Add(df.timeout)
	for t.total.Load() < res.acked && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // let a duplicate, if any, arrive
	prog.stop()
	return df.summary(out, t, res)
}

// summary prints the final line and decides the exit status.
func (df *demoFlags) summary(out io.Writer, t *tally, res sendResult) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	lost, dup := 0, 0
	for _, n := range t.seen {
		switch {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
	}
	parts := make([]string, len(t.members))
	for i, n := range t.members {
		parts[i] = strconv.Itoa(n)
	}
	fmt.Fprintf(out, "demo: published %d, consumed %d by %d members (%s), lost %d, duplicated %d\n",
		res.acked, t.total.Load(), len(t.members), strings.Join(parts, "/"), lost, dup)
	switch {
	case res.failed > 0:
		return failure("demo: %d publishes failed: %v", res.failed, res.firstErr)
	case lost > 0 || dup > 0:
		return failure("demo: %d messages lost, %d duplicated", lost, dup)
	}
	return nil
}
