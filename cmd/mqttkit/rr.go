package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

func init() { register(newRRCmd) }

type rrFlags struct {
	conn     *connFlags
	topic    string
	response string
	message  string
	file     string
	stdin    bool
	null     bool
	qos      int
	timeout  int
	props    publishProps
	out      output
}

func newRRCmd() *cobra.Command {
	rf := &rrFlags{}
	cmd := &cobra.Command{
		Use:   "rr -t TOPIC (-m MSG | -f FILE | -s | -n) [-e RESPONSE_TOPIC]",
		Short: "Send a request and print the response (MQTT v5 response topic and correlation data)",
		Example: `  mqttkit rr -t svc/time/get -m now -W 5
  mqttkit rr -t svc/echo -e replies/me -m hello -v`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return rf.run(cmd) },
	}
	rf.conn = addConnFlags(cmd)
	f := cmd.Flags()
	f.StringVarP(&rf.topic, "topic", "t", "", "request topic")
	f.StringVarP(&rf.response, "response-topic", "e", "", "topic to receive the response on (default: mqttkit/rr/<client id>/<random>)")
	f.StringVarP(&rf.message, "message", "m", "", "request payload")
	f.StringVarP(&rf.file, "file", "f", "", "send the content of FILE as the request")
	f.BoolVarP(&rf.stdin, "stdin-file", "s", false, "send all of stdin as the request")
	f.BoolVarP(&rf.null, "null-message", "n", false, "send an empty request")
	f.IntVarP(&rf.qos, "qos", "q", 1, "QoS of the request and the response subscription")
	f.IntVarP(&rf.timeout, "timeout", "W", 10, "seconds to wait for the response (status 4 when it does not come)")
	f.BoolVarP(&rf.out.verbose, "verbose", "v", false, "print the response topic, a space and the payload")
	f.BoolVar(&rf.out.json, "json", false, "print the response as a JSON object")
	f.BoolVarP(&rf.out.noEOL, "no-eol", "N", false, "do not add a newline after the response")
	cmd.Flags().StringVar(&rf.props.contentType, "content-type", "", "content type (MIME) of the request")
	cmd.Flags().StringArrayVar(&rf.props.userProps, "user-property", nil, "user property KEY=VALUE (repeatable)")
	return cmd
}

func (rf *rrFlags) run(cmd *cobra.Command) error {
	if err := rf.conn.setup(cmd); err != nil {
		return err
	}
	if rf.topic == "" {
		rf.topic = rf.conn.urlTopic
	}
	n := 0
	for _, set := range []bool{cmd.Flags().Changed("message"), rf.file != "", rf.stdin, rf.null} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return usageErr(cmd, "rr needs exactly one request payload: -m MSG, -f FILE, -s or -n")
	case rf.topic == "":
		return usageErr(cmd, "rr needs a request topic: -t TOPIC")
	case rf.qos < 0 || rf.qos > 2:
		return usageErr(cmd, "-q %d: QoS is 0, 1 or 2", rf.qos)
	case rf.timeout <= 0:
		return usageErr(cmd, "-W %d: wait at least one second", rf.timeout)
	}
	if err := checkPublishTopic(rf.topic); err != nil {
		return usageErr(cmd, "-t %q: %v", rf.topic, err)
	}
	opts, err := rf.props.options(cmd, rf.conn.pubProps)
	if err != nil {
		return err
	}
	payload := []byte(rf.message)
	switch {
	case rf.file != "":
		if payload, err = os.ReadFile(rf.file); err != nil {
			return failure("rr: reading -f: %v", err)
		}
	case rf.stdin:
		if payload, err = io.ReadAll(os.Stdin); err != nil {
			return failure("rr: reading stdin: %v", err)
		}
	}
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	c, err := rf.conn.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	// Correlation data as hex text, so that a responder written in shell
	// (consume --exec) can pass it on from $MQTT_CORRELATION_DATA.
	random := make([]byte, 16)
	_, _ = rand.Read(random)
	corr := []byte(hex.EncodeToString(random))
	if rf.response == "" {
		rf.response = "mqttkit/rr/" + c.ClientID() + "/" + string(corr[:8])
	}
	if err := packet.ValidateTopicName(rf.response); err != nil {
		return usageErr(cmd, "-e %q: %v", rf.response, err)
	}
	got := make(chan *mqttkit.Message, 1)
	h := mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
		if bytes.Equal(m.Properties.CorrelationData, corr) {
			select {
			case got <- m:
			default:
			}
		}
		return nil
	})
	qos := []mqttkit.SubscribeOption{mqttkit.AtMostOnce, mqttkit.AtLeastOnce, mqttkit.ExactlyOnce}[rf.qos]
	if _, err := c.Subscribe(ctx, rf.response, h, qos); err != nil {
		return failure("rr: subscribing to the response topic %s: %v", rf.response, err)
	}
	opts = append(opts, mqttkit.ResponseTopic(rf.response), mqttkit.CorrelationData(corr))
	if err := c.Publish(ctx, rf.topic, payload, mqttkit.QoS(rf.qos), opts...); err != nil {
		return failure("rr: publishing the request to %s: %v", rf.topic, err)
	}
	t := time.NewTimer(time.Duration(rf.timeout) * time.Second)
	defer t.Stop()
	select {
	case m := <-got:
		_, _ = os.Stdout.Write(rf.out.render(nil, m, time.Now()))
		return nil
	case <-t.C:
		return timeoutErr("rr: no response on %s within -W %ds; is a responder subscribed to %s?", rf.response, rf.timeout, rf.topic)
	case <-ctx.Done():
		return failure("rr: interrupted while waiting for the response")
	}
}
