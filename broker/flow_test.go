package broker_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
	"github.com/mqttkit/mqttkit/packet"
)

// rawClient is an MQTT v5 client made of packets, for tests that need
// control over every acknowledgement.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

// dialRaw connects as id with Receive Maximum rm (0: none announced) and
// optionally a session that outlives the connection; adjust changes the
// CONNECT further.
func dialRaw(t *testing.T, addr, id string, rm uint16, keepSession bool, adjust ...func(*packet.Connect)) *rawClient {
	t.Helper()
	cp := &packet.Connect{ProtocolVersion: packet.V5, CleanStart: !keepSession, KeepAlive: 60, ClientID: id}
	cp.Properties.ReceiveMaximum = rm
	if keepSession {
		cp.Properties.SessionExpiryInterval = 600
	}
	for _, f := range adjust {
		f(cp)
	}
	c, _ := connectRaw(t, addr, cp)
	return c
}

// connectRaw connects with cp and returns the client and its successful
// CONNACK.
func connectRaw(t *testing.T, addr string, cp *packet.Connect) (*rawClient, *packet.Connack) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{t: t, conn: conn, br: bufio.NewReader(conn)}
	c.send(cp)
	ack, ok := c.read(5 * time.Second).(*packet.Connack)
	if !ok || ack.ReasonCode != 0 {
		t.Fatalf("CONNACK: %v", ack)
	}
	return c, ack
}

func (c *rawClient) send(p packet.Packet) {
	c.t.Helper()
	b, err := p.Append(nil, packet.V5)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next packet, failing the test when none arrives in d.
func (c *rawClient) read(d time.Duration) packet.Packet {
	c.t.Helper()
	p, err := c.tryRead(d)
	if err != nil {
		c.t.Fatalf("no packet within %v: %v", d, err)
	}
	return p
}

// tryRead returns the next packet or the read error (a timeout after d).
func (c *rawClient) tryRead(d time.Duration) (packet.Packet, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	return packet.ReadPacket(c.br, packet.V5, 0)
}

func (c *rawClient) subscribe(filter string, qos byte) {
	c.t.Helper()
	c.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: filter, QoS: packet.QoS(qos)}}})
	if _, ok := c.read(5 * time.Second).(*packet.Suback); !ok {
		c.t.Fatal("no SUBACK")
	}
}

// nextPublish returns the next PUBLISH, skipping nothing: any other packet
// fails the test.
func (c *rawClient) nextPublish(d time.Duration) *packet.Publish {
	c.t.Helper()
	switch p := c.read(d).(type) {
	case *packet.Publish:
		cp := *p
		cp.Payload = append([]byte(nil), p.Payload...)
		return &cp
	default:
		c.t.Fatalf("got %T, want PUBLISH", p)
		return nil
	}
}

// expectSilence fails the test if a packet arrives within d.
func (c *rawClient) expectSilence(d time.Duration, why string) {
	c.t.Helper()
	p, err := c.tryRead(d)
	if err == nil {
		c.t.Fatalf("%s, but got %T %+v", why, p, p)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		c.t.Fatalf("%s, but the connection failed: %v", why, err)
	}
}

// A client's Receive Maximum is never exceeded, later messages wait in
// order, and each acknowledgement lets exactly one more through.
func TestReceiveMaximumHoldsBackPublishes(t *testing.T) {
	_, addr := start(t, nil)
	for _, qos := range []byte{1, 2} {
		t.Run(fmt.Sprintf("qos%d", qos), func(t *testing.T) {
			const window, total = 3, 20
			topic := fmt.Sprintf("flow/%d", qos)
			c := dialRaw(t, addr, topic, window, false)
			c.subscribe(topic, qos)
			pub := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "pub-" + strconv.Itoa(int(qos))})
			for i := range total {
				pub.Publish(t, topic, qos, false, []byte(strconv.Itoa(i)))
			}
			var unacked []*packet.Publish
			for range window {
				unacked = append(unacked, c.nextPublish(5*time.Second))
			}
			c.expectSilence(300*time.Millisecond, "a fourth PUBLISH must wait for an acknowledgement")
			next := 0
			for next < total {
				p := unacked[0]
				unacked = unacked[1:]
				if want := strconv.Itoa(next); string(p.Payload) != want {
					t.Fatalf("message %q arrived where %q was due", p.Payload, want)
				}
				next++
				if qos == 1 {
					c.send(&packet.Puback{PacketID: p.PacketID})
				} else {
					c.send(&packet.Pubrec{PacketID: p.PacketID})
					if _, ok := c.read(5 * time.Second).(*packet.Pubrel); !ok {
						t.Fatal("no PUBREL after PUBREC")
					}
					c.send(&packet.Pubcomp{PacketID: p.PacketID})
				}
				if next+len(unacked) < total {
					unacked = append(unacked, c.nextPublish(5*time.Second))
				}
			}
			c.expectSilence(200*time.Millisecond, "every message was delivered once")
		})
	}
}

