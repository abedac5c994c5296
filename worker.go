package mqttkit

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/mqttkit/mqttkit/packet"
)

// start runs the subscription's workers. With per-topic order each worker
// has its own queue and a topic always hashes to the same one; Unordered
// workers share one queue.
func (s *Subscription) start() {
	n := s.cfg.workers
	queues := n
	if s.cfg.unordered {
		queues = 1
	}
	// A queue holds as many messages as the server may leave unacknowledged,
	// so that at QoS 1 and 2 the reader never waits for a worker.
	size := int(s.c.cfg.receiveMax)
	s.queues = make([]chan *Message, queues)
	for i := range s.queues {
		s.queues[i] = make(chan *Message, size)
	}
	s.c.workers.Add(n)
	for i := range n {
		go s.work(s.queues[i%queues])
	}
}

// stop closes the queues: the workers handle what is queued, then return.
func (s *Subscription) stop() {
	s.mu.Lock()
	if !s.stopped {
		s.stopped = true
		for _, q := range s.queues {
			close(q)
		}
	}
	s.mu.Unlock()
}

// deliver queues m for a worker; it waits while the queue is full (QoS 0
// floods), which slows the reader down to the handlers' pace.
func (s *Subscription) deliver(cn *conn, m *Message) deliverResult {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.stopped {
		return unsubscribed
	}
	q := s.queues[0]
	if len(s.queues) > 1 {
		q = s.queues[topicHash(m.Topic)%uint32(len(s.queues))]
	}
	select {
	case q <- m:
		return delivered
	default:
	}
	cn.paused.Store(true)
	defer cn.paused.Store(false)
	select {
	case q <- m:
		return delivered
	case <-cn.done:
		return connectionLost
	}
}

type deliverResult int

const (
	delivered deliverResult = iota
	unsubscribed
	connectionLost
)

// topicHash is FNV-1a, to spread topics over workers.
func topicHash(t string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(t); i++ {
		h ^= uint32(t[i])
		h *= 16777619
	}
	return h
}

func (s *Subscription) work(q chan *Message) {
	defer s.c.workers.Done()
	for m := range q {
		s.handle(m)
	}
}

// handle calls the handler and settles the message: acknowledged after the
// handler returns (for ManualAck, when the handler calls Ack), or as the
// error policy says when it failed.
func (s *Subscription) handle(m *Message) {
	err := s.call(m)
	if err != nil {
		s.c.stats.handlerErrors.Add(1)
		s.c.log.Error("mqttkit: handler failed", "topic", m.Topic, "qos", m.QoS, "err", err)
	}
	if s.cfg.manualAck && err == nil {
		return
	}
	m.settle(err != nil)
}

// call runs the handler, turning a panic into an error.
func (s *Subscription) call(m *Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return s.handler.HandleMessage(s.c.ctx, m)
}

// PanicError is the failure of a handler that panicked; the client recovered
// it so that one bad message does not end the process.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("mqttkit: handler panicked: %v", e.Value) }

// canRedeliver reports whether the session outlives the connection, the
// condition for RedeliverOnError to get a message back.
func (c *Client) canRedeliver() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	expiry := c.sessionExpiry
	if c.cn != nil {
		expiry = c.cn.sessionExpiry // what the server granted the session the message belongs to
	}
	if expiry == 0 {
		c.log.Warn("mqttkit: RedeliverOnError needs a session expiry above 0 (asked for with WithSessionExpiry and granted by the server); acknowledging the failed message instead")
		return false
	}
	return !c.closed && !c.draining
}

// errRedeliver is the reason of the reconnect RedeliverOnError makes.
var errRedeliver = errors.New("mqttkit: reconnecting so that the server redelivers a message whose handler failed (RedeliverOnError)")

// redeliver ends the connection so that the server, resuming the session on
// the next one, sends the unacknowledged message again.
func (c *Client) redeliver() {
	c.mu.Lock()
	cn := c.cn
	c.mu.Unlock()
	if cn != nil {
		cn.disconnect(packet.NormalDisconnection, errRedeliver)
	}
}
