package broker_test

import (
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
		// Session Expiry 0; the first connection starts clean, the others
		// resume what the broker still holds.
		c, ack := connectRaw(t, addr, &packet.Connect{ProtocolVersion: packet.V5, CleanStart: i == 0, KeepAlive: 60, ClientID: "race-sub"})
		if !ack.SessionPresent {
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
		old = c
	}
}
