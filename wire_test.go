package mqttkit_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// What a broker at hand cannot be made to do, played by the recording
// server: CONNACK limits, refusing reason codes in SUBACK, PUBACK and
// PUBREC, a server without Subscription Identifiers, a duplicated inbound
// QoS 2 PUBLISH, acknowledgements of handlers that finish out of order.

// sendTo writes packets to the client on nc.
func sendTo(t *testing.T, nc net.Conn, ps ...packet.Packet) {
	t.Helper()
	var b []byte
	for _, p := range ps {
		var err error
		if b, err = p.Append(b, packet.V5); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
}

// nextPacket waits for the next packet from the client that is not a
// PINGREQ.
func (r *recorder) nextPacket(t *testing.T) packet.Packet {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case p := <-r.got:
			if _, ok := p.(*packet.Pingreq); !ok {
				return p
			}
		case <-deadline:
			t.Fatal("no packet from the client within 10s")
			return nil
		}
	}
}

// CONNACK's limits are honoured before anything is sent: Maximum Packet
// Size, Retain Available, Wildcard and Shared Subscription Available each
// become a typed error, and the server receives nothing it refused.
func TestConnackLimits(t *testing.T) {
	r := newRecorder(t, func(int, *packet.Connect) *packet.Connack {
		ack := &packet.Connack{}
		p := &ack.Properties
		p.MaximumPacketSize, p.RetainAvailable, p.WildcardSubscriptionAvailable, p.SharedSubscriptionAvailable = 1000, 0, 0, 0
		for _, id := range []packet.PropertyID{packet.PropMaximumPacketSize, packet.PropRetainAvailable,
			packet.PropWildcardSubscriptionAvailable, packet.PropSharedSubscriptionAvailable} {
			p.Present = p.Present.With(id)
		}
		return ack
	})
	c := dialURL(t, r.url)
	r.nextConnect(t)
	ctx := testCtx(t, 10*time.Second)
	h := newCollector(1)
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"payload over Maximum Packet Size", c.Publish(ctx, "lim/t", make([]byte, 2000), mqttkit.QoS1), mqttkit.ErrPacketTooLarge},
		{"retain without Retain Available", c.Publish(ctx, "lim/t", nil, mqttkit.QoS1, mqttkit.Retain()), mqttkit.ErrRetainNotSupported},
		{"wildcard without Wildcard Subscription Available", subscribeErr(ctx, c, "lim/+", h), mqttkit.ErrWildcardNotSupported},
		{"group without Shared Subscription Available", subscribeErr(ctx, c, "lim/t", h, mqttkit.Group("g")), mqttkit.ErrSharedNotSupported},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	if err := c.Publish(ctx, "lim/ok", make([]byte, 900), mqttkit.QoS1); err != nil {
		t.Fatalf("a publish within the limits: %v", err)
	}
	if p, ok := r.nextPacket(t).(*packet.Publish); !ok || p.Topic != "lim/ok" {
		t.Fatalf("first packet after CONNECT is %v, want only the PUBLISH within the limits", p)
	}
}

func subscribeErr(ctx context.Context, c *mqttkit.Client, filter string, h mqttkit.Handler, opts ...mqttkit.SubscribeOption) error {
	_, err := c.Subscribe(ctx, filter, h, opts...)
	return err
}

// A refusing reason code in SUBACK (per filter), PUBACK or PUBREC is a
// typed error with the server's reason string; a SUBACK that grants a lower
// QoS than asked is not an error but reported by Granted.
func TestAckReasonCodes(t *testing.T) {
	r := newScriptedRecorder(t, acceptAll, func(p packet.Packet) packet.Packet {
		switch p := p.(type) {
		case *packet.Subscribe:
			codes := make([]packet.ReasonCode, len(p.Subscriptions))
			for i, s := range p.Subscriptions {
				switch {
				case strings.HasPrefix(s.Filter, "deny/"):
					codes[i] = packet.NotAuthorized
				case strings.HasPrefix(s.Filter, "low/"):
					codes[i] = packet.GrantedQoS0
				default:
					codes[i] = packet.ReasonCode(s.QoS)
				}
			}
			return &packet.Suback{PacketID: p.PacketID, ReasonCodes: codes, Properties: packet.Properties{ReasonString: "audit suback"}}
		case *packet.Publish:
			switch p.QoS {
			case 1:
				return &packet.Puback{PacketID: p.PacketID, ReasonCode: packet.QuotaExceeded, Properties: packet.Properties{ReasonString: "audit quota"}}
			case 2:
				return &packet.Pubrec{PacketID: p.PacketID, ReasonCode: packet.NotAuthorized, Properties: packet.Properties{ReasonString: "audit denied"}}
			}
		}
		return nil
	})
	c := dialURL(t, r.url)
	ctx := testCtx(t, 10*time.Second)
	h := newCollector(1)
	_, err := c.Subscribe(ctx, "ok/t", h, mqttkit.AlsoFilters("deny/t"))
	if !errors.Is(err, mqttkit.ErrNotAuthorized) || !strings.Contains(err.Error(), "deny/t") || !strings.Contains(err.Error(), "audit suback") {
		t.Errorf("SUBACK refusing one of two filters: err = %v, want ErrNotAuthorized naming deny/t with the reason string", err)
	}
	s, err := c.Subscribe(ctx, "low/t", h, mqttkit.ExactlyOnce)
	if err != nil {
		t.Fatalf("SUBACK granting QoS 0 for QoS 2: %v, want no error", err)
	}
	if g := s.Granted(); len(g) != 1 || g[0] != mqttkit.QoS0 {
		t.Errorf("Granted() = %v, want [0]", g)
	}
	err = c.Publish(ctx, "p/t", nil, mqttkit.QoS1)
	if !errors.Is(err, mqttkit.ErrQuotaExceeded) || !strings.Contains(err.Error(), "audit quota") {
		t.Errorf("PUBACK 0x97: err = %v, want ErrQuotaExceeded with the reason string", err)
	}
	err = c.Publish(ctx, "p/t", nil, mqttkit.QoS2)
	if !errors.Is(err, mqttkit.ErrNotAuthorized) || !strings.Contains(err.Error(), "audit denied") {
		t.Errorf("PUBREC 0x87: err = %v, want ErrNotAuthorized with the reason string", err)
	}
	for len(r.got) > 0 {
		if p, ok := (<-r.got).(*packet.Pubrel); ok {
			t.Errorf("client sent %v after a refusing PUBREC: the exchange ends there (§4.3.3)", p)
		}
	}
}

