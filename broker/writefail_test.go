package broker_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
	"github.com/mqttkit/mqttkit/packet"
)

// TestPublishRoutedWhenItsAckCannotBeWritten covers mochi v2.7.9's
// processPublish, which returns before routing a QoS 1 message when
// writing its PUBACK fails, although it keeps the PUBACK for the next
// connection. Publishers here reset their socket right after a PUBLISH,
// so the broker's PUBACK write often fails; every PUBLISH the broker read
// must still reach the subscriber.
func TestPublishRoutedWhenItsAckCannotBeWritten(t *testing.T) {
	b, addr := start(t, nil)
	sub := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "counter"})
	sub.Subscribe(t, "reset/#", 1)

	const publishers = 300
	deadline := time.Now().Add(10 * time.Second)
	sent := 0
	for i := 0; i < publishers && time.Now().Before(deadline); i++ {
		publishAndReset(t, addr, fmt.Sprintf("reset-%d", i))
		sent++
	}
	// Every PUBLISH the broker read, and only those, is counted in MessagesIn.
	var in int64
	got := 0
	quiet := time.Now()
	for time.Since(quiet) < 2*time.Second {
		if m := sub.Next(100 * time.Millisecond); m != nil {
			got++
			quiet = time.Now()
		}
		in = b.Server().Stats().MessagesIn
		if int64(got) == in && time.Since(quiet) > 500*time.Millisecond {
			break
		}
	}
	t.Logf("%d publishers, %d PUBLISH read by the broker, %d delivered", sent, in, got)
	if in == 0 {
		t.Fatal("the broker read no PUBLISH at all; the test provoked nothing")
	}
	if int64(got) != in {
		t.Fatalf("the broker read %d PUBLISH packets but routed only %d to the subscriber", in, got)
	}
}

// publishAndReset connects as id, sends one QoS 1 PUBLISH and resets the
// connection at once (linger 0), so the PUBACK meets a closed socket.
func publishAndReset(t *testing.T, addr, id string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	conn, err := (&packet.Connect{ProtocolVersion: packet.V5, ClientID: id, CleanStart: true}).Append(nil, packet.V5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(conn); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 64)
	if _, err := c.Read(ack); err != nil {
		t.Fatalf("reading CONNACK: %v", err)
	}
	pub, err := (&packet.Publish{Topic: "reset/" + id, QoS: 1, PacketID: 1, Payload: []byte(id)}).Append(nil, packet.V5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(pub); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).SetLinger(0)
}
