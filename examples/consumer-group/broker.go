package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/mqttkit/mqttkit/broker"
)

// runBroker runs the embedded broker (package broker) in this process, with
// the limits a consumer-group test must set explicitly, until ctx ends. In
// its own process a broker fault (a crash or a hang) is the broker's alone,
// as with Mosquitto, and cannot take the test process with it.
func runBroker(ctx context.Context, args []string) error {
	var cfg broker.Config
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "listen", "127.0.0.1:0", "TCP listen address (port 0: a free port)")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "keep sessions and queued messages in this directory")
	rm := fs.Uint("receive-maximum", 0, "Receive Maximum announced to clients (0: the broker's default)")
	fs.IntVar(&cfg.Limits.MaxQueuedMessages, "max-queued", 0, "QoS 1/2 messages kept per session (0: default)")
	fs.IntVar(&cfg.Limits.MaxPendingWrites, "max-pending-writes", 0, "packets waiting to be written to one client (0: default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rm > 65535 {
		return fmt.Errorf("broker: --receive-maximum %d is above 65535", *rm)
	}
	cfg.Limits.ReceiveMaximum = uint16(*rm)
	cfg.NoSync = true
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := broker.New(cfg)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "broker listening on %s\n", srv.Addr())
	<-ctx.Done()
	st := srv.Stats()
	fmt.Fprintf(os.Stderr, "broker stopped: %d messages in, %d out, %d dropped\n", st.MessagesIn, st.MessagesOut, st.MessagesDropped)
	return srv.Close()
}
