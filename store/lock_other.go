//go:build !unix

package store

import (
	"fmt"
	"os"
)

// lockDir refuses: without a directory lock two processes could write one
// session, and this platform's lock is not implemented yet.
func lockDir(dir string) (*os.File, error) {
	return nil, fmt.Errorf("store: the file store cannot lock %s on this operating system yet; use store.NewMemory", dir)
}

// unlockDir closes the lock file.
func unlockDir(f *os.File) error { return f.Close() }
