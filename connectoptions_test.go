package mqttkit_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/packet"
)

func acceptAll(int, *packet.Connect) *packet.Connack { return &packet.Connack{} }

// Every connect option of issue 4 is on the wire in CONNECT: client id,
// credentials, keepalive, clean start, session expiry, Receive Maximum,
// Maximum Packet Size, Topic Alias Maximum, user properties, and the will
// with its delay and properties. No broker at hand reports what a CONNECT
// carried, so a recording server reads it.
func TestConnectPacket(t *testing.T) {
	r := newRecorder(t, acceptAll)
	will := mqttkit.Will{Topic: "w/t", Payload: []byte("bye"), QoS: mqttkit.QoS1, Retain: true, Delay: 5 * time.Second,
		Properties: packet.Properties{MessageExpiryInterval: 60, ContentType: "text/plain", ResponseTopic: "w/r",
			CorrelationData: []byte{1}, UserProperties: []packet.UserProperty{{Key: "wk", Value: "wv"}}}}
	will.Properties.Present = will.Properties.Present.With(packet.PropMessageExpiryInterval)
	_ = dialURL(t, r.url, mqttkit.WithClientID("audit-1"), mqttkit.WithCredentials("user", "pw"),
		mqttkit.WithKeepAlive(7*time.Second), mqttkit.WithCleanStart(false), mqttkit.WithSessionExpiry(90*time.Second),
		mqttkit.WithReceiveMaximum(33), mqttkit.WithMaxPacketSize(5000), mqttkit.WithTopicAliasMaximum(4),
		mqttkit.WithConnectUserProperty("k1", "v1"), mqttkit.WithConnectUserProperty("k2", "v2"), mqttkit.WithWill(will))
	c := r.nextConnect(t)
	p := c.Properties
	for _, chk := range []struct {
		what string
		ok   bool
	}{
		{"client id audit-1", c.ClientID == "audit-1"},
		{"credentials", c.Username == "user" && string(c.Password) == "pw"},
		{"keepalive 7", c.KeepAlive == 7},
		{"clean start 0", !c.CleanStart},
		{"session expiry 90", p.SessionExpiryInterval == 90},
		{"receive maximum 33", p.ReceiveMaximum == 33},
		{"maximum packet size 5000", p.MaximumPacketSize == 5000},
		{"topic alias maximum 4", p.TopicAliasMaximum == 4},
		{"user properties k1=v1 k2=v2", len(p.UserProperties) == 2 && p.UserProperties[0] == packet.UserProperty{Key: "k1", Value: "v1"} &&
			p.UserProperties[1] == packet.UserProperty{Key: "k2", Value: "v2"}},
		{"will", c.Will != nil && c.Will.Topic == "w/t" && string(c.Will.Payload) == "bye" && c.Will.QoS == 1 && c.Will.Retain},
		{"will delay 5", c.Will != nil && c.Will.Properties.WillDelayInterval == 5},
		{"will properties", c.Will != nil && c.Will.Properties.MessageExpiryInterval == 60 && c.Will.Properties.ContentType == "text/plain" &&
			c.Will.Properties.ResponseTopic == "w/r" && string(c.Will.Properties.CorrelationData) == "\x01" &&
			len(c.Will.Properties.UserProperties) == 1},
	} {
		if !chk.ok {
			t.Errorf("CONNECT lacks %s: %+v", chk.what, c)
		}
	}
}

// The session defaults of issue 4: a plain client with a fixed id starts
// clean with 60 s; a client without an id gets a generated one, different
// for each client. (A consumer group's session: groupsession_test.go.)
func TestSessionDefaults(t *testing.T) {
	r := newRecorder(t, acceptAll)
	_ = dialURL(t, r.url, mqttkit.WithClientID("plain-1"))
	if c := r.nextConnect(t); !c.CleanStart || c.Properties.SessionExpiryInterval != 60 {
		t.Errorf("plain client: clean start %v, session expiry %d; want 1 and 60", c.CleanStart, c.Properties.SessionExpiryInterval)
	}
	a, b := dialURL(t, r.url), dialURL(t, r.url)
	ca, cb := r.nextConnect(t), r.nextConnect(t)
	if ca.ClientID == "" || cb.ClientID == "" || ca.ClientID == cb.ClientID {
		t.Errorf("generated client ids %q and %q: want two different non-empty ids", ca.ClientID, cb.ClientID)
	}
	if a.ClientID() == b.ClientID() {
		t.Errorf("ClientID() = %q for both clients", a.ClientID())
	}
}