// Without Subscription Identifier support, SUBSCRIBE carries none and
// messages are routed by matching topics against the filters, $share/<g>/
// removed: overlapping filters each once, and no $SYS topic for #.
func TestRoutingWithoutSubscriptionIdentifiers(t *testing.T) {
	r := newRecorder(t, func(int, *packet.Connect) *packet.Connack {
		ack := &packet.Connack{}
		ack.Properties.Present = ack.Properties.Present.With(packet.PropSubscriptionIdentifierAvailable)
		return ack
	})
	c := dialURL(t, r.url)
	r.nextConnect(t)
	nc := <-r.conns
	ctx := testCtx(t, 10*time.Second)
	cols := map[string]*collector{}
	for _, f := range []string{"#", "a/#", "a/+", "$share/g/a/x", "b/x"} {
		cols[f] = newCollector(4)
		if _, err := c.Subscribe(ctx, f, cols[f], mqttkit.AtMostOnce); err != nil {
			t.Fatal(err)
		}
		if s, ok := r.nextPacket(t).(*packet.Subscribe); !ok || len(s.Properties.SubscriptionIdentifiers) != 0 {
			t.Fatalf("SUBSCRIBE %v: want one without a Subscription Identifier", s)
		}
	}
	sendTo(t, nc, &packet.Publish{Topic: "$SYS/load", Payload: []byte("sys")}, &packet.Publish{Topic: "a/x", Payload: []byte("ax")})
	for _, f := range []string{"#", "a/#", "a/+", "$share/g/a/x"} {
		if m := cols[f].next(t); m.Topic != "a/x" {
			t.Errorf("%s got %q first, want a/x ($SYS/load matches no filter starting with a wildcard)", f, m.Topic)
		}
	}
	for f, col := range cols {
		select {
		case m := <-col.ch:
			t.Errorf("%s got %q as well: one message per matching subscription", f, m.Topic)
		default:
		}
	}
	cols["b/x"].none(t, 100*time.Millisecond)
}

// An inbound QoS 2 message is handled once: a resent PUBLISH (DUP) before
// PUBREL gets PUBREC again but does not reach the handler again; PUBREL
// gets PUBCOMP; the packet id is then free for a new message.
func TestInboundQoS2Once(t *testing.T) {
	r := newRecorder(t, acceptAll)
	c := dialURL(t, r.url)
	r.nextConnect(t)
	nc := <-r.conns
	col := newCollector(4)
	if _, err := c.Subscribe(testCtx(t, 10*time.Second), "q2/t", col, mqttkit.ExactlyOnce); err != nil {
		t.Fatal(err)
	}
	r.nextPacket(t) // SUBSCRIBE
	expect := func(want packet.Type) {
		t.Helper()
		p := r.nextPacket(t)
		if p.Type() != want || packetID(p) != 7 {
			t.Fatalf("client sent %v, want %v for packet id 7", p, want)
		}
	}
	pub := &packet.Publish{Topic: "q2/t", QoS: 2, PacketID: 7, Payload: []byte("once")}
	sendTo(t, nc, pub)
	expect(packet.PUBREC)
	dup := *pub
	dup.Dup = true
	sendTo(t, nc, &dup)
	expect(packet.PUBREC)
	sendTo(t, nc, &packet.Pubrel{PacketID: 7})
	expect(packet.PUBCOMP)
	if m := col.next(t); string(m.Payload) != "once" {
		t.Fatalf("got %q", m.Payload)
	}
	col.none(t, 200*time.Millisecond)
	sendTo(t, nc, &packet.Publish{Topic: "q2/t", QoS: 2, PacketID: 7, Payload: []byte("next")})
	expect(packet.PUBREC)
	if m := col.next(t); string(m.Payload) != "next" {
		t.Fatalf("a new message with the released packet id: got %q, want next", m.Payload)
	}
}

