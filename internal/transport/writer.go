package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mqttkit/mqttkit/packet"
)

// Writer owns the write side of one connection. Goroutines encode packets
// into its buffer with Append (no I/O, no allocation once the buffer has
// grown), and Run writes everything queued since its last write in one
// syscall: the more packets arrive while a write is in progress, the fewer
// syscalls per packet, and a lone packet is written at once.
type Writer struct {
	conn    net.Conn
	timeout time.Duration // per write; a stuck peer fails the connection

	mu     sync.Mutex
	buf    []byte // packets queued since the last write
	spare  []byte // the buffer being written, reused for the next round
	err    error  // why the writer stopped; Append fails with it
	closed bool

	kick      chan struct{} // a packet was queued
	done      chan struct{} // Close was called
	space     chan struct{} // the queue was taken by Run
	lastWrite atomic.Int64  // unix nanoseconds of the last completed write
	deadline  time.Time     // the write deadline set last; used only by Run
}

// ErrWriterClosed is returned by Append after Close or a failed write.
var ErrWriterClosed = errors.New("connection is closed")

// maxQueued bounds the bytes waiting in the buffer for WaitSpace callers.
const maxQueued = 1 << 20

// NewWriter returns a Writer for conn; each write must finish within timeout.
func NewWriter(conn net.Conn, timeout time.Duration) *Writer {
	w := &Writer{
		conn:    conn,
		timeout: timeout,
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		space:   make(chan struct{}, 1),
	}
	w.lastWrite.Store(time.Now().UnixNano())
	return w
}

// closedError is what Append returns once the writer stopped: always
// ErrWriterClosed (the caller sends again on the next connection), with the
// write error that stopped it, if any.
func closedError(err error) error {
	if err == nil {
		return ErrWriterClosed
	}
	return fmt.Errorf("%w: %v", ErrWriterClosed, err)
}

// TooLargeError reports a packet that exceeds the peer's Maximum Packet Size;
// it was not queued.
type TooLargeError struct {
	Type      packet.Type
	Size, Max int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s packet is %d bytes, over the server's Maximum Packet Size of %d bytes", e.Type, e.Size, e.Max)
}

// Append encodes p for version v onto the queue. A packet larger than max
// bytes (0: no limit) is not queued and returns *TooLargeError; an encoding
// error queues nothing either.
func (w *Writer) Append(p packet.Packet, v packet.Version, max uint32) error {
	w.mu.Lock()
	if w.err != nil || w.closed {
		err := w.err
		w.mu.Unlock()
		return closedError(err)
	}
	n0 := len(w.buf)
	buf, err := p.Append(w.buf, v)
	if err != nil {
		w.buf = w.buf[:n0]
		w.mu.Unlock()
		return err
	}
	if size := len(buf) - n0; max > 0 && size > int(max) {
		w.buf = buf[:n0]
		w.mu.Unlock()
		return &TooLargeError{Type: p.Type(), Size: size, Max: int(max)}
	}
	w.buf = buf
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	return nil
}

// WaitSpace waits while more than a megabyte is queued, so that a fast QoS 0
// publisher is slowed to the speed of the network instead of growing memory.
func (w *Writer) WaitSpace(ctx context.Context) error {
	for {
		w.mu.Lock()
		n, err := len(w.buf), w.err
		w.mu.Unlock()
		if err != nil {
			return closedError(err)
		}
		if n < maxQueued {
			return nil
		}
		select {
		case <-w.space:
		case <-w.done:
			return ErrWriterClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// LastWrite reports when the last write completed, for keepalive.
func (w *Writer) LastWrite() time.Time { return time.Unix(0, w.lastWrite.Load()) }

// Run writes queued packets until Close or a write error, which it returns.
// After Close it writes what is still queued (a final DISCONNECT) first.
func (w *Writer) Run() error {
	for {
		select {
		case <-w.kick:
		case <-w.done:
			return w.flush()
		}
		w.gather()
		if err := w.flush(); err != nil {
			return err
		}
	}
}

// maxGather bounds how often gather yields before a write.
const maxGather = 4

// gather lets the goroutines that are about to queue a packet do so before
// the write, so that one syscall carries more packets: it yields, and
// yields again while the queue keeps growing (a busy connection), up to
// maxGather times. A lone packet costs one yield.
func (w *Writer) gather() {
	w.mu.Lock()
	n := len(w.buf)
	w.mu.Unlock()
	for range maxGather {
		runtime.Gosched()
		w.mu.Lock()
		m := len(w.buf)
		w.mu.Unlock()
		if m == n {
			return
		}
		n = m
	}
}

func (w *Writer) flush() error {
	w.mu.Lock()
	out := w.buf
	w.buf, w.spare = w.spare[:0], nil
	w.mu.Unlock()
	select {
	case w.space <- struct{}{}:
	default:
	}
	var err error
	if len(out) > 0 {
		w.extendDeadline()
		_, err = w.conn.Write(out)
		w.lastWrite.Store(time.Now().UnixNano())
	}
	w.mu.Lock()
	if cap(out) <= 4*maxQueued {
		w.spare = out[:0]
	}
	if err != nil && w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	return err
}

// extendDeadline keeps every write bounded by the timeout without resetting
// the connection's deadline (a timer update in the runtime) per write: the
// deadline is moved only once half of it has passed, so a write may get
// between half and all of the timeout.
func (w *Writer) extendDeadline() {
	if w.timeout <= 0 {
		return
	}
	now := time.Now()
	if w.deadline.Sub(now) < w.timeout/2 {
		w.deadline = now.Add(w.timeout)
		_ = w.conn.SetWriteDeadline(w.deadline)
	}
}

// Close makes Run write what is queued and return; later Appends fail.
func (w *Writer) Close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.done)
	}
	w.mu.Unlock()
}
