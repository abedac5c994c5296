package broker

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The socket is written by a goroutine of its own, never by mochi's.
//
// mochi v2.7.9 writes to a client while holding that client's lock, and
// routing a message to a client takes the same lock (for a packet id). A
// consumer that stopped reading (a hung process keeps its TCP connection
// open; with keepalive 0 the broker never times it out) left a write
// blocked on a full socket for good, and with it every publisher whose
// message was routed to that consumer, and the consumer's own restart,
// whose takeover writes DISCONNECT to the old connection
// (TestTakeoverOfStalledConnection). So Write queues the bytes, and a
// writer goroutine, started when there is something to write and gone when
// the queue is empty (an idle connection costs no goroutine), writes them.
//
// A consumer that reads slowly still slows its publishers down once bytes
// pile up: Write waits while more than highWater bytes are queued, so mochi
// routes to that client only as fast as it reads. But a client that
// accepts nothing for maxWriteStall while Write waits is disconnected as
// stuck (its session keeps its QoS 1 and 2 messages), and a connection
// being taken over or closed makes no one wait. QoS 1 and 2 messages
// beyond the client's Receive Maximum wait in the session (see
// sendWindow); publishers are paced to the client's acknowledgements
// before the session overflows (see pace).

// highWater is the queued bytes above which Write waits for the client.
const highWater = 256 << 10

// maxWriteStall is how long a client may accept no bytes while Write
// waits for it.
const maxWriteStall = 10 * time.Second

// closeFlushTimeout bounds how long Close waits for queued bytes (a final
// CONNACK or DISCONNECT with its reason code) to be written.
const closeFlushTimeout = time.Second

type outQueue struct {
	acks     uint64        // acknowledgements read from the client (see pace)
	lastAck  time.Time     // when the last one was read (see pace)
	paceOff  bool          // the client acknowledged nothing for maxWriteStall while publishers waited
	room     *sync.Cond    // signalled when bytes were written, or nobody should wait
	waiters  int           // Write calls waiting on room
	progress atomic.Int64  // unix nanoseconds of the writer goroutine's last write
	buf      []byte        // bytes not yet handed to the socket
	spare    []byte        // the buffer being written, reused
	active   bool          // a writer goroutine is running
	closing  bool          // Close was called: close the socket once flushed
	done     chan struct{} // closed when the running writer goroutine returns
}

// awaitRoom waits while more than highWater bytes are queued, unless the
// connection is failing, closing or being taken over; a client that
// accepts nothing meanwhile for maxWriteStall is disconnected. c.wmu must
// be held; it is released while waiting.
func (c *serverConn) awaitRoom() {
	q := &c.out
	for len(q.buf) > highWater && !c.writeFailed && !q.closing && !c.takenOver.Load() {
		if time.Since(time.Unix(0, q.progress.Load())) > maxWriteStall {
			c.writeFailed = true
			q.buf = nil
			if c.onSlow != nil {
				c.onSlow(c)
			}
			_ = c.Conn.Close() // mochi's reader ends, and the client with it
			return
		}
		c.waitOut()
	}
}

// waitOut waits until the writer goroutine wrote, the client acknowledged,
// the connection is closing or taken over, or maxWriteStall passed. c.wmu
// must be held; it is released while waiting.
func (c *serverConn) waitOut() {
	q := &c.out
	if q.room == nil {
		q.room = sync.NewCond(&c.wmu)
	}
	t := time.AfterFunc(maxWriteStall, c.wakeWriters)
	q.waiters++
	q.room.Wait()
	q.waiters--
	t.Stop()
}

// pace makes a publisher routing a message to this client wait while over
// reports the client's session too full, until the client acknowledges
// enough; it does not wait for a client that is closing, being taken over,
// not yet established, or that acknowledged nothing for maxWriteStall
// while publishers waited (until it acknowledges again), nor once the
// publisher's own connection (publisher's result; nil: unknown) is taken
// over, whose takeover waits for this PUBLISH. over is called without
// c.wmu held: it reads mochi's in-flight map, whose lock mochi may hold
// while it writes.
func (c *serverConn) pace(publisher func() *serverConn, over func() bool) {
	if !c.established.Load() || !over() {
		return // the common case: no lock taken for every routed message
	}
	pub := publisher()
	if pub != nil {
		pub.pacedBy.Store(c)
		defer pub.pacedBy.Store(nil)
	}
	start := time.Now()
	for {
		c.wmu.Lock()
		q := &c.out
		seen := q.acks
		c.wmu.Unlock()
		if !over() {
			return
		}
		c.wmu.Lock()
		if q.paceOff || c.writeFailed || q.closing || c.takenOver.Load() || (pub != nil && pub.takenOver.Load()) {
			c.wmu.Unlock()
			return
		}
		if q.acks == seen { // nothing acknowledged since over looked
			// Stalled: nothing acknowledged for maxWriteStall while this
			// publisher waited (an acknowledgement before it came counts
			// from when it came).
			since := start
			if q.lastAck.After(since) {
				since = q.lastAck
			}
			if time.Since(since) > maxWriteStall {
				q.paceOff = true
				c.wmu.Unlock()
				if c.onStalled != nil {
					c.onStalled(c)
				}
				return
			}
			c.waitOut()
		}
		c.wmu.Unlock()
	}
}

