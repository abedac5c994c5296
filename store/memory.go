package store

import (
	"slices"
	"sync"
)

// Memory is a Store that keeps the session in memory: it survives reconnects
// but not the end of the process. It is the client's default because it
// needs no directory and costs no disk writes.
type Memory struct {
	mu     sync.Mutex
	recs   map[Key][]byte
	closed bool
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{recs: make(map[Key][]byte)} }

// Apply applies ops at once; the returned Commit is already complete.
func (m *Memory) Apply(ops ...Op) *Commit { return m.apply(ops) }

// apply is Apply for a slice that does not escape.
func (m *Memory) apply(ops []Op) *Commit {
	if err := checkOps(ops); err != nil {
		return failedCommit(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return failedCommit(ErrClosed)
	}
	for _, op := range ops {
		if op.Delete {
			delete(m.recs, op.Key)
			continue
		}
		m.recs[op.Key] = slices.Clone(op.Value)
	}
	return doneCommit
}

// Put stores a copy of value under key.
func (m *Memory) Put(key Key, value []byte) *Commit {
	ops := [1]Op{{Key: key, Value: value}}
	return m.apply(ops[:])
}

// Delete removes key.
func (m *Memory) Delete(key Key) *Commit {
	ops := [1]Op{{Key: key, Delete: true}}
	return m.apply(ops[:])
}

// Load calls fn for every record in key order, with a copy of its value.
func (m *Memory) Load(fn func(key Key, value []byte) error) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	keys := make([]Key, 0, len(m.recs))
	for k := range m.recs {
		keys = append(keys, k)
	}
	vals := make([][]byte, len(keys))
	slices.SortFunc(keys, compareKeys)
	for i, k := range keys {
		vals[i] = slices.Clone(m.recs[k])
	}
	m.mu.Unlock()
	for i, k := range keys {
		if err := fn(k, vals[i]); err != nil {
			return err
		}
	}
	return nil
}

// Close makes later calls fail with ErrClosed.
func (m *Memory) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	return nil
}
