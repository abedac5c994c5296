package mqttkit

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/mqttkit/mqttkit/internal/transport"
	"github.com/mqttkit/mqttkit/packet"
)

// request is a SUBSCRIBE or UNSUBSCRIBE waiting for its SUBACK or UNSUBACK.
type request struct {
	id     uint16
	done   chan struct{} // closed by finish
	codes  []packet.ReasonCode
	reason string
	err    error
	// restore names the subscription a reconnect re-subscribed; nobody
	// waits for it, so its failure is logged.
	restore *Subscription
}

func (r *request) finish(codes []packet.ReasonCode, err error) {
	r.codes, r.err = codes, err
	close(r.done)
}

// sendRequestLocked gives r a packet id and sends p with it on cn.
func (c *Client) sendRequestLocked(cn *conn, r *request, p packet.Packet) error {
	id, ok := c.ids.Get()
	if !ok {
		return errNoPacketID
	}
	switch p := p.(type) {
	case *packet.Subscribe:
		p.PacketID = id
	case *packet.Unsubscribe:
		p.PacketID = id
	}
	if err := cn.w.Append(p, packet.V5, cn.maxPacket); err != nil {
		c.ids.Put(id)
		return sendError(err)
	}
	r.id = id
	c.requests[id] = r
	return nil
}

// exchange sends the SUBSCRIBE or UNSUBSCRIBE that build makes for the live
// connection and waits for its answer; a connection that ends first gets
// it again on the next one. When ctx ends, sent says whether the packet had
// been sent: the server may then have acted on it.
func (c *Client) exchange(ctx context.Context, build func(cn *conn) (packet.Packet, error)) (r *request, sent bool, err error) {
	for {
		cn, err := c.waitUp(ctx)
		if err != nil {
			return nil, false, err
		}
		p, err := build(cn)
		if err != nil {
			return nil, false, err
		}
		r := &request{done: make(chan struct{})}
		c.mu.Lock()
		err = c.sendRequestLocked(cn, r, p)
		c.mu.Unlock()
		if errors.Is(err, transport.ErrWriterClosed) {
			continue // the connection is ending: send on the next one
		}
		if err != nil {
			return nil, false, err
		}
		select {
		case <-r.done:
			return r, true, nil
		case <-cn.done:
			c.dropRequest(r)
			continue // send it again on the next connection
		case <-ctx.Done():
			c.dropRequest(r)
			return nil, true, ctx.Err()
		}
	}
}

// dropRequest forgets r, whose connection ended or whose caller gave up.
func (c *Client) dropRequest(r *request) {
	c.mu.Lock()
	if c.requests[r.id] == r {
		delete(c.requests, r.id)
		c.ids.Put(r.id)
	}
	c.mu.Unlock()
}

// onRequestAck completes the request with packet id id.
func (c *Client) onRequestAck(id uint16, codes []packet.ReasonCode, reason string) {
	c.mu.Lock()
	r := c.requests[id]
	if r != nil {
		delete(c.requests, id)
		c.ids.Put(id)
	}
	c.mu.Unlock()
	if r == nil {
		c.log.Warn("mqttkit: server acknowledged an unknown SUBSCRIBE or UNSUBSCRIBE", "packet_id", id)
		return
	}
	r.reason = reason
	r.finish(slices.Clone(codes), nil)
	if s := r.restore; s != nil {
		if err := c.subscribed(s, r); err != nil {
			c.log.Error("mqttkit: restoring a subscription after reconnect failed; its handler gets no messages", "filters", s.Filters(), "err", err)
		}
	}
}

// restoreLocked brings a new connection up to date: subscriptions are sent
// again when the server has no session, then the publishes in flight are
// resent in their original order (with DUP when the session is resumed) and
// the PUBRELs of QoS 2 messages the server already received (after
// sessionLostLocked when the server has no session).
func (c *Client) restoreLocked(cn *conn, sessionPresent bool) {
	if !sessionPresent {
		c.subMu.RLock()
		for _, s := range c.subs {
			if !s.active {
				continue // its Subscribe call is still sending it
			}
			r := &request{done: make(chan struct{}), restore: s}
			if err := c.sendRequestLocked(cn, r, cn.subscribePacket(s)); err != nil {
				c.log.Error("mqttkit: restoring a subscription failed", "filters", s.Filters(), "err", err)
			}
		}
		c.subMu.RUnlock()
	}
	list := make([]*outbound, 0, len(c.inflight))
	for _, o := range c.inflight {
		list = append(list, o)
	}
	slices.SortFunc(list, func(a, b *outbound) int { return cmp.Compare(a.seq, b.seq) })
	for _, o := range list {
		c.sendLocked(cn, o, sessionPresent)
	}
}