// A client id assigned by the server in CONNACK is used from then on,
// and on every reconnect.
func TestAssignedClientIDReused(t *testing.T) {
	r := newRecorder(t, func(n int, _ *packet.Connect) *packet.Connack {
		ack := &packet.Connack{SessionPresent: n > 1}
		if n == 1 {
			ack.Properties.AssignedClientIdentifier = "server-given-7"
		}
		return ack
	})
	c := dialURL(t, r.url)
	first := r.nextConnect(t)
	if got := c.ClientID(); got != "server-given-7" {
		t.Fatalf("ClientID() = %q after CONNACK assigned server-given-7", got)
	}
	(<-r.conns).Close() // the connection drops: the client reconnects
	if again := r.nextConnect(t); again.ClientID != "server-given-7" || again.CleanStart {
		t.Fatalf("reconnect CONNECT: client id %q clean start %v; want server-given-7 and 0 (first was %q)", again.ClientID, again.CleanStart, first.ClientID)
	}
}

// The server's Keep Alive in CONNACK replaces the client's: a client that
// asked for 60 s pings within the server's 1 s.
func TestServerKeepAliveHonoured(t *testing.T) {
	r := newRecorder(t, func(int, *packet.Connect) *packet.Connack {
		ack := &packet.Connack{}
		ack.Properties.ServerKeepAlive = 1
		ack.Properties.Present = ack.Properties.Present.With(packet.PropServerKeepAlive)
		return ack
	})
	_ = dialURL(t, r.url, mqttkit.WithKeepAlive(time.Minute))
	if c := r.nextConnect(t); c.KeepAlive != 60 {
		t.Fatalf("CONNECT keepalive %d, want 60", c.KeepAlive)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case p := <-r.got:
			if _, ok := p.(*packet.Pingreq); ok {
				return
			}
		case <-deadline:
			t.Fatal("no PINGREQ within 5s although the server's keepalive is 1s")
		}
	}
}

