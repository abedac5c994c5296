package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpenAfterDurableRecords appends arbitrary bytes to a log of durable
// records and opens it. Open must not panic, must not change the durable
// part, and must either refuse with ErrCorrupt or give a store that takes new
// records and reopens to the same state.
func FuzzOpenAfterDurableRecords(f *testing.F) {
	durable := []byte(fileMagic)
	durable, _ = appendGroup(durable, put(1, "one"))
	durable, _ = appendGroup(durable, put(2, "two"), []Op{{Key: Key{Outbound, 1}, Delete: true}})
	valid, _ := appendGroup(nil, put(3, "three"))
	f.Add([]byte{})
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add(append(bytes.Repeat([]byte{0}, 40), valid...))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, tail []byte) {
		dir := t.TempDir()
		log := filepath.Join(dir, logName)
		if err := os.WriteFile(log, append(durable[:len(durable):len(durable)], tail...), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir)
		if errors.Is(err, ErrCorrupt) {
			return
		}
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		before := loadAll(t, s)
		if err := s.Put(Key{Meta, MetaClientID}, []byte("after")).Wait(context.Background()); err != nil {
			t.Fatalf("Put: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		data, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, durable) {
			t.Fatal("recovery changed records that were durable")
		}
		s, err = Open(dir)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer s.Close()
		after := loadAll(t, s)
		if len(after) == 0 || after[0] != (record{Key{Meta, MetaClientID}, "after"}) {
			t.Fatalf("the record put after recovery is missing: %v", after)
		}
		var rest []record
		for _, r := range before {
			if r.key != (Key{Meta, MetaClientID}) {
				rest = append(rest, r)
			}
		}
		sameRecords(t, after[1:], rest)
	})
}
