package mqttkit_test

import (
	"bufio"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/packet"
)

// recorder is a scripted MQTT server that, unlike fakeServer, reports the
// CONNECT of every connection and keeps connections open: for what only the
// wire shows (CONNECT fields, when PINGREQs leave) and for CONNACKs that no
// broker at hand sends (Server Keep Alive, an assigned client id).
type recorder struct {
	url      string
	connects chan *packet.Connect // every CONNECT, in order
	got      chan packet.Packet   // every later packet from the client
	conns    chan net.Conn        // every accepted connection, to drop them
}

// newRecorder starts a recorder: connack answers the n-th CONNECT (from 1),
// or nil to leave it unanswered; PINGREQ gets PINGRESP, SUBSCRIBE a SUBACK
// granting QoS 1, a QoS 1 PUBLISH a PUBACK.
func newRecorder(t *testing.T, connack func(n int, c *packet.Connect) *packet.Connack) *recorder {
	t.Helper()
	return newScriptedRecorder(t, connack, nil)
}

// newScriptedRecorder is newRecorder where answer, when it returns a
// packet, replaces the default answer to a packet from the client (nil:
// the default; a PUBLISH answered with nil at QoS 2 gets nothing).
func newScriptedRecorder(t *testing.T, connack func(n int, c *packet.Connect) *packet.Connack, answer func(packet.Packet) packet.Packet) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{url: "mqtt://" + ln.Addr().String(), connects: make(chan *packet.Connect, 64),
		got: make(chan packet.Packet, 1024), conns: make(chan net.Conn, 64)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, nc := range open {
			_ = nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; ; n++ {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open = append(open, nc)
			mu.Unlock()
			r.conns <- nc
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				r.serve(nc, n, connack, answer)
			}()
		}
	}()
	return r
}

func (r *recorder) serve(nc net.Conn, n int, connack func(int, *packet.Connect) *packet.Connack, answer func(packet.Packet) packet.Packet) {
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second)) // bounded
	br := bufio.NewReader(nc)
	send := func(p packet.Packet) {
		if b, err := p.Append(nil, packet.V5); err == nil {
			_, _ = nc.Write(b)
		}
	}
	p, err := packet.ReadPacket(br, packet.V5, 0)
	if err != nil {
		return
	}
	c, ok := p.(*packet.Connect)
	if !ok {
		return
	}
	r.connects <- c
	if ack := connack(n, c); ack != nil {
		send(ack)
	}
	for {
		p, err := packet.ReadPacket(br, packet.V5, 0)
		if err != nil {
			return
		}
		select {
		case r.got <- p:
		default:
		}
		if _, ok := p.(*packet.Disconnect); ok {
			return // closed, as a server does: the client's Close waits for it
		}
		if answer != nil {
			if a := answer(p); a != nil {
				send(a)
				continue
			}
		}
		switch p := p.(type) {
		case *packet.Pingreq:
			send(&packet.Pingresp{})
		case *packet.Subscribe:
			codes := make([]packet.ReasonCode, len(p.Subscriptions))
			for i := range codes {
				codes[i] = packet.GrantedQoS1
			}
			send(&packet.Suback{PacketID: p.PacketID, ReasonCodes: codes})
		case *packet.Publish:
			if p.QoS == 1 {
				send(&packet.Puback{PacketID: p.PacketID})
			}
		}
	}
}

// nextConnect waits for the next CONNECT.
func (r *recorder) nextConnect(t *testing.T) *packet.Connect {
	t.Helper()
	return receive(t, r.connects, "CONNECT")
}
