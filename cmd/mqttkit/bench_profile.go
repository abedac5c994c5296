package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

// startCPUProfile starts the --cpuprofile profile; the returned function
// stops it and writes the --memprofile heap profile.
func (bf *benchFlags) startCPUProfile() (stop func(), err error) {
	var f *os.File
	if bf.cpuProfile != "" {
		if f, err = os.Create(bf.cpuProfile); err != nil {
			return nil, failure("bench: --cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, failure("bench: --cpuprofile: %v", err)
		}
	}
	if bf.memProfile != "" {
		bf.cfg.BeforeClose = bf.writeHeapProfile
	}
	return func() {
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
		}
	}, nil
}

// writeHeapProfile writes the heap profile while the clients are still
// connected, so that their memory shows in it.
func (bf *benchFlags) writeHeapProfile() {
	f, err := os.Create(bf.memProfile)
	if err != nil {
		bf.conn.warn("--memprofile: %v", err)
		return
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		bf.conn.warn("--memprofile: %v", err)
	}
}