// ackRead notes an acknowledgement from the client for pace. c.wmu must be
// held.
func (c *serverConn) ackRead() {
	q := &c.out
	q.acks++
	q.lastAck = time.Now()
	q.paceOff = false
	if q.waiters > 0 {
		q.room.Broadcast()
	}
}

// wakeWriters lets Write calls waiting in awaitRoom look again.
func (c *serverConn) wakeWriters() {
	c.wmu.Lock()
	if c.out.room != nil {
		c.out.room.Broadcast()
	}
	c.wmu.Unlock()
}

// write queues b for the socket unless the connection failed. c.wmu must
// be held.
func (c *serverConn) write(b []byte) {
	if c.writeFailed || len(b) == 0 {
		return
	}
	q := &c.out
	q.buf = append(q.buf, b...)
	if !q.active {
		q.active = true
		q.progress.Store(time.Now().UnixNano())
		q.done = make(chan struct{})
		go c.flush(q.done)
	}
}

// flush writes the queue until it is empty, then returns; on Close it
// closes the socket once the queue is written. A failed write closes the
// connection (see Write).
func (c *serverConn) flush(done chan struct{}) {
	defer close(done)
	for {
		c.wmu.Lock()
		q := &c.out
		if len(q.buf) == 0 || c.writeFailed {
			q.active = false
			if q.closing {
				c.writeFailed = true
				_ = c.Conn.Close()
			}
			c.wmu.Unlock()
			return
		}
		b := q.buf
		q.buf, q.spare = q.spare[:0], nil
		c.wmu.Unlock()

		err := c.writeChunks(b)

		c.wmu.Lock()
		if cap(b) <= 64<<10 {
			q.spare = b[:0] // a large one is let go (see trimWriteBuffer)
		}
		if q.waiters > 0 {
			q.room.Broadcast()
		}
		if err != nil {
			c.writeFailed = true
			q.buf = nil
			_ = c.Conn.Close()
		}
		c.wmu.Unlock()
	}
}

// writeChunk is the most written to the socket at once, so that a client
// reading slowly but steadily shows progress (see awaitRoom).
const writeChunk = 64 << 10

// writeChunks writes b to the socket, noting the progress after each chunk.
func (c *serverConn) writeChunks(b []byte) error {
	for len(b) > 0 {
		n := min(len(b), writeChunk)
		if _, err := c.Conn.Write(b[:n]); err != nil {
			return err
		}
		c.out.progress.Store(time.Now().UnixNano())
		b = b[n:]
	}
	return nil
}

// Close closes the connection once what is queued is written, within
// closeFlushTimeout; it does not wait for that. A connection with nothing
// queued closes at once.
func (c *serverConn) Close() error {
	c.wmu.Lock()
	q := &c.out
	q.closing = true
	if q.room != nil {
		q.room.Broadcast()
	}
	if q.active {
		_ = c.Conn.SetWriteDeadline(time.Now().Add(closeFlushTimeout))
		c.wmu.Unlock()
		return nil
	}
	c.writeFailed = true
	c.wmu.Unlock()
	return c.Conn.Close()
}

// closeAndWait closes the connection and waits until its writer goroutine,
// if one runs, has returned.
func (c *serverConn) closeAndWait() {
	_ = c.Close()
	c.wmu.Lock()
	done := c.out.done
	c.wmu.Unlock()
	if done != nil {
		<-done
	}
}

// slowClient logs a client disconnected for reading nothing while the
// broker waited for it.
func (s *Server) slowClient(c *serverConn) {
	s.log.Warn(fmt.Sprintf("broker: client disconnected: it read nothing for %v while over %d KiB waited for it; its session keeps its QoS 1 and 2 messages, QoS 0 messages queued for it are lost", maxWriteStall, highWater>>10),
		"remote", c.RemoteAddr().String())
}

// stalledClient logs a client that publishers stopped waiting for.
func (s *Server) stalledClient(c *serverConn) {
	s.log.Warn(fmt.Sprintf("broker: a client acknowledged nothing for %v with its session half full; publishers no longer wait for it, and what exceeds Limits.MaxQueuedMessages is dropped", maxWriteStall),
		"remote", c.RemoteAddr().String())
}

// paceAt is the number of unacknowledged messages in a session from which
// publishers routing to it wait (see serverConn.pace): half of
// Limits.MaxQueuedMessages.
func (h *hook) paceAt() int { return max(h.srv.cfg.Limits.MaxQueuedMessages/2, 1) }
