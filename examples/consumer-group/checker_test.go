package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// history is what the processes of a run wrote: the ids the publisher
// attempted and got acknowledged, and every line of every member.
type history struct {
	attempted []string            // every id the publisher tried, in order
	acked     map[string]bool     // ids the broker acknowledged
	members   map[string][]record // member name → its lines, in file order
}

type record struct{ kind, id string } // kind: "handled" or "duplicate"

// verdict is the outcome of checking a history, after Jepsen's
// total-queue checker: every acknowledged message must come out at least
// once.
type verdict struct {
	once       int            // acknowledged ids delivered exactly once
	duplicated int            // ids delivered more than once, across all members
	lost       []string       // acknowledged ids never delivered
	recovered  int            // ids delivered although their publish was not acknowledged
	unexpected []string       // ids delivered that were never published
	flagged    int            // copies the Dedupe middleware of a member recognised
	handled    map[string]int // member → messages it handled (first copies)
}

// check classifies every id: delivered once, more than once, or lost. A
// copy counts as a delivery whether the member handled it or Dedupe
// skipped it; the checker sees all members, so it also finds the copies
// that went to another member or to a restarted one, which no single
// member's in-memory Dedupe can see.
func check(h history) verdict {
	v := verdict{handled: map[string]int{}}
	deliveries := map[string]int{}
	for name, recs := range h.members {
		for _, r := range recs {
			deliveries[r.id]++
			if r.kind == "duplicate" {
				v.flagged++
			} else {
				v.handled[name]++
			}
		}
	}
	published := make(map[string]bool, len(h.attempted))
	for _, id := range h.attempted {
		published[id] = true
		n := deliveries[id]
		switch {
		case n > 1:
			v.duplicated++
		case n == 1 && h.acked[id]:
			v.once++
		}
		if n > 0 && !h.acked[id] {
			v.recovered++
		}
		if n == 0 && h.acked[id] {
			v.lost = append(v.lost, id)
		}
	}
	for id := range deliveries {
		if !published[id] {
			v.unexpected = append(v.unexpected, id)
		}
	}
	sort.Strings(v.unexpected)
	return v
}

// String is the report a test logs.
func (v verdict) String() string {
	names := make([]string, 0, len(v.handled))
	for n := range v.handled {
		names = append(names, n)
	}
	sort.Strings(names)
	var split []string
	for _, n := range names {
		split = append(split, fmt.Sprintf("%s %d", n, v.handled[n]))
	}
	return fmt.Sprintf("once %d, duplicated %d (copies flagged by Dedupe: %d), lost %d, recovered %d, unexpected %d; handled per member: %s",
		v.once, v.duplicated, v.flagged, len(v.lost), v.recovered, len(v.unexpected), strings.Join(split, ", "))
}

// readLines returns the lines of path split into fields.
func readLines(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("reading the output of a process: %v", err)
	}
	defer f.Close()
	var lines [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, strings.Fields(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return lines
}

func TestCheck(t *testing.T) {
	ids := []string{"m-0", "m-1", "m-2", "m-3"}
	acked := map[string]bool{"m-0": true, "m-1": true, "m-2": true}
	tests := []struct {
		name    string
		members map[string][]record
		want    string
	}{
		{"all once", map[string][]record{
			"a": {{"handled", "m-0"}, {"handled", "m-1"}},
			"b": {{"handled", "m-2"}},
		}, "once 3, duplicated 0 (copies flagged by Dedupe: 0), lost 0, recovered 0, unexpected 0; handled per member: a 2, b 1"},
		{"lost and recovered", map[string][]record{
			"a": {{"handled", "m-0"}, {"handled", "m-3"}},
		}, "once 1, duplicated 0 (copies flagged by Dedupe: 0), lost 2, recovered 1, unexpected 0; handled per member: a 2"},
		{"duplicate across members and flagged in one", map[string][]record{
			"a": {{"handled", "m-0"}, {"handled", "m-1"}, {"duplicate", "m-1"}},
			"b": {{"handled", "m-0"}, {"handled", "m-2"}, {"handled", "x-9"}},
		}, "once 1, duplicated 2 (copies flagged by Dedupe: 1), lost 0, recovered 0, unexpected 1; handled per member: a 2, b 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := check(history{attempted: ids, acked: acked, members: tt.members}).String()
			if got != tt.want {
				t.Errorf("check =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
