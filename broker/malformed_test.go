package broker_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
	"github.com/mqttkit/mqttkit/packet"
)

// stage says what a malformed input follows on its connection.
type stage int

const (
	first     stage = iota // the input is the connection's first bytes
	afterV5                // after a valid MQTT v5 CONNECT and its CONNACK
	afterV311              // after a valid MQTT 3.1.1 CONNECT and its CONNACK
)

// malformedCase is one input the broker must answer by closing that one
// connection (after DISCONNECT with wantCode, for v5 where the spec asks).
type malformedCase struct {
	name     string
	stage    stage
	in       []byte
	wantCode packet.ReasonCode // 0: any reason >= 0x80; ignored before CONNECT and for v3.1.1
	// clientGone marks input that ends inside a packet: the client has
	// closed its side, so there is nobody to send a DISCONNECT to.
	clientGone bool
}

// testMaxPacketSize is the broker's limit in these tests.
const testMaxPacketSize = 1024

func malformedCases() []malformedCase {
	return []malformedCase{
		{"mochi issue 501: truncated SUBSCRIBE (v5)", afterV5, hexb("82 06 00 01 00 00 01 61"), packet.MalformedPacket, false},
		{"mochi issue 501: truncated SUBSCRIBE (v3.1.1)", afterV311, hexb("82 06 00 01 00 00 01 61"), 0, false},
		{"SUBSCRIBE without filters", afterV5, hexb("82 03 00 01 00"), 0, false},
		{"SUBSCRIBE without filters (v3.1.1)", afterV311, hexb("82 02 00 01"), 0, false},
		{"SUBSCRIBE with wrong fixed-header flags", afterV5, hexb("80 07 00 01 00 00 01 61 01"), packet.MalformedPacket, false},
		{"SUBSCRIBE with reserved option bits", afterV5, hexb("82 07 00 01 00 00 01 61 c1"), 0, false},
		{"SUBSCRIBE with QoS 3", afterV5, hexb("82 07 00 01 00 00 01 61 03"), 0, false},
		{"SUBSCRIBE with packet id 0", afterV5, hexb("82 07 00 00 00 00 01 61 01"), 0, false},
		{"SUBSCRIBE with filter a/#/b", afterV5, hexb("82 0b 00 01 00 00 05 61 2f 23 2f 62 01"), 0, false},
		{"UNSUBSCRIBE with wrong flags", afterV5, hexb("a0 06 00 01 00 00 01 61"), packet.MalformedPacket, false},
		{"UNSUBSCRIBE without filters", afterV5, hexb("a2 03 00 01 00"), 0, false},
		{"PUBLISH with QoS 3", afterV5, hexb("36 06 00 01 61 00 01 00"), packet.MalformedPacket, false},
		{"PUBLISH with wildcard topic", afterV5, hexb("30 06 00 03 61 2f 23 00"), 0, false},
		{"PUBLISH topic longer than packet", afterV5, hexb("30 03 00 05 61"), packet.MalformedPacket, false},
		{"PUBLISH QoS 1 with packet id 0", afterV5, hexb("32 06 00 01 61 00 00 00"), 0, false},
		{"PUBLISH topic not UTF-8", afterV5, hexb("30 05 00 02 c3 28 00"), 0, false},
		{"PUBLISH topic with U+0000", afterV5, hexb("30 05 00 02 61 00 00"), 0, false},
		{"PUBLISH with duplicate property", afterV5, hexb("30 08 00 01 61 04 01 01 01 01"), 0, false},
		{"PUBLISH with unknown property", afterV5, hexb("30 06 00 01 61 02 7f 00"), 0, false},
		{"PUBLISH property length beyond packet", afterV5, hexb("30 05 00 01 61 10 00"), packet.MalformedPacket, false},
		{"PUBLISH with topic alias 0", afterV5, hexb("30 07 00 01 61 03 23 00 00"), 0, false},
		{"PUBLISH with DUP at QoS 0", afterV5, hexb("38 04 00 01 61 00"), 0, false},
		{"remaining length of five bytes", afterV5, hexb("30 ff ff ff ff 7f"), packet.MalformedPacket, false},
		{"packet larger than Maximum Packet Size", afterV5, append(hexb("30 d0 0f 00 01 61 00"), make([]byte, 1996)...), packet.PacketTooLarge, false},
		{"reserved packet type 0", afterV5, hexb("00 00"), packet.MalformedPacket, false},
		{"AUTH with invalid reason code", afterV5, hexb("f0 02 ff 00"), 0, false},
		{"second CONNECT", afterV5, connectBytes(packet.V5, "again"), packet.ProtocolError, false},
		{"CONNACK from a client", afterV5, hexb("20 03 00 00 00"), packet.ProtocolError, false},
		{"SUBACK from a client", afterV5, hexb("90 04 00 01 00 00"), packet.ProtocolError, false},
		{"PINGRESP from a client", afterV5, hexb("d0 00"), packet.ProtocolError, false},
		{"PINGREQ with a body", afterV5, hexb("c0 01 00"), packet.MalformedPacket, false},
		{"PINGREQ with flags", afterV5, hexb("c1 00"), packet.MalformedPacket, false},
		{"PUBREL with wrong flags", afterV5, hexb("60 02 00 01"), packet.MalformedPacket, false},
		{"PUBACK too short", afterV5, hexb("40 01 00"), packet.MalformedPacket, false},
		{"DISCONNECT with a reason code it cannot carry", afterV5, hexb("e0 01 03"), 0, false},
		{"truncated PUBLISH then end of input", afterV5, hexb("30 0a 00 01"), 0, true},
		{"PUBLISH with QoS 3 (v3.1.1)", afterV311, hexb("36 05 00 01 61 00 01"), 0, false},
		{"properties in v3.1.1 SUBSCRIBE", afterV311, hexb("82 07 00 01 00 00 01 61 01 00"), 0, false},
		{"HTTP request instead of CONNECT", first, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0, false},
		{"PUBLISH before CONNECT", first, hexb("30 04 00 01 61 00"), 0, false},
		{"CONNECT with wrong protocol name", first, hexb("10 0d 00 04 4d 51 54 58 05 02 00 1e 00 00 00"), 0, false},
		{"CONNECT with protocol level 6", first, hexb("10 0d 00 04 4d 51 54 54 06 02 00 1e 00 00 00"), 0, false},
		{"CONNECT with reserved flag", first, hexb("10 0d 00 04 4d 51 54 54 05 03 00 1e 00 00 00"), 0, false},
		{"CONNECT with password but no username (v3.1.1)", first, hexb("10 10 00 04 4d 51 54 54 04 42 00 1e 00 00 00 02 70 77"), 0, false},
		{"CONNECT with will QoS 3", first, hexb("10 0d 00 04 4d 51 54 54 05 1e 00 1e 00 00 00"), 0, false},
		{"CONNECT truncated then end of input", first, hexb("10 0d 00 04 4d 51"), 0, true},
		{"CONNECT larger than Maximum Packet Size", first, append(hexb("10 d0 0f"), make([]byte, 2000)...), 0, false},
	}
}

