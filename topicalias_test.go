package mqttkit_test

import (
	"bufio"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// Inbound topic aliases: a server that replaces repeated topics by aliases
// (WithTopicAliasMaximum(2)) is understood; handlers see full topic names.
// Neither broker at hand sends aliases (Mosquitto 2.0.11 never does; the
// embedded broker turns mochi's off, whose resends lost their topic), so a
// small scripted server plays the broker. Aliases out of range and aliases
// never set on the connection are TestConnectionEndReasons' cases.
func TestInboundTopicAliases(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	aliased := func(topic string, alias uint16, payload string) *packet.Publish {
		p := &packet.Publish{Topic: topic, Payload: []byte(payload)}
		p.Properties.TopicAlias = alias
		return p
	}
	script := []*packet.Publish{
		aliased("ta/one", 1, "1"), aliased("", 1, "2"), aliased("ta/two", 2, "3"),
		aliased("", 2, "4"), aliased("", 1, "5"), aliased("ta/three", 1, "6"), aliased("", 1, "7"),
	}
	want := []string{"ta/one", "ta/one", "ta/two", "ta/two", "ta/one", "ta/three", "ta/three"}
	served := make(chan error, 1)
	go func() { served <- serveScript(ln, script) }()

	ctx := testCtx(t, 10*time.Second)
	c, err := mqttkit.Dial(ctx, "mqtt://"+ln.Addr().String(), mqttkit.WithTopicAliasMaximum(2))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close() // on an early failure; closed below otherwise
	col := newCollector(len(script))
	if _, err := c.Subscribe(ctx, "ta/#", col, mqttkit.AtMostOnce); err != nil {
		t.Fatal(err)
	}
	for i, topic := range want {
		m := col.next(t)
		if m.Topic != topic || string(m.Payload) != string(script[i].Payload) {
			t.Fatalf("message %d: got %q on %q, want %q on %q", i+1, m.Payload, m.Topic, script[i].Payload, topic)
		}
	}
	_ = c.Close()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

// serveScript accepts one connection, answers CONNACK (allowing aliases)
// and SUBACK, and then sends script.
func serveScript(ln net.Listener, script []*packet.Publish) error {
	nc, err := ln.Accept()
	if err != nil {
		return err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)
	send := func(p packet.Packet) error {
		b, err := p.Append(nil, packet.V5)
		if err == nil {
			_, err = nc.Write(b)
		}
		return err
	}
	if _, err := packet.ReadPacket(br, packet.V5, 0); err != nil {
		return err
	}
	if err := send(&packet.Connack{}); err != nil {
		return err
	}
	p, err := packet.ReadPacket(br, packet.V5, 0)
	if err != nil {
		return err
	}
	sub, ok := p.(*packet.Subscribe)
	if !ok {
		return fmt.Errorf("got %v, want SUBSCRIBE", p)
	}
	if err := send(&packet.Suback{PacketID: sub.PacketID, ReasonCodes: []packet.ReasonCode{0}}); err != nil {
		return err
	}
	for _, p := range script {
		if err := send(p); err != nil {
			return err
		}
	}
	// Wait for the client to leave, so that nothing is cut short.
	_, _ = packet.ReadPacket(br, packet.V5, 0)
	return nil
}
