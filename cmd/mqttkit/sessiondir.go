package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/store"
)

// sessionDir is the --session-dir flag of pub, sub and consume: the client's
// session kept on disk (mqttkit.WithStore over store.Open), so that a
// process killed mid-way loses nothing it was told was stored, and the next
// run with the same directory resumes the session: the same client id
// (unless -i is given), the messages in flight sent again, the server's
// queued messages received.
type sessionDir struct {
	dir string
	st  *store.File
}

func addSessionDirFlag(cmd *cobra.Command) *sessionDir {
	sd := &sessionDir{}
	cmd.Flags().StringVar(&sd.dir, "session-dir", "", "keep the session in DIR (created if missing; one process at a time) and resume it on the next run")
	return sd
}

// options opens the directory and returns the client options that use it;
// none without --session-dir. close releases it after the client closed.
func (sd *sessionDir) options(name string) ([]mqttkit.Option, error) {
	if sd.dir == "" {
		return nil, nil
	}
	st, err := store.Open(expandHome(sd.dir))
	if err != nil {
		return nil, failure("%s: --session-dir: %v", name, err)
	}
	sd.st = st
	return []mqttkit.Option{mqttkit.WithStore(st)}, nil
}

// close closes the store, if one was opened: what the client recorded
// becomes durable first.
func (sd *sessionDir) close(name string) error {
	if sd.st == nil {
		return nil
	}
	if err := sd.st.Close(); err != nil {
		return failure("%s: --session-dir %s: %v", name, sd.dir, err)
	}
	return nil
}

// waitResumed waits for the messages an earlier run left unacknowledged in
// the session directory, which Dial sent again, and reports them on stderr
// unless quiet. It returns how many failed and the first error.
func waitResumed(ctx context.Context, c *mqttkit.Client, quiet bool) (failed int, first error) {
	resumed := c.Resumed()
	if len(resumed) == 0 {
		return 0, nil
	}
	for _, r := range resumed {
		if err := r.Result.Wait(ctx); err != nil {
			if first == nil {
				first = err
			}
			failed++
		}
	}
	if !quiet {
		fmt.Fprintf(os.Stderr, "pub: sent again %d messages an earlier run left unacknowledged in --session-dir (%d failed)\n", len(resumed), failed)
	}
	return failed, first
}

// clientLater is the dead-letter publisher of a handler made before its
// client, as a subscription made by Dial is: publishing waits until set
// gives it the client.
type clientLater struct {
	ready chan struct{}
	c     *mqttkit.Client
}

func newClientLater() *clientLater { return &clientLater{ready: make(chan struct{})} }

// set hands over the client; call it once, after Dial.
func (l *clientLater) set(c *mqttkit.Client) {
	l.c = c
	close(l.ready)
}

// PublishMessage implements middleware.Publisher.
func (l *clientLater) PublishMessage(ctx context.Context, m *mqttkit.Message) error {
	select {
	case <-l.ready:
		return l.c.PublishMessage(ctx, m)
	case <-ctx.Done():
		return ctx.Err()
	}
}
