package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

func init() { register(newSubCmd) }

type subFlags struct {
	conn           *connFlags
	topics         []string
	group          string
	qos            int
	count          int
	timeout        int
	noRetained     bool
	retainedOnly   bool
	filterOut      []string
	noLocal        bool
	rap            bool
	retainHandling string
	out            output
	session        *sessionDir // sub's --session-dir (consume has its own)
}

func newSubCmd() *cobra.Command {
	sf := &subFlags{}
	cmd := &cobra.Command{
		Use:   "sub -t FILTER [-t FILTER…]",
		Short: "Subscribe and print messages (flags and output as mosquitto_sub)",
		Example: `  mqttkit sub -t 'sensors/+/temp' -v
  mqttkit sub -t orders/# --group billing -q 1     # one member of a consumer group
  mqttkit sub -t a/b -C 1 -W 10 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return sf.run(cmd) },
	}
	sf.conn = addConnFlags(cmd)
	f := cmd.Flags()
	f.StringArrayVarP(&sf.topics, "topic", "t", nil, "topic filter (repeatable)")
	f.StringVar(&sf.group, "group", "", "join consumer group NAME: a shared subscription $share/NAME/FILTER")
	f.IntVarP(&sf.qos, "qos", "q", 0, "QoS 0, 1 or 2 to subscribe with")
	f.IntVarP(&sf.count, "count", "C", 0, "exit after printing this many messages")
	f.IntVarP(&sf.timeout, "timeout", "W", 0, "exit after this many seconds (status 4 if -C was not reached)")
	f.BoolVarP(&sf.noRetained, "no-retained", "R", false, "do not print retained messages (stale values)")
	f.BoolVar(&sf.retainedOnly, "retained-only", false, "print only retained messages; exit at the first live one")
	f.StringArrayVarP(&sf.filterOut, "filter-out", "T", nil, "do not print topics matching this filter (repeatable)")
	f.BoolVar(&sf.noLocal, "no-local", false, "do not receive this client's own publications")
	f.BoolVar(&sf.rap, "retain-as-published", false, "keep the retain flag as the publisher set it")
	f.StringVar(&sf.retainHandling, "retain-handling", "always", "when to send retained messages: always, new (only for a new subscription) or never")
	f.BoolVarP(&sf.out.verbose, "verbose", "v", false, "print the topic, a space and the payload")
	f.StringVarP(&sf.out.format, "format", "F", "", "output format with mosquitto's codes (%t topic, %p payload, %j JSON, …; docs/CLI.md)")
	f.BoolVar(&sf.out.json, "json", false, "print one JSON object per message: topic, payload, qos, retain, properties, received")
	f.BoolVar(&sf.out.hex, "hex", false, "print payloads as hex")
	f.BoolVar(&sf.out.base64, "base64", false, "print payloads as base64")
	f.BoolVarP(&sf.out.noEOL, "no-eol", "N", false, "do not add a newline after each message")
	sf.session = addSessionDirFlag(cmd)
	return cmd
}

// subOptions returns the subscribe options for the flags, checking the
// filters.
func (sf *subFlags) subOptions(cmd *cobra.Command) ([]mqttkit.SubscribeOption, error) {
	if len(sf.topics) == 0 && sf.conn.urlTopic != "" {
		sf.topics = []string{sf.conn.urlTopic}
	}
	if len(sf.topics) == 0 {
		return nil, usageErr(cmd, "subscribe needs a topic filter: -t FILTER (or a topic in the -L URL)")
	}
	for _, t := range append(append([]string(nil), sf.topics...), sf.filterOut...) {
		if err := packet.ValidateTopicFilter(t); err != nil {
			return nil, usageErr(cmd, "topic filter %q: %v", t, err)
		}
	}
	if sf.qos < 0 || sf.qos > 2 {
		return nil, usageErr(cmd, "-q %d: QoS is 0, 1 or 2", sf.qos)
	}
	opts := []mqttkit.SubscribeOption{mqttkit.AtMostOnce, mqttkit.AtLeastOnce, mqttkit.ExactlyOnce}[sf.qos : sf.qos+1]
	if sf.group != "" {
		if strings.ContainsAny(sf.group, "/+#") {
			return nil, usageErr(cmd, "--group %q: a group name cannot contain /, + or #", sf.group)
		}
		opts = append(opts, mqttkit.Group(sf.group))
	}
	if len(sf.topics) > 1 {
		opts = append(opts, mqttkit.AlsoFilters(sf.topics[1:]...))
	}
	if sf.noLocal {
		opts = append(opts, mqttkit.NoLocal())
	}
	if sf.rap {
		opts = append(opts, mqttkit.RetainAsPublished())
	}
	switch sf.retainHandling {
	case "always", "0":
	case "new", "1":
		opts = append(opts, mqttkit.RetainHandling(mqttkit.SendRetainedIfNew))
	case "never", "2":
		opts = append(opts, mqttkit.RetainHandling(mqttkit.DoNotSendRetained))
	default:
		return nil, usageErr(cmd, "--retain-handling %q: use always, new or never", sf.retainHandling)
	}
	return opts, nil
}

func (sf *subFlags) run(cmd *cobra.Command) (err error) {
	if err := sf.conn.setup(cmd); err != nil {
		return err
	}
	opts, err := sf.subOptions(cmd)
	if err != nil {
		return err
	}
	switch err := sf.out.check(); {
	case err != nil:
		return usageErr(cmd, "%v", err)
	case sf.count < 0 || sf.timeout < 0:
		return usageErr(cmd, "-C and -W take positive numbers")
	case sf.noRetained && sf.retainedOnly:
		return usageErr(cmd, "-R and --retained-only exclude each other")
	}
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	if sf.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(sf.timeout)*time.Second)
		defer cancel()
	}
	w := newLineWriter(os.Stdout)
	done := make(chan struct{})
	var printed atomic.Int64
	var once atomic.Bool
	finish := func() {
		if once.CompareAndSwap(false, true) {
			close(done)
		}
	}
	h := mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
		if !sf.wanted(m, finish) {
			return nil
		}
		n := printed.Add(1)
		if sf.count > 0 && n > int64(sf.count) {
			return nil
		}
		w.write(sf.out.render(nil, m, time.Now()))
		if sf.count > 0 && n == int64(sf.count) {
			finish()
		}
		return nil
	})
	// One worker keeps the output in arrival order.
	opts = append(opts, mqttkit.Workers(1))
	dialOpts, err := sf.session.options("sub")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, sf.session.close("sub")) }()
	// The handler is in place before the first CONNECT: a resumed session
	// (--session-dir, or -c with -i) is sent its queued messages right
	// after CONNACK, and a handler subscribed after Dial would miss them
	// (they would be acknowledged unhandled).
	dialOpts = append(dialOpts, mqttkit.WithSubscription(sf.topics[0], h, opts...))
	c, err := sf.conn.dial(ctx, dialOpts...)
	if err != nil {
		if ctx.Err() != nil && cmd.Context().Err() == nil && sf.timeout > 0 {
			return timeoutErr("sub: no subscription within -W %ds", sf.timeout)
		}
		return err
	}
	if sf.conn.debug {
		fmt.Fprintf(os.Stderr, "sub: subscribed to %s\n", strings.Join(sf.topics, ", "))
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
	drainCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Drain(drainCtx)
	w.close()
	if sf.timeout > 0 && sf.count > 0 && printed.Load() < int64(sf.count) && ctx.Err() == context.DeadlineExceeded {
		return timeoutErr("sub: -W %ds passed after %d of %d messages (-C)", sf.timeout, printed.Load(), sf.count)
	}
	return nil
}

// wanted applies -R, --retained-only and -T; finish ends sub at the first
// live message under --retained-only.
func (sf *subFlags) wanted(m *mqttkit.Message, finish func()) bool {
	switch {
	case sf.noRetained && m.Retain:
		return false
	case sf.retainedOnly && !m.Retain:
		finish()
		return false
	}
	for _, f := range sf.filterOut {
		if packet.MatchTopic(f, m.Topic) {
			return false
		}
	}
	return true
}

// lineWriter writes output on its own goroutine and flushes whenever
// nothing more is waiting, so that a burst costs few system calls and a
// single message still appears at once.
type lineWriter struct {
	ch   chan []byte
	done chan struct{}
}

func newLineWriter(f *os.File) *lineWriter {
	w := &lineWriter{ch: make(chan []byte, 1024), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		bw := bufio.NewWriterSize(f, 64<<10)
		for b := range w.ch {
			_, _ = bw.Write(b)
			if len(w.ch) == 0 {
				_ = bw.Flush()
			}
		}
		_ = bw.Flush()
	}()
	return w
}

func (w *lineWriter) write(b []byte) { w.ch <- b }

// close flushes what is left and stops the writer.
func (w *lineWriter) close() {
	close(w.ch)
	<-w.done
}