// PINGREQ leaves only when the connection is idle: none while QoS 1
// publishes and their PUBACKs flow every 100 ms for 3 keepalives, and one
// soon after the traffic stops.
func TestPingOnlyWhenIdle(t *testing.T) {
	r := newRecorder(t, acceptAll)
	c := dialURL(t, r.url, mqttkit.WithKeepAlive(time.Second))
	r.nextConnect(t)
	ctx := testCtx(t, 20*time.Second)
	for range 30 {
		if err := c.Publish(ctx, "busy/t", nil, mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for len(r.got) > 0 {
		if _, ok := (<-r.got).(*packet.Pingreq); ok {
			t.Fatal("PINGREQ sent while publishes and acknowledgements flowed every 100ms (keepalive 1s)")
		}
	}
	select {
	case p := <-r.got:
		if _, ok := p.(*packet.Pingreq); !ok {
			t.Fatalf("got %v after the traffic stopped, want PINGREQ", p)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no PINGREQ within 3s of idleness (keepalive 1s)")
	}
}

// WithConnectTimeout bounds each attempt: a server that accepts and never
// answers CONNECT is given up after the timeout and tried again.
func TestConnectTimeout(t *testing.T) {
	r := newRecorder(t, func(int, *packet.Connect) *packet.Connack { return nil })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := mqttkit.Dial(ctx, r.url, mqttkit.WithConnectTimeout(200*time.Millisecond),
		mqttkit.WithBackoff(10*time.Millisecond, 50*time.Millisecond), mqttkit.WithLogger(testLogger(t)))
	if err == nil {
		_ = c.Close()
		t.Fatal("Dial succeeded without a CONNACK")
	}
	if n := len(r.connects); n < 3 {
		t.Fatalf("%d CONNECTs in 3s with a 200ms connect timeout: the attempt was not bounded", n)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	start := time.Now()
	_, err = mqttkit.Dial(ctx2, r.url, mqttkit.WithConnectTimeout(200*time.Millisecond), mqttkit.WithDialOnce(), mqttkit.WithLogger(testLogger(t)))
	if err == nil || ctx2.Err() != nil {
		t.Fatalf("WithDialOnce and a silent server: Dial returned %v after %v, want an error before its context ended", err, time.Since(start))
	}
	t.Logf("error: %v", err)
}

// A CONNACK refusal that retrying cannot fix ends Dial with a *ReasonError
// after one attempt.
func TestRefusalEndsDial(t *testing.T) {
	for _, code := range []packet.ReasonCode{packet.ProtocolError, packet.UnsupportedProtocolVersion, packet.ClientIdentifierNotValid, packet.Banned} {
		t.Run(code.String(), func(t *testing.T) {
			r := newRecorder(t, func(int, *packet.Connect) *packet.Connack {
				ack := &packet.Connack{ReasonCode: code}
				ack.Properties.ReasonString = "audit says no"
				return ack
			})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := mqttkit.Dial(ctx, r.url, mqttkit.WithBackoff(10*time.Millisecond, 50*time.Millisecond), mqttkit.WithLogger(testLogger(t)))
			if err == nil {
				_ = c.Close()
				t.Fatal("Dial succeeded")
			}
			var re *mqttkit.ReasonError
			if !errors.As(err, &re) || re.Code != code || !strings.Contains(err.Error(), "audit says no") {
				t.Fatalf("err = %T %v: want a *ReasonError with code %v and the server's reason string", err, err, code)
			}
			if ctx.Err() != nil || len(r.connects) != 1 {
				t.Fatalf("%d CONNECTs, context ended: %v; want one attempt", len(r.connects), ctx.Err() != nil)
			}
		})
	}
}

// deadURL returns a loopback URL where nothing listens.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "mqtt://" + ln.Addr().String()
	_ = ln.Close()
	return url
}

// Dial tries a URL list in turn (comma-separated, then WithServers; mqtt://
// and tcp://), and a reconnect moves on to the next server when the current
// one refuses.
func TestServerListTriedInTurn(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		var mu sync.Mutex
		var servers []string
		record := func(_ *mqttkit.Client, ci mqttkit.ConnectInfo) {
			mu.Lock()
			servers = append(servers, ci.Server)
			mu.Unlock()
		}
		dead := deadURL(t)
		direct := "tcp://" + strings.TrimPrefix(srv.DirectURL(), "mqtt://")
		c := dialURL(t, dead+","+srv.URL(), mqttkit.WithServers(direct), mqttkit.OnConnect(record))
		mu.Lock()
		if len(servers) != 1 || servers[0] != srv.URL() {
			t.Errorf("first connection to %v, want %s after the dead %s", servers, srv.URL(), dead)
		}
		mu.Unlock()
		srv.Proxy().Refuse(true)
		srv.DropClients()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n := len(servers)
			mu.Unlock()
			if n >= 2 && c.Connected() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no reconnect within 10s while the direct URL was up")
			}
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		if servers[1] != direct {
			t.Errorf("reconnected to %s, want %s (the only one left)", servers[1], direct)
		}
		mu.Unlock()
		if err := c.Publish(testCtx(t, 10*time.Second), "list/t", nil, mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
	})
}

// The lifecycle hooks: OnConnect after every connection, OnConnectionLost
// with the cause when one ends, OnReconnect after each reconnect (not the
// first connection), in that order.
func TestLifecycleHooks(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		events := make(chan string, 16)
		c := dial(t, srv,
			mqttkit.OnConnect(func(_ *mqttkit.Client, ci mqttkit.ConnectInfo) { events <- "connect" }),
			mqttkit.OnConnectionLost(func(_ *mqttkit.Client, err error) {
				if err == nil {
					events <- "lost without an error"
					return
				}
				events <- "lost"
			}),
			mqttkit.OnReconnect(func(_ *mqttkit.Client, ci mqttkit.ConnectInfo) { events <- "reconnect" }))
		next := func() string {
			select {
			case e := <-events:
				return e
			case <-time.After(10 * time.Second):
				return "nothing within 10s"
			}
		}
		if e := next(); e != "connect" {
			t.Fatalf("first event %q, want connect", e)
		}
		srv.DropClients()
		got := []string{next(), next(), next()}
		if got[0] != "lost" || !(got[1] == "connect" && got[2] == "reconnect" || got[1] == "reconnect" && got[2] == "connect") {
			t.Fatalf("events after a drop %v, want lost, then connect and reconnect", got)
		}
		_ = c.Close()
		select {
		case e := <-events:
			t.Fatalf("event %q after Close", e)
		case <-time.After(100 * time.Millisecond):
		}
	})
}

// Network errors are retried with backoff, not in a tight loop: a server
// that closes every connection at once sees a bounded number of attempts,
// more than one, while Dial's context lasts. (With WithBackoff(20ms,
// 200ms) and full jitter, 2 s allow about 20; a loop without backoff
// makes thousands.)
func TestBackoffBetweenAttempts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan int, 1)
	go func() {
		n := 0
		defer func() { accepted <- n }()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			n++
			_ = nc.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := mqttkit.Dial(ctx, "mqtt://"+ln.Addr().String(), mqttkit.WithBackoff(20*time.Millisecond, 200*time.Millisecond),
		mqttkit.WithLogger(testLogger(t)))
	if err == nil {
		_ = c.Close()
		t.Fatal("Dial succeeded against a server that closes every connection")
	}
	_ = ln.Close()
	n := <-accepted
	t.Logf("%d attempts in 2s", n)
	if n < 3 || n > 60 {
		t.Fatalf("%d connection attempts in 2s with backoff 20ms..200ms, want between 3 and 60", n)
	}
}
