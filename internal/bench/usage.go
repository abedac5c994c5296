package bench

import (
	"syscall"
	"time"
)

// Usage is the process's resource use so far.
type Usage struct {
	CPU       time.Duration // user + system
	PeakRSSKB int64         // maximum resident set size
}

// readUsage reads getrusage(RUSAGE_SELF).
func readUsage() Usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return Usage{}
	}
	return Usage{
		CPU:       time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		PeakRSSKB: ru.Maxrss, // kilobytes on Linux
	}
}

// RaiseFileLimit raises the soft limit of open files to the hard limit, so
// that many connections fit, and returns the soft limit now in force.
func RaiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, err
		}
	}
	return l.Cur, nil
}
