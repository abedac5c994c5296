package store

import (
	"fmt"
	"os"
)

// maxSpare bounds the buffer the committer keeps for reuse, so that one huge
// value does not pin its memory for the life of the store.
const maxSpare = 4 << 20

// commitLoop is the committer goroutine: it takes everything applied since
// its last write as one group, makes it durable with one write and one fsync
// (or as part of a compaction), and completes the group's Commit. Writers
// that arrive meanwhile form the next group.
func (f *File) commitLoop() {
	defer close(f.done)
	for {
		f.mu.Lock()
		idle, closing := len(f.pending) == 0, f.closed
		f.mu.Unlock()
		switch {
		case idle && closing:
			return
		case idle:
			select {
			case <-f.wake:
			case reply := <-f.compact:
				reply <- f.flush(true)
			}
			continue
		}
		select {
		case reply := <-f.compact:
			reply <- f.flush(true)
		default:
			// A write failure is sticky and reaches the writers through
			// their Commit; a compaction failure is in Stats and retried.
			_ = f.flush(f.compactionDue())
		}
	}
}

// flush takes every change applied so far as one group and makes it durable:
// appended to the log, or, with compact, as part of a compacted log that
// replaces it (falling back to appending if the compaction fails). It
// returns the compaction's error if there was one, else the group's.
func (f *File) flush(compact bool) error {
	f.mu.Lock()
	buf, group, err := f.pending, f.group, f.err
	base := f.size - int64(len(buf))
	f.pending, f.group = f.spare[:0], newCommit()
	f.inflight, f.inBase, f.inGroup = buf, base, group
	var snap []liveRecord
	compact = compact && err == nil
	if compact {
		snap = f.snapshot()
	}
	f.mu.Unlock()

	var compErr error
	written := false
	if compact {
		written, compErr = f.compactWith(buf, base, snap)
		if written {
			err = compErr // the rename happened but may not be durable
		}
	}
	if err == nil && !written && len(buf) > 0 {
		err = f.writeGroup(buf)
	}

	f.mu.Lock()
	f.inflight, f.inGroup = nil, nil
	if err != nil && f.err == nil {
		f.err = err
	}
	if compact {
		f.compErr, f.retryAt = compErr, 0
		if compErr != nil {
			f.retryAt = f.size + f.opts.compactMin
		}
	}
	f.spare = nil
	if cap(buf) <= maxSpare {
		f.spare = buf
	}
	f.mu.Unlock()
	group.finish(err)
	if compErr != nil {
		return compErr
	}
	return err
}

// writeGroup appends buf to the log and fsyncs it.
func (f *File) writeGroup(buf []byte) error {
	if _, err := f.log.Write(buf); err != nil {
		return fmt.Errorf("store: writing to %s failed (%w); the store accepts no more changes: fix the disk, then close and reopen it", f.path, err)
	}
	if err := f.syncFile(f.log); err != nil {
		return fmt.Errorf("store: fsync of %s failed (%w); the store accepts no more changes: fix the disk, then close and reopen it", f.path, err)
	}
	return nil
}

// syncFile fsyncs file and counts it in Stats.Syncs.
func (f *File) syncFile(file *os.File) error {
	f.syncs.Add(1)
	return file.Sync()
}
