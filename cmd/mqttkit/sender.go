package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/mqttkit/mqttkit"
)

// window bounds the publishes awaiting their acknowledgement, below the
// client's default queue of 10000 so that PublishAsync never reports a
// full queue; the client itself keeps within the server's Receive Maximum.
const window = 4096

// sender publishes asynchronously and collects every result, so that pub
// sends at the speed of the acknowledgements and still knows about each
// message.
type sender struct {
	c       *mqttkit.Client
	qos     mqttkit.QoS
	opts    []mqttkit.PublishOption
	rate    float64
	start   time.Time
	pending chan *mqttkit.PublishResult
	done    chan struct{}

	sent, acked, failed atomic.Int64
	firstErr            error // written by the collector before done closes
}

// sendResult is what finish reports.
type sendResult struct {
	sent, acked, failed int64
	firstErr            error
}

func newSender(c *mqttkit.Client, qos mqttkit.QoS, opts []mqttkit.PublishOption, rate float64) *sender {
	s := &sender{c: c, qos: qos, opts: opts, rate: rate, start: time.Now(),
		pending: make(chan *mqttkit.PublishResult, window), done: make(chan struct{})}
	go s.collect()
	return s
}

// send publishes one message, waiting first when --rate asks for it or
// when window publishes are already unacknowledged.
func (s *sender) send(ctx context.Context, topic string, payload []byte) {
	n := s.sent.Add(1)
	if s.rate > 0 {
		sleepCtx(ctx, time.Until(s.start.Add(time.Duration(float64(n-1)/s.rate*float64(time.Second)))))
	}
	s.pending <- s.c.PublishAsync(ctx, topic, payload, s.qos, s.opts...)
}

// collect waits for every result in order of sending.
func (s *sender) collect() {
	defer close(s.done)
	for r := range s.pending {
		<-r.Done()
		if err := r.Err(); err != nil {
			if s.failed.Add(1) == 1 {
				s.firstErr = err
			}
			continue
		}
		s.acked.Add(1)
	}
}

// finish waits for the results of every message sent. When ctx ends first
// (an interrupt), it still waits up to 5 seconds for the acknowledgements
// of what was sent, then counts the rest as failed.
func (s *sender) finish(ctx context.Context) sendResult {
	close(s.pending)
	select {
	case <-s.done:
	case <-ctx.Done():
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			s.c.Close() // fails the publishes still pending, so collect ends
			<-s.done
		}
	}
	return sendResult{sent: s.sent.Load(), acked: s.acked.Load(), failed: s.failed.Load(), firstErr: s.firstErr}
}

// progress is the live line of a long pub run.
func (s *sender) progress() string {
	el := time.Since(s.start).Seconds()
	return fmt.Sprintf("pub: %d sent, %d acknowledged, %d failed, %.0f msg/s", s.sent.Load(), s.acked.Load(), s.failed.Load(), float64(s.acked.Load())/max(el, 0.001))
}
