package store

import (
	"errors"
	"fmt"
	"os"
	"slices"
)

// compactRecord is the body size at which compaction starts a new record, and
// compactFlush the buffered size at which it writes; both keep its memory use
// small whatever the size of the session.
const (
	compactRecord = 256 << 10
	compactFlush  = 1 << 20
)

// Compact rewrites the log so that it holds only the live records, and makes
// every change applied before it durable. The store compacts by itself (see
// WithCompaction); Compact is for a caller that wants the smallest file now,
// for example before copying the directory.
func (f *File) Compact() error {
	reply := make(chan error, 1)
	select {
	case f.compact <- reply:
		return <-reply
	case <-f.done:
		return ErrClosed
	}
}

// maybeCompact compacts when the dead records pass the thresholds of
// WithCompaction; it runs on the committer goroutine.
func (f *File) maybeCompact() {
	f.mu.Lock()
	dead := f.size - int64(headerLen) - f.live
	want := f.err == nil && f.size >= f.retryAt &&
		dead >= f.opts.compactMin && float64(dead) > f.opts.compactRatio*float64(f.live)
	f.mu.Unlock()
	if want {
		// A failure leaves the log as it was and is retried after
		// compactMin more bytes; runCompaction arranges that.
		_ = f.runCompaction()
	}
}

// runCompaction compacts the log on the committer goroutine, so no group
// write is in flight. It holds f.mu throughout: Apply waits for it.
func (f *File) runCompaction() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	err := f.compactLocked()
	f.compErr = err
	f.retryAt = 0
	if err != nil {
		f.retryAt = f.size + f.opts.compactMin
	}
	return err
}

// compactLocked writes the live records, including those still pending, to
// a new file, fsyncs it and renames it over the log. A crash before the
// rename leaves the old log and a partial compactName that Open removes; a
// crash after it leaves the complete new log.
func (f *File) compactLocked() error {
	tmpPath := f.logPath(compactName)
	tmp, err := os.OpenFile(tmpPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("store: compacting %s: %w; the log is unchanged", f.path, err)
	}
	index, live, size, err := f.writeLive(tmp)
	if err == nil {
		err = f.syncFile(tmp)
	}
	if err == nil {
		err = os.Rename(tmpPath, f.path)
	}
	if err != nil {
		return errors.Join(
			fmt.Errorf("store: compacting %s: %w; the log is unchanged", f.path, err),
			tmp.Close(), os.Remove(tmpPath))
	}
	// The new file is the log now, whatever happens next.
	old := f.log
	f.log, f.index, f.live, f.size = tmp, index, live, size
	f.pending = f.pending[:0]
	f.group.finish(nil)
	f.group = newCommit()
	f.compacts++
	if err := errors.Join(old.Close(), syncDir(f.dir)); err != nil {
		f.err = fmt.Errorf("store: compacted %s but could not make the rename durable (%w); the store accepts no more changes: close and reopen it", f.path, err)
		return f.err
	}
	return nil
}

// writeLive writes a log holding the live records to tmp, in key order, and
// returns its index, live byte count and size.
func (f *File) writeLive(tmp *os.File) (map[Key]valLoc, int64, int64, error) {
	keys := make([]Key, 0, len(f.index))
	for k := range f.index {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)

	index := make(map[Key]valLoc, len(keys))
	var live, written int64
	buf := append(make([]byte, 0, compactFlush+compactRecord), fileMagic...)
	var w recordWriter
	var val []byte
	open := false
	for _, k := range keys {
		loc := f.index[k]
		var err error
		if val, err = f.appendValue(val[:0], loc); err != nil {
			return nil, 0, 0, err
		}
		if open && len(w.buf)-w.start+len(val) > compactRecord {
			buf, open = w.finish(), false
		}
		if !open {
			if len(buf) >= compactFlush {
				if _, err := tmp.Write(buf); err != nil {
					return nil, 0, 0, err
				}
				written += int64(len(buf))
				buf = buf[:0]
			}
			// Group offset 0: each compacted record counts as durable on
			// its own, so damage inside the compacted log is never
			// mistaken for a torn write.
			w.begin(buf, 0)
			open = true
		}
		pos, entry := w.add(Op{Key: k, Value: val})
		index[k] = valLoc{off: written + int64(w.start) + int64(pos), n: loc.n, entry: uint32(entry)}
		live += int64(entry)
	}
	if open {
		buf = w.finish()
	}
	if _, err := tmp.Write(buf); err != nil {
		return nil, 0, 0, err
	}
	return index, live, written + int64(len(buf)), nil
}
