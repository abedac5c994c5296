package broker_test

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
	"github.com/mqttkit/mqttkit/packet"
)

// A client whose session ends with its connection (Session Expiry 0) and
// that reconnects at once keeps receiving: the new connection either resumes
// the session with its subscription or starts a new one, in which the client
// subscribes again. mochi v2.7.9 ends such a session after the connection's
// read loop returns, and when the client's next connection took over in
// between, that end removed the new connection's subscriptions, or the new
// connection itself from the registry, while its CONNACK said the session
// was present: the client, trusting it, got nothing more.
func TestReconnectRacesSessionEnd(t *testing.T) {
	_, addr := start(t, nil)
	pub := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "race-pub"})
	var old *rawClient
	for i := range 150 {
		if old != nil {
			// Cut the connection and come back at once: the broker ends the
			// old session while it reads the new CONNECT.
			_ = old.conn.(*net.TCPConn).SetLinger(0)
			_ = old.conn.Close()
		}
		c := connectRaw(t, addr, "race-sub", i == 0)
		if !c.present {
			c.subscribe("race/t", 1)
		}
		pub.Publish(t, "race/t", 1, false, []byte{byte(i)})
		for {
			p := c.nextPublish(5 * time.Second)
			c.send(&packet.Puback{PacketID: p.PacketID})
			if len(p.Payload) == 1 && p.Payload[0] == byte(i) {
				break // an earlier one may come again in a resumed session
			}
		}
		old = c.rawClient
	}
}

// rawSession is a rawClient with its CONNACK's Session Present flag.
type rawSession struct {
	*rawClient
	present bool
}

// connectRaw connects as id with Session Expiry 0, resuming what the broker
// still holds unless clean.
func connectRaw(t *testing.T, addr, id string, clean bool) rawSession {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{t: t, conn: conn, br: bufio.NewReader(conn)}
	c.send(&packet.Connect{ProtocolVersion: packet.V5, CleanStart: clean, KeepAlive: 60, ClientID: id})
	ack, ok := c.read(5 * time.Second).(*packet.Connack)
	if !ok || ack.ReasonCode != 0 {
		t.Fatalf("CONNACK: %v", ack)
	}
	return rawSession{c, ack.SessionPresent}
}
