package mqttkit_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// qos2AfterPubrel publishes one QoS 2 message to a recording server that
// answers PUBREC, drops the connection when the PUBREL comes, and answers
// the reconnect with Session Present = present. It returns the recorder
// and the publish's result.
func qos2AfterPubrel(t *testing.T, present bool, pubcomp packet.ReasonCode) (*recorder, *mqttkit.PublishResult) {
	var pubrels atomic.Int64
	r := newScriptedRecorder(t, func(n int, _ *packet.Connect) *packet.Connack {
		return &packet.Connack{SessionPresent: n > 1 && present}
	}, func(p packet.Packet) packet.Packet {
		switch p := p.(type) {
		case *packet.Publish:
			if p.QoS == 2 {
				return &packet.Pubrec{PacketID: p.PacketID}
			}
		case *packet.Pubrel:
			if pubrels.Add(1) > 1 { // the first goes unanswered: dropped below
				return &packet.Pubcomp{PacketID: p.PacketID, ReasonCode: pubcomp}
			}
		}
		return nil
	})
	c := dialURL(t, r.url)
	r.nextConnect(t)
	nc := <-r.conns
	res := c.PublishAsync(testCtx(t, 20*time.Second), "q2/t", []byte("x"), mqttkit.QoS2)
	for {
		if _, ok := r.nextPacket(t).(*packet.Pubrel); ok {
			break
		}
	}
	_ = nc.Close() // before PUBCOMP
	r.nextConnect(t)
	return r, res
}

// The session is present and the client resends the PUBREL; the server
// had already completed the message (its PUBCOMP was lost with the
// connection) and answers PUBCOMP 0x92 Packet Identifier not found, as
// §4.3.3 allows. The PUBREC 0x00 had already made the message the
// server's: the publish succeeds (before 3de6f00 it failed, and a caller
// that retried sent a duplicate at QoS 2).
func TestQoS2Pubcomp0x92AfterResentPubrel(t *testing.T) {
	_, res := qos2AfterPubrel(t, true, packet.PacketIdentifierNotFound)
	if err := res.Wait(testCtx(t, 5*time.Second)); err != nil {
		t.Fatalf("publish accepted by PUBREC 0x00, then PUBCOMP 0x92 to the resent PUBREL: err = %v, want nil", err)
	}
}

// Issue 4: "In-flight QoS 1/2 are resent with DUP on reconnect when the
// session is present, and re-published when it is not." A QoS 2 message
// whose PUBREC arrived (PUBREL sent, PUBCOMP not yet) when the connection
// dropped, and the server then has no session: the server that held the
// message until PUBREL (Mosquitto does) has lost it: the client publishes
// it again (before d5cf35a it reported the publish delivered instead).
func TestQoS2RepublishedWhenSessionLost(t *testing.T) {
	r, res := qos2AfterPubrel(t, false, 0)
	deadline := time.After(3 * time.Second)
	for {
		select {
		case p := <-r.got:
			if pub, ok := p.(*packet.Publish); ok && pub.Topic == "q2/t" {
				return // re-published
			}
		case <-res.Done():
			if res.Err() == nil {
				t.Fatal("the publish completed successfully without a PUBCOMP and without being re-published to the new session")
			}
		case <-deadline:
			t.Fatal("not re-published within 3s on a connection without the session")
		}
	}
}
