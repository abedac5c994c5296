// Command flame renders a pprof CPU profile as a flame graph in one SVG
// file, viewable offline in any browser (hover a frame for its share).
// The benchmark report links these for the hot paths:
//
//	go run ./cmd/mqttkit bench pubsub -q 1 --duration 5s --cpuprofile cpu.pprof
//	go run ./bench/flame -o docs/bench/flame-pubsub-qos1-64B.svg -title "..." cpu.pprof
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/google/pprof/profile"
)

func main() {
	out := flag.String("o", "flame.svg", "SVG file to write")
	title := flag.String("title", "", "title printed above the graph (default: the profile's file name)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: flame [-o FILE.svg] [-title TEXT] PROFILE\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *out, *title); err != nil {
		fmt.Fprintln(os.Stderr, "flame:", err)
		os.Exit(1)
	}
}

func run(in, out, title string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return fmt.Errorf("%s is not a pprof profile: %w", in, err)
	}
	root, unit, err := build(p)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if title == "" {
		title = in
	}
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := render(w, root, title, unit); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
