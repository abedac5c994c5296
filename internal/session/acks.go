package session

import "sync"

// AckQueue sends the acknowledgements of inbound QoS 1 and 2 messages of one
// connection in the order the messages arrived (MQTT-4.6.0-2 and 4.6.0-3),
// however out of order their handlers finish: an acknowledgement leaves only
// when every earlier one has left. Its capacity is the client's Receive
// Maximum, the most unacknowledged messages the server may send.
type AckQueue struct {
	mu     sync.Mutex
	ring   []entry
	head   int    // index of the oldest entry
	n      int    // entries in the ring
	base   uint64 // sequence number of the oldest entry
	closed bool
	send   func(id uint16, qos byte, reason byte)
}

type entry struct {
	id     uint16
	qos    byte
	reason byte
	done   bool
}

// NewAckQueue returns a queue for up to capacity unacknowledged messages
// whose acknowledgements are passed to send, in order, under the queue's
// lock: send must not block and must not call the queue.
func NewAckQueue(capacity int, send func(id uint16, qos byte, reason byte)) *AckQueue {
	return &AckQueue{ring: make([]entry, max(capacity, 1)), send: send}
}

// Push records the arrival of message id at qos (1 or 2) and returns its
// sequence number for Done. It returns false when the queue is full (the
// server exceeded the client's Receive Maximum) or closed.
func (q *AckQueue) Push(id uint16, qos byte) (uint64, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.n == len(q.ring) {
		return 0, false
	}
	q.ring[(q.head+q.n)%len(q.ring)] = entry{id: id, qos: qos}
	seq := q.base + uint64(q.n)
	q.n++
	return seq, true
}

// Done marks the message with sequence number seq as handled, with the
// reason code to acknowledge it with, and sends every acknowledgement that
// is now at the head of the queue. Done on a closed queue does nothing: the
// connection it belonged to is gone, and the server will send the message
// again if the session survives.
func (q *AckQueue) Done(seq uint64, reason byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || seq < q.base || seq >= q.base+uint64(q.n) {
		return
	}
	e := &q.ring[(q.head+int(seq-q.base))%len(q.ring)]
	e.done, e.reason = true, reason
	for q.n > 0 {
		e := &q.ring[q.head]
		if !e.done {
			break
		}
		q.send(e.id, e.qos, e.reason)
		*e = entry{}
		q.head = (q.head + 1) % len(q.ring)
		q.n--
		q.base++
	}
}

// Len reports how many messages wait for their acknowledgement.
func (q *AckQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Close drops the pending acknowledgements; later Push and Done do nothing.
func (q *AckQueue) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}
