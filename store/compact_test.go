package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// deadAndLive fills dir with a log of 200 puts of which 150 were deleted or
// replaced, closes it, and returns the live records.
func deadAndLive(t *testing.T, dir string) []record {
	t.Helper()
	ctx := context.Background()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var live []record
	for id := range uint64(200) {
		if err := s.Put(Key{Outbound, id}, valueFor(id, 100)).Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for id := range uint64(200) {
		switch id % 4 {
		case 0:
			live = append(live, record{Key{Outbound, id}, string(valueFor(id, 100))})
		case 1:
			if err := s.Put(Key{Outbound, id}, nil).Wait(ctx); err != nil { // a PUBREL marker
				t.Fatal(err)
			}
			live = append(live, record{Key{Outbound, id}, ""})
		default:
			if err := s.Delete(Key{Outbound, id}).Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return live
}

func TestFileCompactKeepsExactlyTheLiveSet(t *testing.T) {
	dir := t.TempDir()
	live := deadAndLive(t, dir)
	log := filepath.Join(dir, logName)
	before, _ := os.Stat(log)

	s := openFile(t, dir)
	if err := s.Compact(); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	sameRecords(t, loadAll(t, s), live)
	after, _ := os.Stat(log)
	if after.Size()*3 > before.Size() {
		t.Fatalf("compaction left %d of %d bytes for a quarter of the records", after.Size(), before.Size())
	}
	if st := s.Stats(); st.LogBytes != after.Size() || st.Compactions != 1 {
		t.Fatalf("stats after compaction %+v, file is %d bytes", st, after.Size())
	}
	// The compacted log takes new records and reopens to the same state.
	if err := s.Put(Key{InboundQoS2, 9}, nil).Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, compactName)); !os.IsNotExist(err) {
		t.Fatalf("compaction left its temporary file: %v", err)
	}
	sameRecords(t, loadAll(t, openFile(t, dir)), append(live, record{Key{InboundQoS2, 9}, ""}))
}

func TestFileCompactsByItself(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, WithCompaction(16<<10, 1))
	if err != nil {
		t.Fatal(err)
	}
	var live []record
	for id := range uint64(2000) {
		if err := s.Put(Key{Outbound, id}, valueFor(id, 100)).Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if id%100 == 0 {
			live = append(live, record{Key{Outbound, id}, string(valueFor(id, 100))})
			continue
		}
		if err := s.Delete(Key{Outbound, id}).Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Compactions == 0 || st.LogBytes > 64<<10 {
		t.Fatalf("after 2000 put+delete cycles with a 16 KiB threshold: %+v", st)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	sameRecords(t, loadAll(t, openFile(t, dir)), live)
}

func TestFileSurvivesCrashDuringCompaction(t *testing.T) {
	// A compaction writes compactName, fsyncs it and renames it over the
	// log. Crashing before the rename leaves the old log and some prefix of
	// the compacted one; build those states from a real compaction.
	dir := t.TempDir()
	live := deadAndLive(t, dir)
	log := filepath.Join(dir, logName)
	oldLog, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	s := openFile(t, dir)
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	compacted, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		log      []byte
		leftover []byte
	}{
		{"crash while creating the compaction file", oldLog, nil},
		{"crash after its header", oldLog, compacted[:headerLen]},
		{"crash halfway through writing it", oldLog, compacted[:len(compacted)/2]},
		{"crash after writing it, before the rename", oldLog, compacted},
		{"crash after the rename", compacted, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(log, tc.log, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, compactName), tc.leftover, 0o600); err != nil {
				t.Fatal(err)
			}
			s := openFile(t, dir)
			sameRecords(t, loadAll(t, s), live)
			if _, err := os.Stat(filepath.Join(dir, compactName)); !os.IsNotExist(err) {
				t.Fatalf("Open left the interrupted compaction file: %v", err)
			}
			if err := s.Compact(); err != nil {
				t.Fatalf("Compact after recovery: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			sameRecords(t, loadAll(t, openFile(t, dir)), live)
		})
	}
}

func TestFileFailedCompactionLosesNothing(t *testing.T) {
	dir := t.TempDir()
	live := deadAndLive(t, dir)
	s := openFile(t, dir)
	// A directory where the compaction file goes makes creating it fail.
	blocker := filepath.Join(dir, compactName)
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	err := s.Compact()
	if err == nil || !strings.Contains(err.Error(), "the log is unchanged") {
		t.Fatalf("Compact with its file blocked returned %v, want an error saying the log is unchanged", err)
	}
	if st := s.Stats(); st.CompactionErr == nil || st.Compactions != 0 {
		t.Fatalf("stats after a failed compaction: %+v", st)
	}
	if err := s.Put(Key{Meta, MetaClientID}, []byte("still works")).Wait(context.Background()); err != nil {
		t.Fatalf("Put after a failed compaction: %v", err)
	}
	want := append([]record{{Key{Meta, MetaClientID}, "still works"}}, live...)
	sameRecords(t, loadAll(t, s), want)

	if err := os.RemoveAll(blocker); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(); err != nil {
		t.Fatalf("Compact once unblocked: %v", err)
	}
	if st := s.Stats(); st.CompactionErr != nil || st.Compactions != 1 {
		t.Fatalf("stats after a successful compaction: %+v", st)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	sameRecords(t, loadAll(t, openFile(t, dir)), want)
}