func packetID(p packet.Packet) uint16 {
	switch p := p.(type) {
	case *packet.Pubrec:
		return p.PacketID
	case *packet.Pubcomp:
		return p.PacketID
	case *packet.Puback:
		return p.PacketID
	}
	return 0
}

// PUBACKs leave in arrival order after the handlers return, even when the
// first message's handler finishes last (MQTT-4.6.0-2).
func TestAcksInArrivalOrderAfterHandlers(t *testing.T) {
	r := newRecorder(t, acceptAll)
	c := dialURL(t, r.url)
	r.nextConnect(t)
	nc := <-r.conns
	var firstDone atomic.Bool
	h := mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
		if m.Topic == "ack/1" {
			time.Sleep(300 * time.Millisecond)
			firstDone.Store(true)
		}
		return nil
	})
	if _, err := c.Subscribe(testCtx(t, 10*time.Second), "ack/+", h, mqttkit.Workers(3)); err != nil {
		t.Fatal(err)
	}
	r.nextPacket(t) // SUBSCRIBE
	for id := uint16(1); id <= 3; id++ {
		sendTo(t, nc, &packet.Publish{Topic: "ack/" + itoa(int(id)), QoS: 1, PacketID: id})
	}
	for id := uint16(1); id <= 3; id++ {
		p := r.nextPacket(t)
		if a, ok := p.(*packet.Puback); !ok || a.PacketID != id {
			t.Fatalf("acknowledgement %d is %v, want PUBACK %d", id, p, id)
		}
		if !firstDone.Load() {
			t.Fatalf("PUBACK %d left before the first message's handler returned", id)
		}
	}
}

// Outbound topic aliases are off by default even when the server allows
// them, and with WithOutboundTopicAliases a repeated topic goes out as its
// alias alone.
func TestOutboundTopicAliasDefaultOff(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    []mqttkit.Option
		aliased bool
	}{
		{"default", nil, false},
		{"WithOutboundTopicAliases", []mqttkit.Option{mqttkit.WithOutboundTopicAliases()}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder(t, func(int, *packet.Connect) *packet.Connack {
				ack := &packet.Connack{}
				ack.Properties.TopicAliasMaximum = 10
				ack.Properties.Present = ack.Properties.Present.With(packet.PropTopicAliasMaximum)
				return ack
			})
			c := dialURL(t, r.url, tc.opts...)
			r.nextConnect(t)
			ctx := testCtx(t, 10*time.Second)
			for range 2 {
				if err := c.Publish(ctx, "alias/t", nil, mqttkit.QoS1); err != nil {
					t.Fatal(err)
				}
			}
			first, _ := r.nextPacket(t).(*packet.Publish)
			second, _ := r.nextPacket(t).(*packet.Publish)
			if first == nil || second == nil || first.Topic != "alias/t" {
				t.Fatalf("got %v and %v, want two PUBLISHes, the first with its topic", first, second)
			}
			gotAliased := second.Topic == "" && second.Properties.TopicAlias != 0 && second.Properties.TopicAlias == first.Properties.TopicAlias
			if gotAliased != tc.aliased || (!tc.aliased && (first.Properties.TopicAlias != 0 || second.Properties.TopicAlias != 0)) {
				t.Fatalf("PUBLISHes %v then %v: want aliased = %v", first, second, tc.aliased)
			}
		})
	}
}

// An acknowledgement for a packet id that awaits none is ignored and logged
// at Warn once per connection, not once per packet: after a reconnect the
// embedded broker answers some PUBRELs twice, and a run of
// TestQoS2WhileConnectionsDrop logged 723 such Warns.
func TestStrayAcksWarnOnce(t *testing.T) {
	r := newRecorder(t, acceptAll)
	logs := &logRecorder{t: t}
	c := dialURL(t, r.url, mqttkit.WithLogger(logs.logger()))
	r.nextConnect(t)
	nc := <-r.conns
	for id := uint16(20); id < 25; id++ {
		sendTo(t, nc, &packet.Puback{PacketID: id}, &packet.Pubcomp{PacketID: id})
	}
	// Its PUBACK comes after the stray ones, so they were read when it returns.
	if err := c.Publish(testCtx(t, 10*time.Second), "stray/t", []byte("x"), mqttkit.QoS1); err != nil {
		t.Fatal(err)
	}
	if n := logs.count("packet_id=2"); n != 1 { // ids 20 to 24
		t.Fatalf("10 stray acknowledgements logged %d warnings, want 1", n)
	}
}
