//go:build unix

package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestFileSecondOpenInProcessFails(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "already open in this process") {
		t.Fatalf("second Open returned %v, want ErrLocked saying the directory is open in this process", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s.Close()
}

// holder re-executes the test binary as a process that holds dir open.
func holder(t *testing.T, dir string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("helper process said %q (%v), want ready", line, err)
	}
	return cmd, stdin
}

func TestFileOpenHeldByAnotherProcessFails(t *testing.T) {
	tests := []struct {
		name    string
		release func(cmd *exec.Cmd, stdin io.WriteCloser) error
	}{
		{"holder closes the store", func(cmd *exec.Cmd, stdin io.WriteCloser) error {
			stdin.Close()
			return cmd.Wait()
		}},
		{"holder is killed", func(cmd *exec.Cmd, _ io.WriteCloser) error {
			cmd.Process.Kill()
			err := cmd.Wait()
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				return nil // killed, as intended
			}
			return fmt.Errorf("killed helper: %v", err)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd, stdin := holder(t, dir)
			_, err := Open(dir)
			want := fmt.Sprintf("session directory %s is in use by another process (pid %d)", dir, cmd.Process.Pid)
			if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), want) {
				t.Fatalf("Open of a directory another process holds returned %v, want ErrLocked containing %q", err, want)
			}
			if err := tc.release(cmd, stdin); err != nil {
				t.Fatalf("releasing the helper: %v", err)
			}
			s, err := Open(dir)
			if err != nil {
				t.Fatalf("Open after the other process let go: %v", err)
			}
			s.Close()
		})
	}
}
