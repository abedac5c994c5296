package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses, documented in docs/CLI.md.
const (
	exitOK      = 0 // everything asked for was done
	exitFailure = 1 // a runtime failure: a refused publish, a failing sink, lost messages
	exitUsage   = 2 // a bad flag, argument, topic or configuration file
	exitConnect = 3 // no connection: broker down, refused CONNECT, bad credentials
	exitTimeout = 4 // a -W timeout passed before the work was done
)

// exitError carries the exit status a failure should produce.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr is a mistake on the command line: exit status 2.
func usageErr(cmd *cobra.Command, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if cmd != nil {
		msg += helpHint(cmd)
	}
	return &exitError{code: exitUsage, err: errors.New(msg)}
}

// failure is a runtime failure: exit status 1.
func failure(format string, args ...any) error {
	return &exitError{code: exitFailure, err: fmt.Errorf(format, args...)}
}

// connectErr is a failure to connect: exit status 3.
func connectErr(format string, args ...any) error {
	return &exitError{code: exitConnect, err: fmt.Errorf(format, args...)}
}

// timeoutErr is a -W timeout: exit status 4.
func timeoutErr(format string, args ...any) error {
	return &exitError{code: exitTimeout, err: fmt.Errorf(format, args...)}
}

// helpHint points at the command's help.
func helpHint(cmd *cobra.Command) string {
	return fmt.Sprintf(" (see '%s --help')", cmd.CommandPath())
}

// classify returns the exit status and the one line to print for err.
// Errors that none of the commands typed come from cobra itself (an unknown
// command, a missing or extra argument): they are usage errors.
func classify(cmd *cobra.Command, err error) (int, string) {
	var ee *exitError
	if errors.As(err, &ee) {
		// The library's errors start with "mqttkit: " too; one is enough.
		return ee.code, "mqttkit: " + strings.ReplaceAll(ee.Error(), ": mqttkit: ", ": ")
	}
	msg := err.Error()
	if cmd != nil {
		msg += helpHint(cmd)
	}
	return exitUsage, "mqttkit: " + strings.TrimSuffix(msg, ".")
}
