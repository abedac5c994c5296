package main

import (
	"io"
	"os"
)

// openOutput opens the file lines go to: appended to, so that a member
// started again after a crash adds to what its previous run wrote; "-" is
// standard output.
func openOutput(path string) (io.WriteCloser, error) {
	if path == "-" || path == "" {
		return nopCloser{os.Stdout}, nil
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// writeLine writes "<kind> <id> <topic>\n" in one write call: with
// O_APPEND (or a pipe) concurrent lines never interleave, and nothing waits
// in a buffer that a SIGKILL would lose.
func writeLine(w io.Writer, kind, id, topic string) error {
	b := make([]byte, 0, len(kind)+len(id)+len(topic)+3)
	b = append(b, kind...)
	b = append(b, ' ')
	b = append(b, id...)
	if topic != "" {
		b = append(b, ' ')
		b = append(b, topic...)
	}
	b = append(b, '\n')
	_, err := w.Write(b)
	return err
}
