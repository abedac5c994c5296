package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrCorrupt is returned by Open when the log is damaged somewhere other than
// in its last, unfinished write, so that recovering would silently drop
// records that were durable.
var ErrCorrupt = errors.New("store: the session log is corrupt")

// Open opens the file store in dir, creating the directory if needed, and
// recovers the session it holds: it removes a compaction that a crash
// interrupted, reads every record, and drops a torn last write (a record cut
// short or failing its checksum), truncating the log so that new records
// follow the last intact one.
//
// The directory is locked for as long as the store is open: a second Open, in
// this process or another, fails with an error wrapping ErrLocked.
func Open(dir string, opts ...Option) (*File, error) {
	if dir == "" {
		return nil, errors.New("store: Open needs a session directory; pass a path such as \"./session\"")
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: cannot create session directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	f := &File{
		dir:     dir,
		path:    filepath.Join(dir, logName),
		opts:    o,
		lock:    lock,
		index:   make(map[Key]valLoc),
		group:   newCommit(),
		wake:    make(chan struct{}, 1),
		compact: make(chan chan error),
		done:    make(chan struct{}),
	}
	if err := f.recoverLog(); err != nil {
		if f.log != nil {
			err = errors.Join(err, f.log.Close())
		}
		return nil, errors.Join(err, unlockDir(lock))
	}
	go f.commitLoop()
	return f, nil
}

// recoverLog opens the log, indexes its records and cuts off a torn tail.
func (f *File) recoverLog() error {
	switch err := os.Remove(f.logPath(compactName)); {
	case err == nil:
		if err := syncDir(f.dir); err != nil {
			return fmt.Errorf("store: removing an interrupted compaction from %s: %w", f.dir, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store: removing an interrupted compaction from %s: %w", f.dir, err)
	}
	log, err := os.OpenFile(f.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("store: opening the session log: %w", err)
	}
	f.log = log
	st, err := log.Stat()
	if err != nil {
		return fmt.Errorf("store: opening the session log: %w", err)
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(log, data); err != nil {
		return fmt.Errorf("store: reading the session log %s: %w", f.path, err)
	}
	if len(data) < headerLen {
		return f.startLog(data)
	}
	if string(data[:headerLen]) != fileMagic {
		return fmt.Errorf("store: %s is not an mqttkit session log (it starts with %q); move it away or choose another directory", f.path, data[:min(len(data), headerLen)])
	}
	end := f.indexRecords(data)
	f.size = int64(end)
	if end == len(data) {
		return nil
	}
	if laterGroup(data[end:]) {
		return fmt.Errorf("%w: %s is damaged at byte %d, but records written after that are intact, so this is not a torn write from a crash and recovering would drop them; move the directory %s aside to start a new session, or restore it from a backup", ErrCorrupt, f.path, end, f.dir)
	}
	f.tornTail = int64(len(data) - end)
	if err := log.Truncate(int64(end)); err != nil {
		return fmt.Errorf("store: cutting the torn tail off %s: %w", f.path, err)
	}
	if err := f.syncFile(f.log); err != nil {
		return fmt.Errorf("store: cutting the torn tail off %s: %w", f.path, err)
	}
	return nil
}

// startLog writes the header of a new log. data is what the file held: empty,
// or the start of a header whose creation a crash cut short.
func (f *File) startLog(data []byte) error {
	if string(data) != fileMagic[:len(data)] {
		return fmt.Errorf("store: %s is not an mqttkit session log (it starts with %q); move it away or choose another directory", f.path, data)
	}
	if err := f.log.Truncate(0); err != nil {
		return fmt.Errorf("store: creating the session log: %w", err)
	}
	if _, err := f.log.Write([]byte(fileMagic)); err != nil {
		return fmt.Errorf("store: creating the session log: %w", err)
	}
	if err := errors.Join(f.syncFile(f.log), syncDir(f.dir)); err != nil {
		return fmt.Errorf("store: creating the session log: %w", err)
	}
	f.size = int64(headerLen)
	return nil
}

// indexRecords indexes the records of data (a whole log) up to the first one
// that is incomplete or damaged, and returns where that one starts.
func (f *File) indexRecords(data []byte) int {
	off := headerLen
	var ops []decodedOp
	for {
		body, ok := checkRecord(data[off:])
		if !ok {
			return off
		}
		var err error
		if ops, err = decodeBody(body, ops[:0]); err != nil {
			return off
		}
		for _, op := range ops {
			f.indexOp(op.key, op.delete, valLoc{off: int64(off + op.valuePos), n: uint32(op.valueLen), entry: uint32(op.entry)})
		}
		off += recordHeader + len(body)
	}
}

// laterGroup reports whether tail, the log from its first bad record to its
// end, holds an intact record of a group write that began after that bad
// record. Group writes follow each other only after an fsync, so such a
// record proves that the bad one was durable: it was damaged, not torn.
func laterGroup(tail []byte) bool {
	for p := 1; p+recordHeader+minBody <= len(tail); p++ {
		body, ok := checkRecord(tail[p:])
		if !ok {
			continue
		}
		// The record's group began groupOff bytes before it: after
		// the bad record unless groupOff reaches back to it.
		if groupOff, n := binary.Uvarint(body); n > 0 && groupOff < uint64(p) {
			return true
		}
	}
	return false
}
