// Package procstat reads process statistics from /proc for benchmarks:
// another process's CPU time, so that a broker's CPU share shows beside the
// clients' figures (a single-threaded broker at a full core is the limit of
// a run, not the clients), and this process's read and write syscall
// counts. Linux only; elsewhere the functions return an error.
package procstat

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on
// every Linux this runs on).
const clockTick = 10 * time.Millisecond

// CPU returns the CPU time (user + system) process pid used so far.
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return ParseStat(string(b))
}

// ParseStat reads utime and stime, fields 14 and 15 of a /proc/<pid>/stat
// line; the command name in field 2 may hold spaces, so the fields are
// counted after its closing parenthesis.
func ParseStat(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc stat line %q", stat)
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc stat line %q", stat)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc stat line %q", stat)
	}
	return time.Duration(ut+st) * clockTick, nil
}

// SyscallsOfSelf returns how many read and write system calls this process
// has made (syscr and syscw of /proc/self/io), including those that
// returned EAGAIN.
func SyscallsOfSelf() (reads, writes int64, err error) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0, err
	}
	return parseIO(string(b))
}

// parseIO reads syscr and syscw from the text of /proc/<pid>/io.
func parseIO(s string) (reads, writes int64, err error) {
	found := 0
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok || (k != "syscr" && k != "syscw") {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("unexpected /proc io line %q", line)
		}
		if k == "syscr" {
			reads = n
		} else {
			writes = n
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("no syscr and syscw in /proc io text %q", s)
	}
	return reads, writes, nil
}
