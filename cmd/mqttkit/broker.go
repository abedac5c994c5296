package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/mqttkit/mqttkit/broker"
)

func init() { register(newBrokerCmd) }

type brokerFlags struct {
	cfg   broker.Config
	debug bool
	quiet bool
}

func newBrokerCmd() *cobra.Command {
	bf := &brokerFlags{}
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run the embedded MQTT v5 broker (for development and tests)",
		Example: `  mqttkit broker
  mqttkit broker --listen 127.0.0.1:1883 --ws-listen 127.0.0.1:8080 --data-dir ./state
  mqttkit broker passwd users.txt alice && mqttkit broker --users users.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return bf.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&bf.cfg.Addr, "listen", broker.DefaultAddr, "TCP listen address host:port (port 0: a free port)")
	f.StringVar(&bf.cfg.WebSocketAddr, "ws-listen", "", "WebSocket listen address host:port (path /, subprotocol mqtt)")
	f.StringVar(&bf.cfg.TLSAddr, "tls-listen", "", "TLS listen address host:port; needs --cert and --key")
	f.StringVar(&bf.cfg.TLSCertFile, "cert", "", "TLS certificate file (PEM)")
	f.StringVar(&bf.cfg.TLSKeyFile, "key", "", "TLS private key file (PEM)")
	f.StringVar(&bf.cfg.UsersFile, "users", "", "users file (create entries with 'mqttkit broker passwd')")
	f.StringVar(&bf.cfg.ACLFile, "acl", "", "ACL file (format in docs/BROKER.md)")
	f.BoolVar(&bf.cfg.AllowAnonymous, "allow-anonymous", false, "let clients connect without a user name even with --users or a non-loopback listener")
	f.StringVar(&bf.cfg.DataDir, "data-dir", "", "keep sessions, retained and queued messages in this directory across restarts")
	f.BoolVarP(&bf.debug, "debug", "d", false, "log every connection and protocol event")
	f.BoolVar(&bf.quiet, "quiet", false, "log only errors")
	addBrokerSecurityFlags(f, &bf.cfg)
	cmd.AddCommand(newPasswdCmd(), newCertCmd(), newSCRAMPasswdCmd())
	return cmd
}

func (bf *brokerFlags) run(cmd *cobra.Command) error {
	level := slog.LevelWarn
	switch {
	case bf.debug:
		level = slog.LevelDebug
	case bf.quiet:
		level = slog.LevelError
	}
	bf.cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	srv, err := broker.New(bf.cfg)
	if err != nil {
		return usageErr(cmd, "%v", err)
	}
	if err := srv.Start(); err != nil {
		return failure("%v", err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "broker: listening on mqtt://%s\n", srv.Addr())
	if a := srv.WebSocketAddr(); a != "" {
		fmt.Fprintf(out, "broker: listening on ws://%s/\n", a)
	}
	if a := srv.TLSAddr(); a != "" {
		fmt.Fprintf(out, "broker: listening on mqtts://%s\n", a)
	}
	if a := srv.SecureWebSocketAddr(); a != "" {
		fmt.Fprintf(out, "broker: listening on wss://%s/\n", a)
	}
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	<-ctx.Done()
	fmt.Fprintln(out, "broker: shutting down")
	if err := srv.Close(); err != nil {
		return failure("broker: closing: %v", err)
	}
	return nil
}
