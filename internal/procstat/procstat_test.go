package procstat

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name, line string
		want       time.Duration
		bad        bool
	}{
		{"plain", "4242 (mosquitto) S 1 4242 4242 0 -1 4194560 500 0 0 0 150 25 0 0 20 0 1 0 100 1000 200", 1750 * time.Millisecond, false},
		{"name with spaces and parens", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1", 70 * time.Millisecond, false},
		{"truncated", "7 (x) R 1 2", 0, true},
		{"garbage", "no parenthesis", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStat(tc.line)
			if (err != nil) != tc.bad || got != tc.want {
				t.Fatalf("got %v, %v; want %v, error %v", got, err, tc.want, tc.bad)
			}
		})
	}
}

// This process's own CPU time grows while it spins.
func TestCPUOfThisProcess(t *testing.T) {
	before, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(60 * time.Millisecond); time.Now().Before(end); {
	}
	after, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after <= before {
		t.Fatalf("CPU time %v after spinning, %v before", after, before)
	}
}

func TestParseIO(t *testing.T) {
	r, w, err := parseIO("rchar: 100\nwchar: 20\nsyscr: 7\nsyscw: 3\nread_bytes: 0\n")
	if err != nil || r != 7 || w != 3 {
		t.Fatalf("got %d, %d, %v; want 7, 3", r, w, err)
	}
	if _, _, err := parseIO("rchar: 100\n"); err == nil {
		t.Fatal("no error for text without syscr and syscw")
	}
}

// Writing to a pipe counts as a write syscall of this process.
func TestSyscallsOfSelf(t *testing.T) {
	_, w0, err := SyscallsOfSelf()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for range 10 {
		if _, err := w.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	_, w1, err := SyscallsOfSelf()
	if err != nil {
		t.Fatal(err)
	}
	if w1-w0 < 10 {
		t.Fatalf("%d write syscalls counted for 10 writes", w1-w0)
	}
}
