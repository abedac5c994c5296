package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/middleware"
)

func init() { register(newConsumeCmd) }

type consumeFlags struct {
	conn         *connFlags
	sub          subFlags // the subscription flags shared with sub
	exec         string
	http         string
	jsonl        string
	workers      int
	retries      int
	retryBackoff time.Duration
	deadLetter   string
	status       time.Duration
	drainTimeout time.Duration
	clean        bool
	session      *sessionDir
}

func newConsumeCmd() *cobra.Command {
	cf := &consumeFlags{}
	cmd := &cobra.Command{
		Use:   "consume -t FILTER --group NAME (--exec CMD | --http URL | --jsonl FILE)",
		Short: "Run a consumer: hand each message to a command, an HTTP endpoint or a file; ack after success",
		Long: `consume subscribes (usually as a member of a consumer group) and hands each
message to a sink. A message is acknowledged only after the sink succeeded
(at-least-once): --exec exit status 0, --http a 2xx status, --jsonl a synced
write. A failure is retried (--retries, --retry-backoff), then published to
--dead-letter if given, else left unacknowledged for the broker to deliver
again. The session is persistent (one hour) so that nothing in flight is lost
when the connection drops; give -i ID to resume it after a restart. SIGINT
or SIGTERM drain: running sinks finish, their acks leave, then it exits.`,
		Example: `  mqttkit consume -t 'orders/#' --group billing -q 1 -i billing-1 --exec './handle.sh'
  mqttkit consume -t 'orders/#' --group billing --http http://127.0.0.1:8080/orders --retries 3 --dead-letter orders/dead`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cf.run(cmd) },
	}
	cf.conn = addConnFlags(cmd)
	cf.sub.conn = cf.conn
	f := cmd.Flags()
	f.StringArrayVarP(&cf.sub.topics, "topic", "t", nil, "topic filter (repeatable)")
	f.StringVar(&cf.sub.group, "group", "", "consumer group NAME ($share/NAME/FILTER)")
	f.IntVarP(&cf.sub.qos, "qos", "q", 1, "QoS to subscribe with")
	f.StringVar(&cf.sub.retainHandling, "retain-handling", "always", "when to send retained messages: always, new or never")
	f.StringVar(&cf.exec, "exec", "", "run this shell command per message: payload on stdin, MQTT_TOPIC and properties in the environment; exit 0 = ack")
	f.StringVar(&cf.http, "http", "", "POST each payload to this URL; a 2xx status = ack")
	f.StringVar(&cf.jsonl, "jsonl", "", "append each message as a JSON line to this file")
	f.IntVar(&cf.workers, "workers", 1, "messages handled at once (messages of one topic stay in order)")
	f.IntVar(&cf.retries, "retries", 0, "retry a failed message this many times")
	f.DurationVar(&cf.retryBackoff, "retry-backoff", time.Second, "wait before the first retry, doubling up to 30s (with jitter)")
	f.StringVar(&cf.deadLetter, "dead-letter", "", "publish messages that still fail to this topic, then ack them")
	f.DurationVar(&cf.status, "status-interval", 10*time.Second, "how often to print the status line on stderr (0: never)")
	f.DurationVar(&cf.drainTimeout, "drain-timeout", 30*time.Second, "how long SIGTERM waits for running sinks")
	f.BoolVar(&cf.clean, "clean", false, "start a fresh session that ends with the connection (not recommended)")
	cf.session = addSessionDirFlag(cmd)
	return cmd
}

// consumeStats are the counters of the status line.
type consumeStats struct {
	start      time.Time
	ok, failed atomic.Int64 // messages done; sink calls that failed
	dead       atomic.Int64 // messages published to --dead-letter
	redeliver  atomic.Int64 // messages left unacked after the last retry
	inFlight   atomic.Int64
}

func (s *consumeStats) line() string {
	return fmt.Sprintf("consume: %d ok, %d dead-lettered, %d left for redelivery, %d in flight, %d sink failures, %.1f msg/s",
		s.ok.Load(), s.dead.Load(), s.redeliver.Load(), s.inFlight.Load(), s.failed.Load(),
		float64(s.ok.Load()+s.dead.Load())/max(time.Since(s.start).Seconds(), 0.001))
}

