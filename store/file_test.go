package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestFileReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var want []record
	for id := uint64(1); id <= 50; id++ {
		if err := s.Put(Key{Outbound, id}, valueFor(id, 100)).Wait(ctx); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	// An empty Apply (a barrier) must leave nothing in the log that a
	// reopen would stumble over.
	if err := s.Apply().Wait(ctx); err != nil {
		t.Fatalf("barrier: %v", err)
	}
	for id := uint64(1); id <= 50; id++ {
		if id%3 == 0 {
			if err := s.Delete(Key{Outbound, id}).Wait(ctx); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			continue
		}
		want = append(want, record{Key{Outbound, id}, string(valueFor(id, 100))})
	}
	// Changes applied but not waited for must be durable after Close too.
	s.Put(Key{Meta, MetaClientID}, []byte("auto-42"))
	want = append([]record{{Key{Meta, MetaClientID}, "auto-42"}}, want...)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for round := range 2 {
		s := openFile(t, dir)
		sameRecords(t, loadAll(t, s), want)
		if st := s.Stats(); st.TornBytes != 0 || st.LiveRecords != len(want) {
			t.Fatalf("round %d: stats after a clean reopen: %+v", round, st)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

func TestFileConcurrentPutsShareFsyncs(t *testing.T) {
	const writers, perWriter = 64, 40
	ctx := context.Background()
	dir := t.TempDir()
	// A small compaction threshold makes compactions run among the writers.
	s, err := Open(dir, WithCompaction(4<<10, 0.5))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				id := uint64(w*perWriter + i)
				if err := s.Put(Key{Outbound, id}, valueFor(id, 100)).Wait(ctx); err != nil {
					errs <- err
					return
				}
				if i%2 == 1 { // a QoS 1 lifecycle: half are acknowledged
					if err := s.Delete(Key{Outbound, id}).Wait(ctx); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	// Loads run among the writers and must see consistent values, whether
	// they come from the pending buffer, the buffer being written or the file.
	wg.Go(func() {
		for range 20 {
			err := s.Load(func(k Key, v []byte) error {
				if !bytes.Equal(v, valueFor(k.ID, 100)) {
					return fmt.Errorf("key %v loaded %q", k, v)
				}
				return nil
			})
			if err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Ops != writers*perWriter*3/2 {
		t.Fatalf("Stats.Ops = %d, want %d", st.Ops, writers*perWriter*3/2)
	}
	if st.Syncs >= st.Ops {
		t.Fatalf("%d fsyncs for %d concurrent ops: group commit did not share any", st.Syncs, st.Ops)
	}
	if st.Compactions == 0 {
		t.Fatalf("no compaction ran; stats %+v", st)
	}
	t.Logf("%d ops, %d fsyncs, %d compactions", st.Ops, st.Syncs, st.Compactions)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	var want []record
	for id := range uint64(writers * perWriter) {
		if id%perWriter%2 == 0 {
			want = append(want, record{Key{Outbound, id}, string(valueFor(id, 100))})
		}
	}
	sameRecords(t, loadAll(t, openFile(t, dir)), want)
}

func TestFileWriteFailureStopsTheStore(t *testing.T) {
	ctx := context.Background()
	s := openFile(t, t.TempDir())
	if err := s.Put(Key{Outbound, 1}, []byte("durable")).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	// Close the log under the committer, as a dying disk would fail it.
	s.mu.Lock()
	s.log.Close()
	s.mu.Unlock()
	err := s.Put(Key{Outbound, 2}, []byte("lost")).Wait(ctx)
	if err == nil || !strings.Contains(err.Error(), "reopen") {
		t.Fatalf("Put on a failed log returned %v, want an error saying to reopen", err)
	}
	if err2 := s.Put(Key{Outbound, 3}, []byte("refused")).Wait(ctx); err2 == nil || err2.Error() != err.Error() {
		t.Fatalf("Put after a failure returned %v, want the first failure %v", err2, err)
	}
	if err := s.Close(); err == nil {
		t.Fatal("Close after a write failure returned nil, want the failure")
	}
}

func TestFileCloseRacingWriters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	const writers, beforeClose = 8, 300
	var wg sync.WaitGroup
	durable := make([][]uint64, writers)
	var done atomic.Int64
	ready := make(chan struct{}) // closed once beforeClose puts completed
	for w := range writers {
		wg.Go(func() {
			for i := range uint64(100000) { // bounded; Close stops it far sooner
				id := uint64(w)<<32 | i
				err := s.Put(Key{Outbound, id}, valueFor(id, 20)).Wait(ctx)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("Put: %v", err)
					return
				}
				durable[w] = append(durable[w], id)
				if done.Add(1) == beforeClose {
					close(ready)
				}
			}
		})
	}
	exited := make(chan struct{})
	go func() { wg.Wait(); close(exited) }()
	select {
	case <-ready:
	case <-exited:
		t.Fatal("every writer stopped before Close")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close among writers: %v", err)
	}
	<-exited
	loaded := map[uint64]bool{}
	for _, r := range loadAll(t, openFile(t, dir)) {
		loaded[r.key.ID] = true
	}
	n := 0
	for _, ids := range durable {
		for _, id := range ids {
			if !loaded[id] {
				t.Fatalf("id %x was durable before Close but is gone after reopen", id)
			}
			n++
		}
	}
	t.Logf("%d puts completed before Close; all loaded", n)
}
