package mqttkit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"

	"github.com/mqttkit/mqttkit/internal/transport"
	"github.com/mqttkit/mqttkit/packet"
)

// connect tries the servers in turn, with backoff between rounds, until one
// accepts the client or ctx ends. A refusal that retrying cannot fix ends it
// at once when first is set (Dial); later the loop keeps trying, since the
// server's configuration may be fixed while the application runs.
func (c *Client) connect(ctx context.Context, first bool) (*conn, error) {
	if first {
		t, err := c.cfg.tls.build()
		if err != nil {
			return nil, err
		}
		c.cfg.transport = t
		c.cfg.reauth = &reauth{}
	}
	var last error
	for attempt := 0; ; attempt++ {
		c.mu.Lock()
		start := c.nextServer
		c.mu.Unlock()
		for i := range c.servers {
			idx := (start + i) % len(c.servers)
			u := c.servers[idx]
			cn, err := c.connectOnce(ctx, u, first)
			if err != nil {
				cn, err = c.followRedirects(ctx, u, err, first)
			}
			if err == nil {
				c.mu.Lock()
				c.nextServer = idx
				c.mu.Unlock()
				return cn, nil
			}
			last = err
			var re *ReasonError
			if first && (errors.As(err, &re) && isFatalConnack(re.Code) || errors.As(err, new(*CertificateError)) || errors.As(err, new(*AuthError))) {
				return nil, err
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("mqttkit: could not connect to %s: %w (last error: %v)", c.serverList(), ctx.Err(), last)
			}
			c.log.Warn("mqttkit: connect failed", "server", u.Redacted(), "err", err)
		}
		if first && c.cfg.dialOnce {
			return nil, &DialError{Servers: c.serverList(), Err: last}
		}
		bound := c.cfg.backoffMin << min(attempt, 30)
		if bound > c.cfg.backoffMax || bound <= 0 {
			bound = c.cfg.backoffMax
		}
		t := time.NewTimer(rand.N(bound) + time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("mqttkit: could not connect to %s: %w (last error: %v)", c.serverList(), ctx.Err(), last)
		}
	}
}

func (c *Client) serverList() string {
	s := ""
	for i, u := range c.servers {
		if i > 0 {
			s += ", "
		}
		s += u.Redacted()
	}
	return s
}

// connectOnce dials u, sends CONNECT and reads CONNACK within the connect
// timeout.
func (c *Client) connectOnce(ctx context.Context, u *url.URL, first bool) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.connectTimeout)
	defer cancel()
	d, err := transport.ForScheme(u.Scheme, c.cfg.transport)
	if err != nil {
		return nil, err
	}
	nc, err := d.Dial(ctx, u)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	connect := c.connectPacket(first)
	auth, err := c.startAuth(&connect.Properties)
	if err != nil {
		stop()
		_ = nc.Close()
		return nil, err
	}
	buf, err := connect.Append(nil, packet.V5)
	if err != nil {
		stop()
		_ = nc.Close()
		return nil, fmt.Errorf("mqttkit: building CONNECT: %w", err)
	}
	br := bufio.NewReaderSize(nc, initialReadBuffer)
	var ack packet.Connack
	if _, err = nc.Write(buf); err == nil {
		err = readConnack(br, c.cfg.maxPacketSize, &ack, func(p *packet.Auth) error {
			resp, err := auth.step(p)
			if err != nil {
				return err
			}
			b, err := resp.Append(nil, packet.V5)
			if err == nil {
				_, err = nc.Write(b)
			}
			return err
		})
	}
	if !stop() {
		_ = nc.Close()
		return nil, fmt.Errorf("mqttkit: connecting to %s: %w", u.Redacted(), ctx.Err())
	}
	if err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("mqttkit: connecting to %s: %w", u.Redacted(), err)
	}
	if ack.ReasonCode.IsError() {
		_ = nc.Close()
		return nil, &ReasonError{Packet: packet.CONNACK, Code: ack.ReasonCode,
			Reason: ack.Properties.ReasonString, ServerReference: ack.Properties.ServerReference}
	}
	if err := auth.finish(&ack.Properties); err != nil {
		_ = nc.Close()
		return nil, err
	}
	cn := newConn(c, nc, br, u, &ack)
	cn.sessionExpiry = connect.Properties.SessionExpiryInterval
	if ack.Properties.Present.Has(packet.PropSessionExpiryInterval) {
		cn.sessionExpiry = ack.Properties.SessionExpiryInterval // the server's choice wins (§3.2.2.3.2)
	}
	return cn, nil
}

// readConnack reads the CONNACK, passing the AUTH packets of an enhanced
// authentication exchange before it to onAuth.
func readConnack(br *bufio.Reader, maxSize uint32, ack *packet.Connack, onAuth func(*packet.Auth) error) error {
	p, err := packet.ReadPacket(br, packet.V5, maxSize)
	if err != nil {
		return err
	}
	for a, ok := p.(*packet.Auth); ok; a, ok = p.(*packet.Auth) {
		if err := onAuth(a); err != nil {
			return err
		}
		if p, err = packet.ReadPacket(br, packet.V5, maxSize); err != nil {
			return err
		}
	}
	switch p := p.(type) {
	case *packet.Connack:
		*ack = *p
		return nil
	case *packet.Disconnect:
		return &ReasonError{Packet: packet.DISCONNECT, Code: p.ReasonCode, Reason: p.Properties.ReasonString,
			ServerReference: p.Properties.ServerReference}
	}
	return &ReasonError{Packet: p.Type(), Code: packet.ProtocolError,
		Reason: fmt.Sprintf("expected CONNACK, the server sent %s", p.Type())}
}