func (cf *consumeFlags) run(cmd *cobra.Command) (err error) {
	if !cf.clean {
		cf.conn.defExpiry = 3600
		cf.conn.noClean = true
	}
	if err := cf.conn.setup(cmd); err != nil {
		return err
	}
	opts, err := cf.sub.subOptions(cmd)
	if err != nil {
		return err
	}
	sk, closeSink, err := cf.sink(cmd)
	if err != nil {
		return err
	}
	defer closeSink()
	if cf.workers < 1 || cf.retries < 0 {
		return usageErr(cmd, "--workers is at least 1 and --retries at least 0")
	}
	if cf.deadLetter != "" {
		if err := checkPublishTopic(cf.deadLetter); err != nil {
			return usageErr(cmd, "--dead-letter %q: %v", cf.deadLetter, err)
		}
	}
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	st := &consumeStats{start: time.Now()}
	pub := newClientLater()
	h := cf.handler(pub, sk, st)
	opts = append(opts, mqttkit.Workers(cf.workers), mqttkit.OnError(mqttkit.RedeliverOnError))
	dialOpts, err := cf.session.options("consume")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, cf.session.close("consume")) }()
	// The handler is in place before the first CONNECT: consume resumes
	// its persistent session, whose queued messages arrive right after
	// CONNACK, and a handler subscribed after Dial would miss them (they
	// would be acknowledged unhandled).
	dialOpts = append(dialOpts, mqttkit.WithSubscription(cf.sub.topics[0], h, opts...))
	c, err := cf.conn.dial(ctx, dialOpts...)
	if err != nil {
		return err
	}
	pub.set(c)
	if !cf.conn.quiet {
		fmt.Fprintf(os.Stderr, "consume: client %s subscribed to %s; stop with SIGINT or SIGTERM\n", c.ClientID(), strings.Join(cf.sub.topics, ", "))
	}
	stopStatus := cf.startStatus(st)
	<-ctx.Done()
	drainCtx, cancel := context.WithTimeout(context.Background(), cf.drainTimeout)
	defer cancel()
	derr := c.Drain(drainCtx)
	stopStatus()
	if derr != nil {
		return failure("consume: drain: %v; unacknowledged messages go back to the broker", derr)
	}
	return nil
}

// sink builds the one sink the flags name.
func (cf *consumeFlags) sink(cmd *cobra.Command) (sink, func() error, error) {
	n := 0
	for _, v := range []string{cf.exec, cf.http, cf.jsonl} {
		if v != "" {
			n++
		}
	}
	nothing := func() error { return nil }
	switch {
	case n != 1:
		return nil, nil, usageErr(cmd, "consume needs exactly one sink: --exec CMD, --http URL or --jsonl FILE")
	case cf.exec != "":
		return execSink(cf.exec), nothing, nil
	case cf.http != "":
		if !strings.HasPrefix(cf.http, "http://") && !strings.HasPrefix(cf.http, "https://") {
			return nil, nil, usageErr(cmd, "--http %q: give an http:// or https:// URL", cf.http)
		}
		return httpSink(cf.http), nothing, nil
	}
	s, closeFile, err := jsonlSink(cf.jsonl)
	if err != nil {
		return nil, nil, usageErr(cmd, "--jsonl: %v", err)
	}
	return s, closeFile, nil
}

// handler chains the sink with Retry and DeadLetter and counts what
// happens, for the status line. A message whose sink still fails after the
// retries, with no dead-letter topic, returns an error: RedeliverOnError
// leaves it unacknowledged and the broker sends it again.
func (cf *consumeFlags) handler(pub middleware.Publisher, sk sink, st *consumeStats) mqttkit.Handler {
	var h mqttkit.Handler = mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
		err := sk(ctx, m)
		if err != nil {
			st.failed.Add(1)
			cf.conn.warn("%s: %v", m.Topic, err)
		}
		return err
	})
	if cf.retries > 0 {
		h = middleware.Retry(middleware.MaxAttempts(cf.retries+1), middleware.Backoff(cf.retryBackoff, 30*time.Second))(h)
	}
	h = markFailure(h)
	if cf.deadLetter != "" {
		h = middleware.DeadLetter(pub, cf.deadLetter, middleware.DeadLetterLogger(cf.conn.logger()))(h)
	}
	outer := h
	return mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
		st.inFlight.Add(1)
		defer st.inFlight.Add(-1)
		mark := new(failureMark)
		err := outer.HandleMessage(context.WithValue(ctx, failureMarkKey{}, mark), m)
		switch {
		case err != nil:
			st.redeliver.Add(1)
		case mark.failed.Load():
			st.dead.Add(1) // the sink failed and DeadLetter published it
		default:
			st.ok.Add(1)
		}
		return err
	})
}

// failureMark records, for one message, that the sink failed for good, so
// that the status line can tell a dead-lettered message from a handled one.
type failureMark struct{ failed atomic.Bool }

type failureMarkKey struct{}

func markFailure(next mqttkit.Handler) mqttkit.Handler {
	return mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
		err := next.HandleMessage(ctx, m)
		if mark, ok := ctx.Value(failureMarkKey{}).(*failureMark); ok && err != nil {
			mark.failed.Store(true)
		}
		return err
	})
}

// startStatus prints the status line: live on a terminal, every
// --status-interval otherwise. The returned func prints it a last time.
func (cf *consumeFlags) startStatus(st *consumeStats) func() {
	if cf.conn.quiet || cf.status <= 0 {
		return func() {}
	}
	if stderrIsTerminal() {
		return startProgress(true, st.line).stop
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(cf.status)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fmt.Fprintln(os.Stderr, st.line())
			case <-quit:
				fmt.Fprintln(os.Stderr, st.line())
				return
			}
		}
	}()
	return func() { close(quit); <-done }
}
