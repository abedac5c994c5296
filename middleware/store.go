package middleware

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// MemoryStore is an in-process Store: it remembers up to a fixed number of
// keys, each for a fixed time, and forgets the least recently used key first
// when full. Its memory is bounded however many messages pass. It is safe for
// concurrent use.
type MemoryStore struct {
	capacity int
	ttl      time.Duration
	clock    clock

	mu    sync.Mutex
	order *list.List // of *memoryEntry, most recently used first
	keys  map[string]*list.Element
}

type memoryEntry struct {
	key    string
	marked time.Time
}

// NewMemoryStore returns a MemoryStore that holds at most capacity keys
// (values below 1 mean 1), each for ttl after it was marked (ttl <= 0: until
// evicted). Size capacity to the messages that can be redelivered within
// ttl: the in-flight window plus what the broker queues during an outage.
func NewMemoryStore(capacity int, ttl time.Duration) *MemoryStore {
	return &MemoryStore{
		capacity: max(capacity, 1),
		ttl:      ttl,
		clock:    wallClock{},
		order:    list.New(),
		keys:     make(map[string]*list.Element),
	}
}

// Seen reports whether key was marked less than ttl ago and not evicted.
func (s *MemoryStore) Seen(_ context.Context, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.keys[key]
	if !ok {
		return false, nil
	}
	if s.expired(e.Value.(*memoryEntry), s.clock.Now()) {
		s.remove(e)
		return false, nil
	}
	s.order.MoveToFront(e)
	return true, nil
}

// Mark records key as handled now, evicting the least recently used key
// when the store is full.
func (s *MemoryStore) Mark(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if e, ok := s.keys[key]; ok {
		e.Value.(*memoryEntry).marked = now
		s.order.MoveToFront(e)
		return nil
	}
	s.keys[key] = s.order.PushFront(&memoryEntry{key: key, marked: now})
	for s.order.Len() > s.capacity {
		s.remove(s.order.Back())
	}
	return nil
}

// Len returns the number of keys held, expired ones not yet dropped included.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}

func (s *MemoryStore) expired(e *memoryEntry, now time.Time) bool {
	return s.ttl > 0 && now.Sub(e.marked) >= s.ttl
}

func (s *MemoryStore) remove(e *list.Element) {
	s.order.Remove(e)
	delete(s.keys, e.Value.(*memoryEntry).key)
}
