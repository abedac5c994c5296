package mqttkit_test

import (
	"bufio"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/packet"
)

// Close sends DISCONNECT and leaves the connection open until the server
// closes it (for at most a second). A server reads a connection in order,
// so everything the client sent before DISCONNECT, its last
// acknowledgements included, is then processed before the client can open
// a connection that resumes the session. Closing at once let the embedded
// broker take the session over before it read the old connection's last
// PUBACK, and redeliver a message Drain had acknowledged
// (TestDrainFinishesHandlers, under load).
func TestCloseWaitsForServerToClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	result := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			result <- err
			return
		}
		defer nc.Close()
		br := bufio.NewReader(nc)
		if _, err := packet.ReadPacket(br, packet.V5, 0); err != nil { // CONNECT
			result <- err
			return
		}
		b, _ := (&packet.Connack{}).Append(nil, packet.V5)
		if _, err := nc.Write(b); err != nil {
			result <- err
			return
		}
		for {
			p, err := packet.ReadPacket(br, packet.V5, 0)
			if err != nil {
				result <- err
				return
			}
			if _, ok := p.(*packet.Disconnect); ok {
				break
			}
		}
		time.Sleep(100 * time.Millisecond) // a server slow to close
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		_, err = br.ReadByte()
		result <- err // a timeout: the client still holds the connection open
	}()
	c := dialURL(t, "mqtt://"+ln.Addr().String())
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	var ne net.Error
	if err := <-result; !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("the client closed the connection before the server did (the server read %v 100 ms after DISCONNECT)", err)
	}
}
