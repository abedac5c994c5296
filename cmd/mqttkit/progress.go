package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/term"
)

// stderrIsTerminal reports whether a live line on stderr would be seen by a
// person rather than written into a log or pipe.
func stderrIsTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }

// progressLine redraws one status line on stderr several times a second,
// only when stderr is a terminal.
type progressLine struct {
	quit chan struct{}
	done chan struct{}
}

// startProgress starts redrawing line() when enabled and stderr is a
// terminal; otherwise it does nothing.
func startProgress(enabled bool, line func() string) *progressLine {
	p := &progressLine{}
	if !enabled || !stderrIsTerminal() {
		return p
	}
	p.quit, p.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fmt.Fprintf(os.Stderr, "\r\x1b[K%s", line())
			case <-p.quit:
				fmt.Fprintf(os.Stderr, "\r\x1b[K%s\n", line())
				return
			}
		}
	}()
	return p
}

// stop draws the line a last time and ends it.
func (p *progressLine) stop() {
	if p.quit == nil {
		return
	}
	close(p.quit)
	<-p.done
}
