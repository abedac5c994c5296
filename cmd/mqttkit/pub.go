package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

func init() { register(newPubCmd) }

type pubFlags struct {
	conn          *connFlags
	topic         string
	message       string
	file          string
	stdin         bool
	lines         bool
	topicFromLine bool
	null          bool
	qos           int
	retain        bool
	repeat        int
	repeatDelay   time.Duration
	rate          float64
	props         publishProps
	session       *sessionDir
}

func newPubCmd() *cobra.Command {
	pf := &pubFlags{}
	cmd := &cobra.Command{
		Use:   "pub -t TOPIC (-m MSG | -f FILE | -s | -l | -n)",
		Short: "Publish messages (flags as mosquitto_pub); waits for every QoS 1/2 acknowledgement",
		Example: `  mqttkit pub -t sensors/1/temp -m 21.5 -q 1
  seq 100000 | mqttkit pub -t numbers -l -q 1
  printf 'a/b\thello\n' | mqttkit pub -l --topic-from-line`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return pf.run(cmd) },
	}
	pf.conn = addConnFlags(cmd)
	f := cmd.Flags()
	f.StringVarP(&pf.topic, "topic", "t", "", "topic to publish to")
	f.StringVarP(&pf.message, "message", "m", "", "payload")
	f.StringVarP(&pf.file, "file", "f", "", "send the content of FILE as the payload")
	f.BoolVarP(&pf.stdin, "stdin-file", "s", false, "send all of stdin as one payload")
	f.BoolVarP(&pf.lines, "stdin-line", "l", false, "send each line of stdin as a message, over one connection")
	f.BoolVar(&pf.topicFromLine, "topic-from-line", false, "with -l: each line is TOPIC<TAB>PAYLOAD")
	f.BoolVarP(&pf.null, "null-message", "n", false, "send an empty payload")
	f.IntVarP(&pf.qos, "qos", "q", 0, "QoS 0, 1 or 2")
	f.BoolVarP(&pf.retain, "retain", "r", false, "retain the message")
	f.IntVar(&pf.repeat, "repeat", 1, "publish the message this many times")
	f.DurationVar(&pf.repeatDelay, "repeat-delay", 0, "wait between repeats (e.g. 100ms)")
	f.Float64Var(&pf.rate, "rate", 0, "publish at most this many messages per second (0: as fast as acknowledged)")
	pf.props.addFlags(cmd)
	pf.session = addSessionDirFlag(cmd)
	return cmd
}

func (pf *pubFlags) run(cmd *cobra.Command) error {
	if err := pf.conn.setup(cmd); err != nil {
		return err
	}
	if pf.topic == "" {
		pf.topic = pf.conn.urlTopic
	}
	if err := pf.check(cmd); err != nil {
		return err
	}
	opts, err := pf.props.options(cmd, pf.conn.pubProps)
	if err != nil {
		return err
	}
	if pf.retain {
		opts = append(opts, mqttkit.Retain())
	}
	var payload []byte
	switch {
	case pf.message != "":
		payload = []byte(pf.message)
	case pf.file != "":
		if payload, err = os.ReadFile(pf.file); err != nil {
			return failure("pub: reading -f: %v", err)
		}
	case pf.stdin:
		if payload, err = io.ReadAll(os.Stdin); err != nil {
			return failure("pub: reading stdin: %v", err)
		}
	}
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	stored, err := pf.session.options("pub")
	if err != nil {
		return err
	}
	c, err := pf.conn.dial(ctx, stored...)
	if err != nil {
		return errors.Join(err, pf.session.close("pub"))
	}
	s := newSender(c, mqttkit.QoS(pf.qos), opts, pf.rate)
	prog := startProgress(!pf.conn.quiet && (pf.lines || pf.repeat > 1), s.progress)
	var readErr error
	if pf.lines {
		readErr = pf.sendLines(ctx, s, os.Stdin)
	} else {
		for i := 0; i < pf.repeat && ctx.Err() == nil; i++ {
			if i > 0 && pf.repeatDelay > 0 {
				sleepCtx(ctx, pf.repeatDelay)
			}
			s.send(ctx, pf.topic, payload)
		}
	}
	res := s.finish(ctx)
	resumedFailed, resumedErr := waitResumed(ctx, c, pf.conn.quiet)
	prog.stop()
	drainCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Drain(drainCtx)
	if err := pf.session.close("pub"); err != nil {
		return err
	}
	switch {
	case resumedFailed > 0:
		return failure("pub: %d messages resumed from --session-dir failed; first failure: %v", resumedFailed, resumedErr)
	case res.failed > 0:
		return failure("pub: %d of %d messages failed; first failure: %v", res.failed, res.sent, res.firstErr)
	case readErr != nil:
		return readErr
	case ctx.Err() != nil:
		return failure("pub: interrupted after %d messages, all acknowledged", res.acked)
	}
	return nil
}

