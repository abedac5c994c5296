package middleware

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func newTestStore(capacity int, ttl time.Duration) (*MemoryStore, *fakeClock) {
	s := NewMemoryStore(capacity, ttl)
	clk := newFakeClock()
	s.clock = clk
	return s, clk
}

func seen(t *testing.T, s *MemoryStore, key string) bool {
	t.Helper()
	ok, err := s.Seen(context.Background(), key)
	if err != nil {
		t.Fatalf("Seen(%q): %v", key, err)
	}
	return ok
}

func mark(t *testing.T, s *MemoryStore, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if err := s.Mark(context.Background(), k); err != nil {
			t.Fatalf("Mark(%q): %v", k, err)
		}
	}
}

func TestMemoryStoreEvictsLeastRecentlyUsed(t *testing.T) {
	s, _ := newTestStore(2, time.Hour)
	mark(t, s, "a", "b")
	if !seen(t, s, "a") { // a is now more recent than b
		t.Fatal("a not seen")
	}
	mark(t, s, "c")
	if seen(t, s, "b") {
		t.Error("b, the least recently used, was not evicted")
	}
	if !seen(t, s, "a") || !seen(t, s, "c") {
		t.Error("a or c evicted instead of b")
	}
	if n := s.Len(); n != 2 {
		t.Errorf("Len() = %d, want the capacity 2", n)
	}
}

func TestMemoryStoreTTL(t *testing.T) {
	s, clk := newTestStore(10, time.Minute)
	mark(t, s, "a")
	clk.Advance(time.Minute - time.Nanosecond)
	if !seen(t, s, "a") {
		t.Fatal("a expired before its ttl")
	}
	mark(t, s, "b")
	clk.Advance(time.Nanosecond)
	if seen(t, s, "a") {
		t.Error("a still seen at its ttl")
	}
	if !seen(t, s, "b") {
		t.Error("b expired early")
	}
	if n := s.Len(); n != 1 {
		t.Errorf("Len() = %d after a expired, want 1", n)
	}
	mark(t, s, "b") // marking again restarts the ttl
	clk.Advance(time.Minute - time.Nanosecond)
	if !seen(t, s, "b") {
		t.Error("re-marked b expired from its first mark")
	}
}

func TestMemoryStoreWithoutTTL(t *testing.T) {
	s, clk := newTestStore(1, 0)
	mark(t, s, "a")
	clk.Advance(1000 * time.Hour)
	if !seen(t, s, "a") {
		t.Fatal("a expired with ttl 0")
	}
	s2, _ := newTestStore(0, 0) // capacity below 1 means 1
	mark(t, s2, "a", "b")
	if seen(t, s2, "a") || !seen(t, s2, "b") || s2.Len() != 1 {
		t.Fatal("capacity 0 did not behave as 1")
	}
}

// Concurrent use is safe (-race) and memory stays bounded.
func TestMemoryStoreConcurrent(t *testing.T) {
	s := NewMemoryStore(50, time.Hour)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 500 {
				key := fmt.Sprint(w, "-", i%80)
				if _, err := s.Seen(context.Background(), key); err != nil {
					t.Error(err)
				}
				if err := s.Mark(context.Background(), key); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := s.Len(); n != 50 {
		t.Fatalf("Len() = %d, want the capacity 50", n)
	}
}
