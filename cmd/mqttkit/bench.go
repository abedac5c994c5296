package main

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/internal/bench"
)

func init() { register(newBenchCmd) }

type benchFlags struct {
	conn          *connFlags
	cfg           bench.Config
	qos           int
	rate          float64
	ratePerClient float64
	json          bool
	csv           string
	report        string
	allowLoss     bool
	receiveMax    uint16
	cpuProfile    string
	memProfile    string
}

func newBenchCmd() *cobra.Command {
	bf := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "bench pub|sub|pubsub|conn",
		Short: "Measure throughput, end-to-end latency, loss and client cost against a broker",
		Long: `bench runs a scenario against the broker and verifies what it measures:
  pub     -c clients publish; acknowledgements are counted
  sub     -c clients subscribe (--group: as one consumer group) to publishers
          elsewhere, such as another 'mqttkit bench pub'
  pubsub  -c publishers and --subscribers subscribers, end to end
  conn    open and hold -c connections; connect times and memory per connection
Every payload carries its send time, publisher and sequence number: lost,
duplicated and out-of-order messages are counted per publisher and latency
is end to end (same host clock). A run that loses messages says so and exits
with status 1 unless --allow-loss.`,
		Example: `  mqttkit bench pubsub -q 1 -s 64 --duration 10s
  mqttkit bench pubsub -c 100 --subscribers 1 --rate 5000 --json
  mqttkit bench pubsub --subscribers 3 --group workers --report run.html
  mqttkit bench conn -c 10000 -p 1884`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"pub", "sub", "pubsub", "conn"},
		RunE:      func(cmd *cobra.Command, args []string) error { return bf.run(cmd, args[0]) },
	}
	bf.addConnFlags(cmd)
	f := cmd.Flags()
	c := &bf.cfg
	f.IntVarP(&c.Clients, "clients", "c", 1, "publishers (pub, pubsub), subscribers (sub) or connections (conn)")
	f.IntVar(&c.Subscribers, "subscribers", 1, "subscribers of pubsub")
	f.IntVar(&c.Count, "count", 0, "messages per publisher (default: --duration 10s; sub: until interrupted)")
	f.DurationVar(&c.Duration, "duration", 0, "how long to publish, or for sub and conn to hold on")
	f.Float64Var(&bf.rate, "rate", 0, "aggregate messages per second of all publishers (0: as fast as acknowledged)")
	f.Float64Var(&bf.ratePerClient, "rate-per-client", 0, "messages per second of each publisher, instead of --rate")
	f.IntVarP(&c.Size, "size", "s", 64, "payload bytes (at least 24: the bench header)")
	f.IntVarP(&bf.qos, "qos", "q", 1, "QoS 0, 1 or 2 of publishes and subscriptions")
	f.StringVarP(&c.Topic, "topic", "t", "mqttkit/bench/%i", "topic; %i is the client index (subscribers use + for its level)")
	f.StringVar(&c.Group, "group", "", "subscribers share the stream as this consumer group ($share/GROUP/…)")
	f.IntVar(&c.Inflight, "inflight", 1024, "unfinished publishes per publisher")
	f.DurationVar(&c.Warmup, "warmup", 0, "publish this long first without measuring (e.g. 2s)")
	f.DurationVar(&c.HandlerDelay, "handler-delay", 0, "simulated work per received message, a sleep in the handler (e.g. 100us)")
	f.IntVar(&c.Workers, "workers", 0, "handler goroutines per subscriber (default GOMAXPROCS)")
	f.DurationVar(&c.Drain, "drain", 2*time.Second, "after publishing, wait this long without arrivals before counting the rest lost")
	f.IntVar(&c.Parallel, "parallel", 64, "connections opened at once")
	f.Uint16Var(&bf.receiveMax, "receive-maximum", 0, "Receive Maximum each client announces (default: the client's, 1024)")
	f.BoolVar(&bf.json, "json", false, "print the summary as one JSON object")
	f.StringVar(&bf.csv, "csv", "", "append the summary as a CSV row to this file")
	f.StringVar(&bf.report, "report", "", "write an HTML page with latency and throughput charts to this file")
	f.BoolVar(&bf.allowLoss, "allow-loss", false, "exit 0 even when messages were lost")
	f.StringVar(&bf.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	f.StringVar(&bf.memProfile, "memprofile", "", "write a heap profile at the end of the run (conn: while the connections are open)")
	return cmd
}

// addConnFlags adds the shared connection flags, except that -c is
// --clients here (as in every MQTT benchmark tool): --disable-clean-session
// keeps its long name only.
func (bf *benchFlags) addConnFlags(cmd *cobra.Command) {
	shared := &cobra.Command{}
	bf.conn = addConnFlags(shared)
	shared.Flags().VisitAll(func(fl *pflag.Flag) {
		if fl.Shorthand == "c" {
			fl.Shorthand = ""
		}
		cmd.Flags().AddFlag(fl)
	})
}

func (bf *benchFlags) run(cmd *cobra.Command, scenario string) error {
	if err := bf.conn.setup(cmd); err != nil {
		return err
	}
	c := &bf.cfg
	c.Scenario = bench.Scenario(scenario)
	c.QoS = byte(bf.qos)
	if bf.qos < 0 || bf.qos > 2 {
		return usageErr(cmd, "--qos %d: use 0, 1 or 2", bf.qos)
	}
	switch {
	case bf.rate > 0 && bf.ratePerClient > 0:
		return usageErr(cmd, "--rate and --rate-per-client both set the rate; give one")
	case bf.rate > 0:
		c.Rate = bf.rate / float64(c.Clients)
	default:
		c.Rate = bf.ratePerClient
	}
	if c.Count == 0 && c.Duration == 0 && (c.Scenario == bench.Pub || c.Scenario == bench.PubSub) {
		c.Duration = 10 * time.Second
	}
	if err := c.Check(); err != nil {
		return usageErr(cmd, "bench: %v", err)
	}
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	if !bf.conn.quiet && stderrIsTerminal() {
		c.Progress = benchProgress()
	}
	stopProfile, err := bf.startCPUProfile()
	if err != nil {
		return err
	}
	res, err := bench.Run(ctx, *c, bench.Mqttkit{Dial: bf.dialer(cmd)})
	stopProfile()
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		return failure("bench %s: %v", scenario, err)
	}
	return bf.output(res)
}

// dialer returns the function that connects client number i with the
// connection flags: a client id of its own, a queue that holds --inflight,
// and session expiry 0 unless -x says otherwise, so that consumer-group
// members leave no sessions behind to swallow later runs' messages.
func (bf *benchFlags) dialer(cmd *cobra.Command) func(context.Context, int) (*mqttkit.Client, error) {
	return func(ctx context.Context, i int) (*mqttkit.Client, error) {
		extra := []mqttkit.Option{mqttkit.WithQueueSize(max(bf.cfg.Inflight*2, 10000))}
		if bf.receiveMax > 0 {
			extra = append(extra, mqttkit.WithReceiveMaximum(bf.receiveMax))
		}
		if bf.conn.clientID != "" {
			extra = append(extra, mqttkit.WithClientID(bf.conn.clientID+"-"+strconv.Itoa(i)))
		}
		if !cmd.Flags().Changed("session-expiry") && !bf.conn.noClean {
			extra = append(extra, mqttkit.WithSessionExpiry(0))
		}
		return bf.conn.dial(ctx, extra...)
	}
}