// A subscriber with a small Receive Maximum, fed by several publishers at
// once, gets every message. On plain mochi v2.7.9 this deadlocks: with the
// send quota exhausted, Inflight.NextImmediate read-locks the in-flight map
// twice and a publisher's Inflight.Set in between blocks both for ever.
func TestSmallReceiveMaximumUnderConcurrentLoad(t *testing.T) {
	_, addr := start(t, nil)
	const publishers, each = 4, 500
	sub := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "busy", ReceiveMaximum: 5})
	sub.Subscribe(t, "load/#", 1)
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := pahotest.MustDial(t, addr, pahotest.Options{ClientID: fmt.Sprintf("load-%d", p)})
			for i := range each {
				c.Publish(t, fmt.Sprintf("load/%d", p), 1, false, []byte(strconv.Itoa(i)))
			}
		}()
	}
	seen := map[string]bool{}
	for len(seen) < publishers*each {
		m := sub.Next(10 * time.Second)
		if m == nil {
			t.Fatalf("stalled after %d of %d messages", len(seen), publishers*each)
		}
		seen[m.Topic+"/"+string(m.Payload)] = true
	}
	wg.Wait()
}

// A session resumed with more queued messages than the client's Receive
// Maximum gets them a window at a time (mochi resends a whole session at
// once).
func TestResumedSessionRespectsReceiveMaximum(t *testing.T) {
	_, addr := start(t, nil)
	const window, total = 2, 10
	c := resumeWithQueue(t, addr, "resume-flow", window, total)
	got := map[string]bool{}
	var unacked []*packet.Publish
	for range window {
		unacked = append(unacked, c.nextPublish(5*time.Second))
	}
	c.expectSilence(300*time.Millisecond, "the resumed session must respect the Receive Maximum")
	for len(unacked) > 0 {
		p := unacked[0]
		unacked = unacked[1:]
		got[string(p.Payload)] = true
		c.send(&packet.Puback{PacketID: p.PacketID})
		if len(got)+len(unacked) < total {
			unacked = append(unacked, c.nextPublish(5*time.Second))
		}
	}
	if len(got) != total {
		t.Fatalf("got %d distinct messages, want %d: %v", len(got), total, got)
	}
}

// A resumed session's queued messages come back in the order they were
// published (MQTT-4.6.0-1); mochi v2.7.9 sends those of one second in Go
// map order.
func TestResumedSessionKeepsOrder(t *testing.T) {
	_, addr := start(t, nil)
	const total = 200
	c := resumeWithQueue(t, addr, "order", 0, total)
	for i := range total {
		p := c.nextPublish(5 * time.Second)
		if want := strconv.Itoa(i); string(p.Payload) != want {
			t.Fatalf("message %q arrived where %q was due", p.Payload, want)
		}
		c.send(&packet.Puback{PacketID: p.PacketID})
	}
}

// resumeWithQueue subscribes client id (Receive Maximum rm) at QoS 1 to
// the topic named after it, leaves, has total messages "0", "1", …
// published to its session while it is away, and resumes the session.
func resumeWithQueue(t *testing.T, addr, id string, rm uint16, total int) *rawClient {
	t.Helper()
	c := dialRaw(t, addr, id, rm, true)
	c.subscribe(id+"/t", 1)
	_ = c.conn.Close()
	time.Sleep(100 * time.Millisecond) // let the broker see the connection end
	pub := pahotest.MustDial(t, addr, pahotest.Options{ClientID: id + "-pub"})
	for i := range total {
		pub.Publish(t, id+"/t", 1, false, []byte(strconv.Itoa(i)))
	}
	return dialRaw(t, addr, id, rm, true)
}
