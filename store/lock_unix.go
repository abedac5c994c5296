//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockName is the lock file inside the session directory; it holds the pid
// of the process that has the directory open, for the error message.
const lockName = "LOCK"

// lockDir takes an exclusive flock on dir's lock file. The lock belongs to
// the open file, so it is released when the process dies, however it dies.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: cannot open the lock file of session directory %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := readPID(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, lockedError(dir, holder)
		}
		return nil, fmt.Errorf("store: cannot lock session directory %s: %w", dir, err)
	}
	// The pid only improves the error a second opener gets: failing to
	// write it is harmless.
	if f.Truncate(0) == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// lockedError explains who holds the directory and what to do about it.
func lockedError(dir string, holder int) error {
	switch {
	case holder == os.Getpid():
		return fmt.Errorf("%w: session directory %s is already open in this process; Close the other store first, or give each client its own directory", ErrLocked, dir)
	case holder > 0:
		return fmt.Errorf("%w: session directory %s is in use by another process (pid %d); stop that process, or give this client its own directory", ErrLocked, dir, holder)
	default:
		return fmt.Errorf("%w: session directory %s is in use by another process; stop that process, or give this client its own directory", ErrLocked, dir)
	}
}

// readPID returns the pid written in the lock file, or 0.
func readPID(f *os.File) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil {
		return 0
	}
	return pid
}

// unlockDir releases the lock by closing its file. The file stays: removing
// it would let a third opener lock a new file while a second holds the old.
func unlockDir(f *os.File) error { return f.Close() }
