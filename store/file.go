package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
)

// logName is the log's file name inside the session directory; compaction
// writes compactName next to it and renames it over the log.
const (
	logName     = "session.log"
	compactName = "session.log.compact"
)

// File is a Store that keeps the session in a directory, in an append-only
// log. Every change is encoded into memory by Apply; one committer goroutine
// writes all changes that are waiting and fsyncs them once (group commit), so
// many concurrent publishers share one disk flush.
//
// After a write or fsync error the store refuses all further changes (the
// state of the page cache is unknown after a failed fsync): Close it and Open
// it again to continue from the last durable state.
type File struct {
	dir  string
	path string
	opts options
	lock *os.File

	syncs atomic.Int64 // fsyncs of the log, for Stats

	mu       sync.Mutex
	log      *os.File       // written and replaced only by the committer goroutine
	index    map[Key]valLoc // live records
	live     int64          // encoded bytes of the live records' ops
	size     int64          // end of the log once pending is written
	pending  []byte         // records applied but not yet handed to the committer
	group    *Commit        // completes when pending is durable
	inflight []byte         // records the committer is writing now
	inBase   int64          // file offset of inflight
	inGroup  *Commit        // completes when inflight is durable
	spare    []byte         // the committer's buffer for the next pending
	err      error          // sticky: set by the first write, fsync or compaction failure
	closed   bool
	ops      int64
	compacts int64
	retryAt  int64 // no automatic compaction before size reaches this after a failure
	compErr  error // the last compaction's failure, nil after a success
	tornTail int64 // bytes dropped from the end of the log by Open

	wake    chan struct{}   // capacity 1: pending has records
	compact chan chan error // Compact's requests to the committer
	done    chan struct{}   // closed when the committer has stopped
}

var _ Store = (*File)(nil)

// valLoc locates a live value in the log.
type valLoc struct {
	off   int64  // file offset of the value
	n     uint32 // value length
	entry uint32 // encoded size of the op that put it
}

// Put encodes the change into the pending group and returns that group's
// Commit.
func (f *File) Put(key Key, value []byte) *Commit {
	ops := [1]Op{{Key: key, Value: value}}
	return f.apply(ops[:])
}

// Delete encodes the removal into the pending group and returns that group's
// Commit.
func (f *File) Delete(key Key) *Commit {
	ops := [1]Op{{Key: key, Delete: true}}
	return f.apply(ops[:])
}

// Apply encodes ops as one record into the pending group and returns that
// group's Commit.
func (f *File) Apply(ops ...Op) *Commit { return f.apply(ops) }

// apply is Apply for a slice that does not escape.
func (f *File) apply(ops []Op) *Commit {
	if err := checkOps(ops); err != nil {
		return failedCommit(err)
	}
	if recordSize(ops) > maxBody {
		return failedCommit(fmt.Errorf("store: %d ops in one Apply add up to more than %d bytes; apply them in smaller groups", len(ops), maxBody))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return failedCommit(ErrClosed)
	}
	if f.err != nil {
		return failedCommit(f.err)
	}
	if len(ops) == 0 {
		return f.barrier()
	}
	var w recordWriter
	recOff := f.size
	w.begin(f.pending, uint64(len(f.pending)))
	for _, op := range ops {
		pos, entry := w.add(op)
		f.indexOp(op.Key, op.Delete, valLoc{off: recOff + int64(pos), n: uint32(len(op.Value)), entry: uint32(entry)})
	}
	f.pending = w.finish()
	f.size = recOff + int64(len(f.pending)-w.start)
	f.ops += int64(len(ops))
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return f.group
}

// barrier returns the Commit of the last change applied so far, for an
// Apply without ops: it completes when everything before it is durable. f.mu
// is held.
func (f *File) barrier() *Commit {
	switch {
	case len(f.pending) > 0:
		return f.group
	case f.inGroup != nil:
		return f.inGroup
	}
	return doneCommit
}

// indexOp records the effect of one op on the live set; f.mu is held (or the
// store is not shared yet, during Open).
func (f *File) indexOp(key Key, del bool, loc valLoc) {
	if old, ok := f.index[key]; ok {
		f.live -= int64(old.entry)
	}
	if del {
		delete(f.index, key)
		return
	}
	f.index[key] = loc
	f.live += int64(loc.entry)
}

// Load calls fn for every live record in key order, including changes that
// are not durable yet.
func (f *File) Load(fn func(key Key, value []byte) error) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return ErrClosed
	}
	keys := make([]Key, 0, len(f.index))
	total := 0
	for k, loc := range f.index {
		keys = append(keys, k)
		total += int(loc.n)
	}
	slices.SortFunc(keys, compareKeys)
	data := make([]byte, 0, total)
	ends := make([]int, len(keys))
	for i, k := range keys {
		var err error
		if data, err = f.appendValue(data, f.index[k]); err != nil {
			f.mu.Unlock()
			return err
		}
		ends[i] = len(data)
	}
	f.mu.Unlock()
	start := 0
	for i, k := range keys {
		if err := fn(k, data[start:ends[i]:ends[i]]); err != nil {
			return err
		}
		start = ends[i]
	}
	return nil
}

// appendValue appends the value at loc to dst, reading it from the pending
// buffer, the buffer being written or the file; f.mu is held.
func (f *File) appendValue(dst []byte, loc valLoc) ([]byte, error) {
	end := loc.off + int64(loc.n)
	if base := f.size - int64(len(f.pending)); loc.off >= base {
		return append(dst, f.pending[loc.off-base:end-base]...), nil
	}
	if f.inflight != nil && loc.off >= f.inBase {
		return append(dst, f.inflight[loc.off-f.inBase:end-f.inBase]...), nil
	}
	n := len(dst)
	dst = slices.Grow(dst, int(loc.n))[:n+int(loc.n)]
	if _, err := f.log.ReadAt(dst[n:], loc.off); err != nil {
		return dst[:n], fmt.Errorf("store: reading a record from %s at byte %d: %w", f.path, loc.off, err)
	}
	return dst, nil
}

// Close waits until every change applied before it is durable, stops the
// committer, closes the log and releases the directory lock. It returns the
// error that stopped the store, if one did. Closing twice is harmless.
func (f *File) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
	<-f.done
	f.mu.Lock()
	defer f.mu.Unlock()
	return errors.Join(f.err, f.log.Close(), unlockDir(f.lock))
}

// Stats describes a file store's work so far, for metrics and tests.
type Stats struct {
	Ops         int64 // ops applied since Open
	Syncs       int64 // fsyncs of the log: fewer than Ops when group commit shares them
	Compactions int64 // rewrites of the log since Open
	LiveRecords int   // records Load would return
	LiveBytes   int64 // encoded size of those records
	LogBytes    int64 // size of the log, counting changes not yet written
	TornBytes   int64 // bytes of a torn last write dropped by Open
	// CompactionErr is the last compaction's failure, nil once one
	// succeeds. A failed compaction loses nothing (the log is unchanged)
	// and is retried, but the log keeps growing until one succeeds.
	CompactionErr error
}

// Stats returns a snapshot of the store's counters.
func (f *File) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Stats{
		Ops:         f.ops,
		Syncs:       f.syncs.Load(),
		Compactions: f.compacts,
		LiveRecords: len(f.index),
		LiveBytes:   f.live,
		LogBytes:    f.size,
		TornBytes:   f.tornTail,

		CompactionErr: f.compErr,
	}
}

// syncDir makes a rename or a file creation in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// logPath returns the path of file name in the session directory.
func (f *File) logPath(name string) string { return filepath.Join(f.dir, name) }
