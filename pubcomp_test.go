package mqttkit_test

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// A QoS 2 publish whose PUBREL the server answers with PUBCOMP 0x92 Packet
// Identifier not found succeeds: the server accepted the message with its
// PUBREC, and after a reconnect 0x92 is how a server says it completed the
// exchange already (§3.7.2.1). Failing it made a publisher report a
// delivered message as lost. Neither broker sends 0x92 on demand, so a
// scripted server plays one.
func TestPubcompPacketIDNotFoundIsDelivered(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() { served <- serveQoS2(ln, packet.PacketIdentifierNotFound) }()
	ctx := testCtx(t, 10*time.Second)
	c, err := mqttkit.Dial(ctx, "mqtt://"+ln.Addr().String(), mqttkit.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Publish(ctx, "pubcomp/t", []byte("x"), mqttkit.QoS2); err != nil {
		t.Fatalf("Publish: %v, want success: the server took the message with PUBREC", err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().Published; n != 1 {
		t.Fatalf("Stats().Published = %d, want 1", n)
	}
}

// serveQoS2 accepts one client, answers its CONNECT and its QoS 2 PUBLISH
// with PUBREC, and its PUBREL with PUBCOMP code.
func serveQoS2(ln net.Listener, code packet.ReasonCode) error {
	nc, err := ln.Accept()
	if err != nil {
		return err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(nc)
	write := func(p packet.Packet) error {
		b, err := p.Append(nil, packet.V5)
		if err == nil {
			_, err = nc.Write(b)
		}
		return err
	}
	for {
		p, err := packet.ReadPacket(br, packet.V5, 0)
		if err != nil {
			return err
		}
		switch p := p.(type) {
		case *packet.Connect:
			err = write(&packet.Connack{})
		case *packet.Publish:
			err = write(&packet.Pubrec{PacketID: p.PacketID})
		case *packet.Pubrel:
			return write(&packet.Pubcomp{PacketID: p.PacketID, ReasonCode: code})
		}
		if err != nil {
			return err
		}
	}
}
