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

// compactionDue reports whether the dead records have passed the thresholds
// of WithCompaction.
func (f *File) compactionDue() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	dead := f.size - int64(headerLen) - f.live
	return f.err == nil && f.size >= f.retryAt &&
		dead >= f.opts.compactMin && float64(dead) > f.opts.compactRatio*float64(f.live)
}

// liveRecord is one entry of the index, copied for a compaction.
type liveRecord struct {
	key Key
	loc valLoc
}

// snapshot copies the index; f.mu is held.
func (f *File) snapshot() []liveRecord {
	snap := make([]liveRecord, 0, len(f.index))
	for k, loc := range f.index {
		snap = append(snap, liveRecord{k, loc})
	}
	return snap
}

// compactWith writes the records of snap, the state including the group buf
// (which starts at file offset base and has not been written), to a new file,
// fsyncs it and renames it over the log, so that buf becomes durable with it.
// Apply goes on meanwhile: the records applied since are moved to the new
// file's numbering when it replaces the old one.
//
// A crash before the rename leaves the old log and a partial compactName that
// Open removes; after it, the complete new log. written reports whether the
// rename happened: if not, the log is unchanged and buf still has to be
// written. err is the compaction's failure.
func (f *File) compactWith(buf []byte, base int64, snap []liveRecord) (written bool, err error) {
	slices.SortFunc(snap, func(a, b liveRecord) int { return compareKeys(a.key, b.key) })
	tmpPath := f.logPath(compactName)
	tmp, err := os.OpenFile(tmpPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return false, fmt.Errorf("store: compacting %s: %w; the log is unchanged", f.path, err)
	}
	index, size, err := f.writeLive(tmp, snap, buf, base)
	if err == nil {
		err = f.syncFile(tmp)
	}
	if err == nil {
		err = os.Rename(tmpPath, f.path)
	}
	if err != nil {
		return false, errors.Join(
			fmt.Errorf("store: compacting %s: %w; the log is unchanged", f.path, err),
			tmp.Close(), os.Remove(tmpPath))
	}

	f.mu.Lock()
	old := f.log
	f.log = tmp
	f.renumber(index, size)
	f.inflight, f.inGroup = nil, nil // buf is in the new file now
	f.compacts++
	f.mu.Unlock()
	if err := errors.Join(old.Close(), syncDir(f.dir)); err != nil {
		return true, fmt.Errorf("store: compacted %s but could not make the rename durable (%w); the store accepts no more changes: close and reopen it", f.path, err)
	}
	return true, nil
}

// renumber points the index at the compacted log, whose records are in
// compacted and which is size bytes long, followed by the records applied
// during the compaction (still pending); f.mu is held.
func (f *File) renumber(compacted map[Key]valLoc, size int64) {
	pendBase := f.size - int64(len(f.pending))
	f.live = 0
	for k, loc := range f.index {
		if loc.off >= pendBase {
			loc.off += size - pendBase // applied during the compaction
		} else {
			loc = compacted[k] // unchanged since the snapshot
		}
		f.index[k] = loc
		f.live += int64(loc.entry)
	}
	f.size = size + int64(len(f.pending))
}

// writeLive writes a log holding the records of snap, in order, to tmp and
// returns its index and size. Values at or after base are read from buf, the
// others from the log.
func (f *File) writeLive(tmp *os.File, snap []liveRecord, buf []byte, base int64) (map[Key]valLoc, int64, error) {
	index := make(map[Key]valLoc, len(snap))
	var written int64
	out := append(make([]byte, 0, compactFlush+compactRecord), fileMagic...)
	var w recordWriter
	var val []byte
	open := false
	for _, r := range snap {
		loc := r.loc
		if loc.off >= base {
			val = append(val[:0], buf[loc.off-base:loc.off-base+int64(loc.n)]...)
		} else {
			val = slices.Grow(val[:0], int(loc.n))[:loc.n]
			if _, err := f.log.ReadAt(val, loc.off); err != nil {
				return nil, 0, fmt.Errorf("reading a record at byte %d: %w", loc.off, err)
			}
		}
		if open && len(w.buf)-w.start+len(val) > compactRecord {
			out, open = w.finish(), false
		}
		if !open {
			if len(out) >= compactFlush {
				if _, err := tmp.Write(out); err != nil {
					return nil, 0, err
				}
				written += int64(len(out))
				out = out[:0]
			}
			// Group offset 0: each compacted record counts as durable on
			// its own, so damage inside the compacted log is never
			// mistaken for a torn write.
			w.begin(out, 0)
			open = true
		}
		pos, entry := w.add(Op{Key: r.key, Value: val})
		index[r.key] = valLoc{off: written + int64(w.start) + int64(pos), n: loc.n, entry: uint32(entry)}
	}
	if open {
		out = w.finish()
	}
	if _, err := tmp.Write(out); err != nil {
		return nil, 0, err
	}
	return index, written + int64(len(out)), nil
}
