package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// PeerFlags is the common command line of the peer programs under
// bench/peers: `PROGRAM SCENARIO --host H --port P --clients N …`, the
// long flag names of `mqttkit bench`, so that the comparison runs every
// client with the same arguments.
type PeerFlags struct {
	Host string
	Port int
	Config
	rate float64
}

// ParsePeerArgs parses args (without the program name) into a Config and
// the broker address.
func ParsePeerArgs(args []string) (*PeerFlags, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("give a scenario first: pub, sub, pubsub or conn")
	}
	pf := &PeerFlags{}
	pf.Scenario = Scenario(args[0])
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var qos int
	fs.StringVar(&pf.Host, "host", "127.0.0.1", "broker host")
	fs.IntVar(&pf.Port, "port", 1883, "broker port")
	fs.IntVar(&pf.Clients, "clients", 1, "publishers, subscribers (sub) or connections (conn)")
	fs.IntVar(&pf.Subscribers, "subscribers", 1, "subscribers of pubsub")
	fs.IntVar(&pf.Count, "count", 0, "messages per publisher")
	fs.DurationVar(&pf.Duration, "duration", 0, "how long to publish")
	fs.Float64Var(&pf.rate, "rate", 0, "aggregate messages per second")
	fs.IntVar(&pf.Size, "size", 64, "payload bytes")
	fs.IntVar(&qos, "qos", 1, "QoS")
	fs.StringVar(&pf.Topic, "topic", "mqttkit/bench/%i", "topic, %i: client index")
	fs.StringVar(&pf.Group, "group", "", "consumer group")
	fs.IntVar(&pf.Inflight, "inflight", 1024, "unfinished publishes per publisher")
	fs.DurationVar(&pf.Warmup, "warmup", 0, "warmup")
	fs.DurationVar(&pf.HandlerDelay, "handler-delay", 0, "sleep per received message")
	fs.IntVar(&pf.Workers, "workers", 0, "handler goroutines per subscriber")
	fs.DurationVar(&pf.Drain, "drain", 2*time.Second, "wait for missing messages")
	fs.Bool("json", true, "accepted for symmetry with mqttkit bench; the output is always JSON")
	fs.Bool("allow-loss", true, "accepted for symmetry; loss is in the JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	pf.QoS = byte(qos)
	if pf.rate > 0 {
		pf.Rate = pf.rate / float64(pf.Clients)
	}
	if pf.Count == 0 && pf.Duration == 0 && pf.Scenario != Conns {
		pf.Duration = 10 * time.Second
	}
	return pf, pf.Check()
}

// Addr returns host:port.
func (pf *PeerFlags) Addr() string { return pf.Host + ":" + strconv.Itoa(pf.Port) }

// PeerMain is the whole main function of a peer program: it parses the
// arguments, runs the scenario with the driver newDriver makes and prints
// one JSON line. Exit status 2 is a usage error, 1 a failed run.
func PeerMain(newDriver func(*PeerFlags) Driver) {
	pf, err := ParsePeerArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[0], err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := Run(ctx, pf.Config, newDriver(pf))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[0], err)
		os.Exit(1)
	}
	if err := res.WriteJSON(os.Stdout); err != nil {
		os.Exit(1)
	}
}
