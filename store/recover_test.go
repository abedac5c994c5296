package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tornLog writes five records and a sixth, closes the store, and returns the
// log's bytes, where the sixth record starts, and the five earlier records.
func tornLog(t *testing.T, dir string) (data []byte, lastStart int, earlier []record) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for id := uint64(1); id <= 5; id++ {
		if err := s.Put(Key{Outbound, id}, valueFor(id, 100)).Wait(ctx); err != nil {
			t.Fatal(err)
		}
		earlier = append(earlier, record{Key{Outbound, id}, string(valueFor(id, 100))})
	}
	lastStart = int(s.Stats().LogBytes)
	if err := s.Put(Key{Outbound, 6}, valueFor(6, 100)).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err = os.ReadFile(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	return data, lastStart, earlier
}

// checkRecovers opens dir, whose log was damaged in its last record, and
// checks that exactly the earlier records come back, that the damage was cut
// off, and that the log takes new records cleanly.
func checkRecovers(t *testing.T, dir string, earlier []record, wantTorn int) {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	sameRecords(t, loadAll(t, s), earlier)
	if got := s.Stats().TornBytes; got != int64(wantTorn) {
		t.Fatalf("Stats.TornBytes = %d, want %d", got, wantTorn)
	}
	if err := s.Put(Key{Outbound, 7}, []byte("after recovery")).Wait(context.Background()); err != nil {
		t.Fatalf("Put after recovery: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	sameRecords(t, loadAll(t, s), append(earlier[:len(earlier):len(earlier)], record{Key{Outbound, 7}, "after recovery"}))
	if got := s.Stats().TornBytes; got != 0 {
		t.Fatalf("second reopen dropped %d more bytes", got)
	}
}

func TestFileTruncatedAtEveryByteOfLastRecord(t *testing.T) {
	dir := t.TempDir()
	data, lastStart, earlier := tornLog(t, dir)
	log := filepath.Join(dir, logName)
	for cut := lastStart; cut < len(data); cut++ {
		t.Run(fmt.Sprintf("cut at %d of %d", cut, len(data)), func(t *testing.T) {
			if err := os.WriteFile(log, data[:cut], 0o600); err != nil {
				t.Fatal(err)
			}
			checkRecovers(t, dir, earlier, cut-lastStart)
		})
	}
}

func TestFileCorruptByteInLastRecord(t *testing.T) {
	dir := t.TempDir()
	data, lastStart, earlier := tornLog(t, dir)
	log := filepath.Join(dir, logName)
	for at := lastStart; at < len(data); at++ {
		t.Run(fmt.Sprintf("byte %d of %d", at, len(data)), func(t *testing.T) {
			bad := append([]byte(nil), data...)
			bad[at] ^= 0x5a
			if err := os.WriteFile(log, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			checkRecovers(t, dir, earlier, len(data)-lastStart)
		})
	}
}

// appendGroup appends one group write holding a record per element of recs,
// as the committer would write them, and returns where each record starts.
func appendGroup(buf []byte, recs ...[]Op) ([]byte, []int) {
	start := len(buf)
	var starts []int
	for _, ops := range recs {
		starts = append(starts, len(buf))
		var w recordWriter
		w.begin(buf, uint64(len(buf)-start))
		for _, op := range ops {
			w.add(op)
		}
		buf = w.finish()
	}
	return buf, starts
}

func put(id uint64, v string) []Op { return []Op{{Key: Key{Outbound, id}, Value: []byte(v)}} }

func TestFileRecoveryTellsTornFromDamaged(t *testing.T) {
	log := []byte(fileMagic)
	log, groupA := appendGroup(log, put(1, "durable one"), put(2, "durable two"))
	// The second record of the last group is atomic: a put and a delete.
	second := []Op{{Key: Key{Outbound, 4}, Value: []byte("last write, second")}, {Key: Key{Outbound, 1}, Delete: true}}
	log, groupB := appendGroup(log, put(3, "last write, first"), second, put(5, "last write, third"))
	zero := func(b []byte, from, n int) []byte {
		b = append([]byte(nil), b...)
		clear(b[from : from+n])
		return b
	}
	tests := []struct {
		name     string
		log      []byte
		want     []record // nil: Open must fail with ErrCorrupt
		wantTorn int
	}{
		{
			name: "hole in the last group write, later records of it intact",
			log:  zero(log, groupB[1]+10, 5),
			want: []record{
				{Key{Outbound, 1}, "durable one"}, {Key{Outbound, 2}, "durable two"},
				{Key{Outbound, 3}, "last write, first"},
			},
			wantTorn: len(log) - groupB[1],
		},
		{
			name: "last group write zeroed from its start",
			log:  zero(log, groupB[0], len(log)-groupB[0]),
			want: []record{
				{Key{Outbound, 1}, "durable one"}, {Key{Outbound, 2}, "durable two"},
			},
			wantTorn: len(log) - groupB[0],
		},
		{
			name: "damage in an earlier group write",
			log:  zero(log, groupA[1]+10, 3),
		},
		{
			name: "damage in the header of a durable record",
			log:  zero(log, groupA[0], 4),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, logName), tc.log, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir)
			if tc.want == nil {
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "move the directory") {
					t.Fatalf("Open of a log damaged before its last write returned %v, want ErrCorrupt saying what to do", err)
				}
				after, _ := os.ReadFile(filepath.Join(dir, logName))
				if string(after) != string(tc.log) {
					t.Fatal("Open changed a damaged log it refused")
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			sameRecords(t, loadAll(t, s), tc.want)
			if got := s.Stats().TornBytes; got != int64(tc.wantTorn) {
				t.Fatalf("Stats.TornBytes = %d, want %d", got, tc.wantTorn)
			}
		})
	}
}

func TestFileOpenChecksTheHeader(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantErr string
	}{
		{"empty file", "", ""},
		{"header cut short by a crash", fileMagic[:3], ""},
		{"another file", "hello, world", "is not an mqttkit session log"},
		{"another short file", "hi", "is not an mqttkit session log"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, logName), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Open returned %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			if err := s.Put(Key{Meta, MetaClientID}, []byte("c")).Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := loadAll(t, s); len(got) != 1 {
				t.Fatalf("loaded %v, want the one record put", got)
			}
		})
	}
}
