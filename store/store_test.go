package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// stores lists the implementations that must keep the Store contract.
var stores = []struct {
	name string
	open func(t *testing.T) Store
}{
	{"memory", func(t *testing.T) Store { return NewMemory() }},
	{"file", func(t *testing.T) Store { return openFile(t, t.TempDir()) }},
}

// openFile opens a file store in dir and closes it when the test ends.
func openFile(t *testing.T, dir string, opts ...Option) *File {
	t.Helper()
	f, err := Open(dir, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// record is one loaded key and value.
type record struct {
	key   Key
	value string
}

// loadAll returns every record of s in the order Load gives them.
func loadAll(t *testing.T, s Store) []record {
	t.Helper()
	var got []record
	if err := s.Load(func(k Key, v []byte) error {
		got = append(got, record{k, string(v)})
		return nil
	}); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return got
}

// sameRecords fails the test unless got equals want.
func sameRecords(t *testing.T, got, want []record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("loaded %d records, want %d:\ngot  %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("record %d is %v, want %v", i, got[i], want[i])
		}
	}
}

func TestStoreContract(t *testing.T) {
	ctx := context.Background()
	for _, impl := range stores {
		t.Run(impl.name, func(t *testing.T) {
			t.Run("put delete load in key order", func(t *testing.T) {
				s := impl.open(t)
				puts := []record{
					{Key{Outbound, 7}, "publish 7"},
					{Key{Meta, MetaClientID}, "client-1"},
					{Key{InboundQoS2, 3}, ""},
					{Key{Outbound, 2}, "publish 2"},
					{Key{Subscription, 1}, "sub 1"},
					{Key{Outbound, 300}, "publish 300"},
				}
				for _, r := range puts {
					if err := s.Put(r.key, []byte(r.value)).Wait(ctx); err != nil {
						t.Fatalf("Put(%v): %v", r.key, err)
					}
				}
				if err := s.Delete(Key{Outbound, 7}).Wait(ctx); err != nil {
					t.Fatalf("Delete: %v", err)
				}
				if err := s.Delete(Key{Outbound, 99}).Wait(ctx); err != nil {
					t.Fatalf("Delete of an absent key: %v", err)
				}
				if err := s.Put(Key{Outbound, 2}, []byte("pubrel 2")).Wait(ctx); err != nil {
					t.Fatalf("Put replacing: %v", err)
				}
				sameRecords(t, loadAll(t, s), []record{
					{Key{Meta, MetaClientID}, "client-1"},
					{Key{Outbound, 2}, "pubrel 2"},
					{Key{Outbound, 300}, "publish 300"},
					{Key{InboundQoS2, 3}, ""},
					{Key{Subscription, 1}, "sub 1"},
				})
			})
			t.Run("apply is atomic and ordered", func(t *testing.T) {
				s := impl.open(t)
				first := s.Apply(Op{Key: Key{Outbound, 1}, Value: []byte("a")}, Op{Key: Key{Outbound, 2}, Value: []byte("b")})
				last := s.Apply(Op{Key: Key{Outbound, 1}, Delete: true}, Op{Key: Key{Outbound, 3}, Value: []byte("c")})
				if err := last.Wait(ctx); err != nil {
					t.Fatalf("Wait: %v", err)
				}
				select {
				case <-first.Done():
				default:
					t.Fatal("a later commit completed before an earlier one")
				}
				if err := first.Err(); err != nil {
					t.Fatalf("first commit: %v", err)
				}
				sameRecords(t, loadAll(t, s), []record{{Key{Outbound, 2}, "b"}, {Key{Outbound, 3}, "c"}})
			})
			t.Run("apply without ops waits for everything before it", func(t *testing.T) {
				s := impl.open(t)
				for round := range 3 {
					var before []*Commit
					for i := range 10 * round {
						before = append(before, s.Put(Key{Outbound, uint64(i)}, []byte("m")))
					}
					if err := s.Apply().Wait(ctx); err != nil {
						t.Fatalf("barrier: %v", err)
					}
					for i, c := range before {
						select {
						case <-c.Done():
						default:
							t.Fatalf("round %d: change %d is not durable after the barrier", round, i)
						}
					}
				}
				if got := len(loadAll(t, s)); got != 20 {
					t.Fatalf("an empty Apply changed the records: %d loaded, want 20", got)
				}
			})
			t.Run("put and apply copy values", func(t *testing.T) {
				s := impl.open(t)
				buf := []byte("original")
				s.Put(Key{Outbound, 1}, buf)
				copy(buf, "CHANGED!")
				c := s.Apply(Op{Key: Key{Outbound, 2}, Value: buf})
				copy(buf, "AGAIN!!!")
				if err := c.Wait(ctx); err != nil {
					t.Fatalf("Wait: %v", err)
				}
				sameRecords(t, loadAll(t, s), []record{{Key{Outbound, 1}, "original"}, {Key{Outbound, 2}, "CHANGED!"}})
			})
			t.Run("load stops at the callback's error", func(t *testing.T) {
				s := impl.open(t)
				for i := range 3 {
					if err := s.Put(Key{Outbound, uint64(i)}, []byte("x")).Wait(ctx); err != nil {
						t.Fatalf("Put: %v", err)
					}
				}
				stop := errors.New("stop")
				calls := 0
				err := s.Load(func(Key, []byte) error { calls++; return stop })
				if !errors.Is(err, stop) || calls != 1 {
					t.Fatalf("Load returned %v after %d calls, want the callback's error after 1", err, calls)
				}
			})
			t.Run("bad ops are refused whole", func(t *testing.T) {
				s := impl.open(t)
				err := s.Apply(Op{Key: Key{Outbound, 1}, Value: []byte("ok")}, Op{Key: Key{ID: 5}, Value: []byte("x")}).Wait(ctx)
				if err == nil || !strings.Contains(err.Error(), "Kind 0") {
					t.Fatalf("Apply with Kind 0 returned %v, want an error naming Kind 0", err)
				}
				if got := loadAll(t, s); len(got) != 0 {
					t.Fatalf("a refused Apply left records: %v", got)
				}
			})
			t.Run("calls after close fail with ErrClosed", func(t *testing.T) {
				s := impl.open(t)
				if err := s.Put(Key{Outbound, 1}, []byte("kept")).Wait(ctx); err != nil {
					t.Fatalf("Put: %v", err)
				}
				if err := s.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				if err := s.Put(Key{Outbound, 2}, nil).Wait(ctx); !errors.Is(err, ErrClosed) {
					t.Fatalf("Put after Close returned %v, want ErrClosed", err)
				}
				if err := s.Load(func(Key, []byte) error { return nil }); !errors.Is(err, ErrClosed) {
					t.Fatalf("Load after Close returned %v, want ErrClosed", err)
				}
				if err := s.Close(); err != nil {
					t.Fatalf("second Close: %v", err)
				}
			})
		})
	}
}

func TestCommitWaitGivesUpOnContext(t *testing.T) {
	c := newCommit()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on a pending commit with a cancelled context returned %v", err)
	}
	if c.Err() != nil {
		t.Fatalf("Err of a pending commit is %v, want nil", c.Err())
	}
	boom := errors.New("disk on fire")
	c.finish(boom)
	if err := c.Wait(ctx); !errors.Is(err, boom) {
		t.Fatalf("Wait on a failed commit returned %v, want its error even with a cancelled context", err)
	}
}

// valueFor is the value the tests store under id, so that a loaded record can
// be checked without remembering what was written.
func valueFor(id uint64, size int) []byte {
	v := bytes.Repeat([]byte{byte(id)}, size)
	copy(v, fmt.Sprintf("v%d:", id))
	return v
}

// String shows a record's value quoted, so that a failure shows its bytes.
func (r record) String() string { return fmt.Sprintf("%v=%q", r.key, r.value) }
