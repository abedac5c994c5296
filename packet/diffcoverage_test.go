package packet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiffCorpusIsRead guards TestDiffAcceptReject's coverage: readCorpusFile
// skips a file it cannot parse, so a change of the corpus format would
// silently drop the committed fuzz inputs from the differential test.
func TestDiffCorpusIsRead(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzReadPacket/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no committed FuzzReadPacket corpus (%v); the differential test would run on seeds alone", err)
	}
	for _, f := range files {
		if _, ok := readCorpusFile(t, f); !ok {
			t.Errorf("%s is not a []byte corpus entry readCorpusFile can parse; the differential test skips it", f)
		}
	}
}

// TestFuzzingDocListsExceptions checks that docs/FUZZING.md, which justifies
// each accepted disagreement with paho, lists every class pahoExceptions has.
func TestFuzzingDocListsExceptions(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "FUZZING.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range pahoExceptions {
		if !strings.Contains(string(doc), "| "+e.name+" |") {
			t.Errorf("docs/FUZZING.md has no table row for the paho exception %q (%s)", e.name, e.why)
		}
	}
}
