package store

import (
	"fmt"
	"os"
)

// maxSpare bounds the buffer the committer keeps for reuse, so that one huge
// value does not pin its memory for the life of the store.
const maxSpare = 4 << 20

// commitLoop is the committer goroutine: it takes everything applied since
// its last write, writes it with one write and one fsync, completes the
// group's Commit, and compacts when the log has become mostly dead. Writers
// that arrive during an fsync form the next group.
func (f *File) commitLoop() {
	defer close(f.done)
	var spare []byte
	for {
		f.mu.Lock()
		if len(f.pending) == 0 {
			closing := f.closed
			f.mu.Unlock()
			if closing {
				return
			}
			select {
			case <-f.wake:
			case reply := <-f.compact:
				reply <- f.runCompaction()
			}
			continue
		}
		buf, group, failed := f.pending, f.group, f.err
		f.pending, f.group = spare[:0], newCommit()
		f.inflight, f.inBase, f.inGroup = buf, f.size-int64(len(buf)), group
		f.mu.Unlock()

		err := failed
		if err == nil {
			err = f.writeGroup(buf)
		}

		f.mu.Lock()
		f.inflight, f.inGroup = nil, nil
		if err != nil && f.err == nil {
			f.err = err
		}
		f.mu.Unlock()
		group.finish(err)

		if cap(buf) <= maxSpare {
			spare = buf
		} else {
			spare = nil
		}
		f.maybeCompact()
		select {
		case reply := <-f.compact:
			reply <- f.runCompaction()
		default:
		}
	}
}

// writeGroup appends buf to the log and fsyncs it.
func (f *File) writeGroup(buf []byte) error {
	if _, err := f.log.Write(buf); err != nil {
		return fmt.Errorf("store: writing to %s failed (%w); the store accepts no more changes: fix the disk, then close and reopen it", f.path, err)
	}
	if err := f.sync(); err != nil {
		return fmt.Errorf("store: fsync of %s failed (%w); the store accepts no more changes: fix the disk, then close and reopen it", f.path, err)
	}
	return nil
}

// sync fsyncs the log and counts it.
func (f *File) sync() error { return f.syncFile(f.log) }

// syncFile fsyncs file and counts it in Stats.Syncs.
func (f *File) syncFile(file *os.File) error {
	f.syncs.Add(1)
	return file.Sync()
}
