package store

import "context"

// Commit is the durability of one or more changes: it completes when they are
// on disk, or fails with the error that kept them off it. Changes applied in
// the same group commit share one Commit.
type Commit struct {
	done chan struct{}
	err  error
}

// doneCommit is the completed Commit returned by stores whose changes are
// durable (as far as they go) the moment Apply returns.
var doneCommit = func() *Commit {
	c := newCommit()
	c.finish(nil)
	return c
}()

func newCommit() *Commit { return &Commit{done: make(chan struct{})} }

// failedCommit returns a completed Commit carrying err.
func failedCommit(err error) *Commit {
	c := newCommit()
	c.finish(err)
	return c
}

// finish completes c; it is called exactly once.
func (c *Commit) finish(err error) {
	c.err = err
	close(c.done)
}

// Done returns a channel that is closed when the commit completes, for use in
// a select next to other events (a PUBACK, a context).
func (c *Commit) Done() <-chan struct{} { return c.done }

// Err returns nil while the commit is pending or when it succeeded, and the
// error that stopped it otherwise.
func (c *Commit) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Wait blocks until the commit completes and returns its error, or until ctx
// ends and returns ctx's error. A change whose Wait gave up on ctx is still
// applied, and may still become durable.
func (c *Commit) Wait(ctx context.Context) error {
	select {
	case <-c.done:
		return c.err
	default:
	}
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}