func TestMalformedPacketsCloseOnlyThatConnection(t *testing.T) {
	b, addr := start(t, func(c *broker.Config) { c.Limits.MaxPacketSize = testMaxPacketSize })
	healthy := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "healthy"})
	healthy.Subscribe(t, "health", 1)
	cases := malformedCases()
	if len(cases) < 30 {
		t.Fatalf("only %d malformed inputs; the hardening promise is at least 30", len(cases))
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code := sendMalformed(t, addr, fmt.Sprintf("bad-%d", i), tc)
			if tc.stage == afterV5 && !tc.clientGone {
				switch {
				case code == 0:
					t.Fatal("connection closed without DISCONNECT; an MQTT v5 client should be told why")
				case tc.wantCode != 0 && code != tc.wantCode:
					t.Fatalf("DISCONNECT reason 0x%02X, want 0x%02X", byte(code), byte(tc.wantCode))
				case code < 0x80:
					t.Fatalf("DISCONNECT reason 0x%02X is not an error", byte(code))
				}
			}
			// The broker still serves everyone else.
			healthy.Publish(t, "health", 1, false, []byte(tc.name))
			if m := healthy.Next(5 * time.Second); m == nil || string(m.Payload) != tc.name {
				t.Fatalf("healthy client got %v after the malformed input, want its own message", m)
			}
		})
	}
	if got := b.Server().Stats().MalformedPackets; got == 0 {
		t.Fatal("Stats.MalformedPackets is 0 after malformed inputs")
	}
}

// sendMalformed opens a connection, brings it to tc.stage, sends tc.in and
// waits for the broker to close it. It returns the reason code of the
// DISCONNECT the broker sent first, or 0.
func sendMalformed(t *testing.T, addr, clientID string, tc malformedCase) packet.ReasonCode {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	v := packet.V5
	switch tc.stage {
	case afterV311:
		v = packet.V311
		fallthrough
	case afterV5:
		if _, err := conn.Write(connectBytes(v, clientID)); err != nil {
			t.Fatal(err)
		}
		p, err := packet.ReadPacket(r, v, 0)
		if ack, ok := p.(*packet.Connack); err != nil || !ok || ack.ReasonCode != 0 {
			t.Fatalf("valid CONNECT answered with %v (err %v)", p, err)
		}
	}
	if _, err := conn.Write(tc.in); err != nil {
		t.Fatalf("writing the input: %v", err)
	}
	_ = conn.(*net.TCPConn).CloseWrite() // a truncated packet ends here
	var code packet.ReasonCode
	for {
		p, err := packet.ReadPacket(r, v, 0)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the broker kept the connection open for 10s")
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
				t.Fatalf("reading the broker's answer: %v", err)
			}
			return code
		}
		if d, ok := p.(*packet.Disconnect); ok && code == 0 {
			code = d.ReasonCode
		}
	}
}

// isReset reports a connection reset by the peer, which is how a close with
// unread input arrives.
func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "read"
}

// connectBytes encodes a valid CONNECT.
func connectBytes(v packet.Version, clientID string) []byte {
	b, err := (&packet.Connect{ProtocolVersion: v, CleanStart: true, KeepAlive: 30, ClientID: clientID}).Append(nil, v)
	if err != nil {
		panic(err)
	}
	return b
}

// hexb decodes space-separated hex bytes.
func hexb(s string) []byte {
	var out []byte
	for i := 0; i < len(s); {
		if s[i] == ' ' {
			i++
			continue
		}
		var x byte
		if _, err := fmt.Sscanf(s[i:i+2], "%02x", &x); err != nil {
			panic(err)
		}
		out = append(out, x)
		i += 2
	}
	return out
}

func TestUnsupportedProtocolVersionGetsCONNACK(t *testing.T) {
	_, addr := start(t, nil)
	for _, tc := range []struct {
		name    string
		connect []byte
		want    []byte
	}{
		{"MQTT 3.1", hexb("10 0f 00 06 4d 51 49 73 64 70 03 02 00 1e 00 01 61"), hexb("20 02 00 01")},
		{"protocol level 6", hexb("10 0e 00 04 4d 51 54 54 06 02 00 1e 00 00 01 61"), hexb("20 03 00 84 00")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := conn.Write(tc.connect); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(conn)
			if err != nil && !isReset(err) {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("broker answered % x, want % x and a closed connection", got, tc.want)
			}
		})
	}
}
