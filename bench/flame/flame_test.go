package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// A profile of two stacks, main→work→syscall.Write (30 ms) and
// main→idle (10 ms), becomes a flame graph with each frame's share.
func TestRenderProfile(t *testing.T) {
	fn := func(id uint64, name string) *profile.Function { return &profile.Function{ID: id, Name: name} }
	mainF, work, write, idle := fn(1, "main.main"), fn(2, "github.com/mqttkit/mqttkit.(*conn).work"), fn(3, "syscall.Write"), fn(4, "main.idle")
	loc := func(id uint64, f *profile.Function) *profile.Location {
		return &profile.Location{ID: id, Line: []profile.Line{{Function: f}}}
	}
	lMain, lWork, lWrite, lIdle := loc(1, mainF), loc(2, work), loc(3, write), loc(4, idle)
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		Sample: []*profile.Sample{
			{Location: []*profile.Location{lWrite, lWork, lMain}, Value: []int64{3, 30e6}},
			{Location: []*profile.Location{lIdle, lMain}, Value: []int64{1, 10e6}},
		},
		Location: []*profile.Location{lMain, lWork, lWrite, lIdle},
		Function: []*profile.Function{mainF, work, write, idle},
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "flame.svg")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := run(in, out, "two stacks"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(b)
	for _, want := range []string{
		"<svg", "two stacks", "total 40ms",
		"<title>all: 40ms (100.00%)</title>",
		"<title>main.main: 40ms (100.00%)</title>",
		"<title>mqttkit.(*conn).work: 30ms (75.00%)</title>", // module path dropped
		"<title>syscall.Write: 30ms (75.00%)</title>",
		"<title>main.idle: 10ms (25.00%)</title>",
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

// Input that is not a profile gets an error that names the file.
func TestRenderRejectsNonProfile(t *testing.T) {
	in := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(in, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(in, filepath.Join(t.TempDir(), "x.svg"), "")
	if err == nil || !strings.Contains(err.Error(), "notes.txt is not a pprof profile") {
		t.Fatalf("err = %v", err)
	}
}