// connectPacket builds CONNECT from the configuration and the session state.
func (c *Client) connectPacket(first bool) *packet.Connect {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg := &c.cfg
	p := &packet.Connect{
		ProtocolVersion: packet.V5,
		// Every reconnect resumes the session so nothing in flight is lost.
		CleanStart:  first && cfg.cleanStart,
		KeepAlive:   uint16(min(durationSeconds(cfg.keepAlive), 65535)),
		ClientID:    c.clientID,
		Username:    cfg.username,
		HasUsername: cfg.hasUsername,
		Password:    cfg.password,
		HasPassword: cfg.hasPassword,
	}
	p.Properties.SessionExpiryInterval = c.sessionExpiry
	if cfg.receiveMax != 65535 {
		p.Properties.ReceiveMaximum = cfg.receiveMax
	}
	p.Properties.MaximumPacketSize = cfg.maxPacketSize
	p.Properties.TopicAliasMaximum = cfg.topicAliasMax
	p.Properties.UserProperties = cfg.connectUserProps
	if w := cfg.will; w != nil {
		p.Will = &packet.Will{QoS: w.QoS, Retain: w.Retain, Topic: w.Topic, Payload: w.Payload, Properties: w.Properties}
		p.Will.Properties.WillDelayInterval = durationSeconds(w.Delay)
	}
	return p
}

// run keeps the client connected until Close: it serves cn, which is live
// already, and after it ends reconnects with backoff and serves the next.
func (c *Client) run(cn *conn) {
	defer close(c.runDone)
	for {
		err := cn.serve()
		c.down(cn, err)
		if c.ctx.Err() != nil {
			return
		}
		// Full jitter before the first attempt too: many clients dropped at
		// once do not come back at once, and the server has finished with
		// the old connection (mochi v2.7.9 otherwise clears the new one's
		// subscriptions while it cleans up an expired session).
		t := time.NewTimer(rand.N(c.cfg.backoffMin) + time.Millisecond)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return
		}
		next, cerr := c.followRedirects(c.ctx, cn.server, err, false)
		if cerr != nil {
			next, cerr = c.connect(c.ctx, false)
		}
		if cerr != nil {
			return // only when Close cancelled c.ctx
		}
		c.live(next)
		cn = next
	}
}

// live makes cn the live connection: it applies the server's limits, restores
// subscriptions when the session is new, resends what was in flight and
// sends the queue, then runs the hooks.
func (c *Client) live(cn *conn) {
	ack := &cn.connack
	c.mu.Lock()
	if c.closed {
		// Close ran while this connection was being made: nobody else will
		// end it.
		c.mu.Unlock()
		cn.disconnect(packet.NormalDisconnection, ErrClosed)
		return
	}
	if id := ack.Properties.AssignedClientIdentifier; id != "" {
		c.clientID = id
	}
	if c.state != nil {
		c.state.SetClientID(c.clientID)
	}
	c.connects++
	firstConnect := c.connects == 1
	if !ack.SessionPresent {
		c.sessionLostLocked()
	}
	c.window = cn.receiveMax
	c.restoreLocked(cn, ack.SessionPresent)
	c.cn = cn
	close(c.up)
	c.pumpQueueLocked()
	info := ConnectInfo{Server: cn.server.Redacted(), ClientID: c.clientID, SessionPresent: ack.SessionPresent, Connack: ack}
	c.mu.Unlock()
	c.stats.connects.Add(1)
	c.log.Info("mqttkit: connected", "server", info.Server, "client_id", info.ClientID, "session_present", info.SessionPresent)
	if c.cfg.onConnect != nil {
		c.cfg.onConnect(c, info)
	}
	if !firstConnect && c.cfg.onReconnect != nil {
		c.cfg.onReconnect(c, info)
	}
}

// down forgets cn after it ended with err.
func (c *Client) down(cn *conn, err error) {
	c.mu.Lock()
	c.cn = nil
	c.up = make(chan struct{})
	closed := c.closed
	c.mu.Unlock()
	cn.acks.Close()
	if closed {
		return
	}
	c.stats.lost.Add(1)
	c.log.Warn("mqttkit: connection lost", "server", cn.server.Redacted(), "err", err)
	if c.cfg.onConnectionLost != nil {
		c.cfg.onConnectionLost(c, err)
	}
}

// sessionLostLocked adapts the client to a server that has no session for
// it: every outbound message in flight is published again from scratch,
// including QoS 2 messages the server acknowledged with PUBREC: a broker
// that hands QoS 2 on only at PUBREL (Mosquitto) lost them with the session,
// and one that handed them on at PUBLISH (mochi) gets a duplicate, never a
// loss. Inbound QoS 2 state is forgotten: the server forgot it too.
func (c *Client) sessionLostLocked() {
	for _, o := range c.inflight {
		if o.released {
			o.released = false
			if c.state != nil {
				c.state.ReleaseOutbound(o.seq, false)
			}
		}
		o.sent = false
	}
	for id := range c.inbound2 {
		if c.state != nil {
			c.state.RemoveInboundQoS2(id)
		}
		delete(c.inbound2, id)
	}
}
