package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// commands holds the constructors of the sub-commands; each command's file
// appends its own in init through register, so that adding a command never
// means editing another command's file.
var commands []func() *cobra.Command

// register adds a sub-command constructor to the root command.
func register(newCmd func() *cobra.Command) { commands = append(commands, newCmd) }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "mqttkit",
		Short: "MQTT v5 client, consumer and embedded broker",
		Long: `mqttkit publishes, subscribes, consumes as a member of a consumer group,
runs an embedded broker and shows a consumer group at work (mqttkit demo).
Flags follow mosquitto_pub and mosquitto_sub; --help is the help flag
because -h is the host. Exit codes: 0 ok, 1 failure, 2 usage error,
3 connection failure, 4 timeout (docs/CLI.md).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// -h is the host, as in mosquitto: a help flag without a shorthand on
	// the root keeps cobra from adding its own -h to every command.
	root.PersistentFlags().Bool("help", false, "show help for the command")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr(c, "%v", err)
	})
	for _, newCmd := range commands {
		root.AddCommand(newCmd())
	}
	root.CompletionOptions.DisableDefaultCmd = true
	return root
}

func main() {
	root := newRoot()
	cmd, err := root.ExecuteC()
	os.Exit(report(cmd, err))
}

// report prints err as one line on stderr and returns the exit status.
func report(cmd *cobra.Command, err error) int {
	if err == nil {
		return exitOK
	}
	code, msg := classify(cmd, err)
	fmt.Fprintln(os.Stderr, msg)
	return code
}

// signalContext ends on SIGINT or SIGTERM, the way every command stops.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}