// check validates the combination of flags before connecting.
func (pf *pubFlags) check(cmd *cobra.Command) error {
	n := 0
	for _, set := range []bool{cmd.Flags().Changed("message"), pf.file != "", pf.stdin, pf.lines, pf.null} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return usageErr(cmd, "pub needs exactly one payload source: -m MSG, -f FILE, -s, -l or -n")
	case pf.qos < 0 || pf.qos > 2:
		return usageErr(cmd, "-q %d: QoS is 0, 1 or 2", pf.qos)
	case pf.topicFromLine && !pf.lines:
		return usageErr(cmd, "--topic-from-line works with -l only")
	case pf.topicFromLine && pf.topic != "":
		return usageErr(cmd, "--topic-from-line takes the topic from each line; leave -t out")
	case !pf.topicFromLine && pf.topic == "":
		return usageErr(cmd, "pub needs a topic: -t TOPIC (or a topic in the -L URL)")
	case pf.repeat < 1:
		return usageErr(cmd, "--repeat %d: publish at least once", pf.repeat)
	case pf.rate < 0:
		return usageErr(cmd, "--rate %v: use a positive number of messages per second", pf.rate)
	}
	if !pf.topicFromLine {
		if err := checkPublishTopic(pf.topic); err != nil {
			return usageErr(cmd, "-t %q: %v", pf.topic, err)
		}
	}
	return nil
}

// sendLines publishes every line of r: the whole line, or with
// --topic-from-line the part after the first tab to the topic before it.
func (pf *pubFlags) sendLines(ctx context.Context, s *sender, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	bad := 0
	var firstBad string
	for line := 1; ctx.Err() == nil && sc.Scan(); line++ {
		text := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
		topic := pf.topic
		if pf.topicFromLine {
			t, p, ok := bytes.Cut(text, []byte("\t"))
			err := checkPublishTopic(string(t))
			if !ok || err != nil {
				if bad == 0 {
					firstBad = fmt.Sprintf("line %d: %s", line, badLineReason(ok, err))
				}
				bad++
				continue
			}
			topic, text = string(t), p
		}
		s.send(ctx, topic, bytes.Clone(text))
	}
	if err := sc.Err(); err != nil {
		return failure("pub: reading stdin: %v", err)
	}
	if bad > 0 {
		return failure("pub: %d lines not published (%s); write each line as TOPIC<TAB>PAYLOAD", bad, firstBad)
	}
	return nil
}

func badLineReason(hasTab bool, err error) string {
	if !hasTab {
		return "no tab between topic and payload"
	}
	return err.Error()
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// checkPublishTopic checks a topic name a user wants to publish to.
func checkPublishTopic(t string) error {
	if strings.HasPrefix(t, "$share/") {
		return fmt.Errorf("$share/ is for subscribers; publish to the plain topic and the group's members receive it")
	}
	return packet.ValidateTopicName(t)
}
