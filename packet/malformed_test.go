package packet

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// pkt builds a packet from its first byte and its body in hex (spaces
// allowed), computing the Remaining Length.
func pkt(first byte, bodyHex string) []byte {
	body, err := hex.DecodeString(strings.ReplaceAll(bodyHex, " ", ""))
	if err != nil {
		panic(err)
	}
	return append(appendVBI([]byte{first}, len(body)), body...)
}

// str is the hex of an MQTT UTF-8 string holding s.
func str(s string) string { return hex.EncodeToString(appendString(nil, s)) }

// connectHex is the variable header of a CONNECT up to the connect flags.
const (
	connectV5  = "0004 4d515454 05"
	connectV4  = "0004 4d515454 04"
	keepAlive  = "003c"
	noProps    = "00"
	clientIDc  = "0001 63"
	qos1Header = 0x32
)

type malformedCase struct {
	name    string
	v       Version
	in      []byte
	maxSize uint32
	code    ReasonCode
	msg     string
}

var malformedCases = []malformedCase{
	// Fixed header.
	{"reserved packet type 0", V5, []byte{0x00, 0x00}, 0, MalformedPacket, "packet type 0 is reserved"},
	{"CONNACK reserved flags", V5, pkt(0x21, "00 00 00"), 0, MalformedPacket, "must be 0 (MQTT-2.1.3-1)"},
	{"PUBREL flags 0", V5, pkt(0x60, "0001"), 0, MalformedPacket, "must be 0x2"},
	{"SUBSCRIBE flags 0", V5, pkt(0x80, "0001 00"+str("a")+"00"), 0, MalformedPacket, "must be 0x2"},
	{"UNSUBSCRIBE flags 3", V5, pkt(0xA3, "0001 00"+str("a")), 0, MalformedPacket, "must be 0x2"},
	{"PINGREQ flags 1", V5, pkt(0xC1, ""), 0, MalformedPacket, "reserved fixed-header flags are 0x1"},
	{"PUBLISH QoS 3", V5, pkt(0x36, str("a")+"0001 00"), 0, MalformedPacket, "QoS 3 in the fixed header"},
	{"PUBLISH DUP at QoS 0", V5, pkt(0x38, str("a")+"00"), 0, MalformedPacket, "DUP flag set on a QoS 0"},
	{"remaining length of 5 bytes", V5, []byte{0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, 0, MalformedPacket, "longer than 4 bytes"},
	{"remaining length not minimal", V5, []byte{0xC0, 0x80, 0x00}, 0, MalformedPacket, "shortest form"},
	{"packet larger than maxSize", V5, pkt(0x30, str("a")+"00"+strings.Repeat("00", 20)), 20, PacketTooLarge, "exceeds the maximum packet size of 20 bytes"},

	// PUBLISH fields.
	{"PUBLISH topic length past the end", V5, pkt(0x30, "0005 61"), 0, MalformedPacket, "topic name needs 7 bytes"},
	{"PUBLISH topic ill-formed UTF-8", V5, pkt(0x30, "0002 c328 00"), 0, MalformedPacket, "not well-formed UTF-8"},
	{"PUBLISH topic with U+0000", V5, pkt(0x30, "0002 6100 00"), 0, MalformedPacket, "U+0000"},
	{"PUBLISH topic with a UTF-16 surrogate", V5, pkt(0x30, "0003 eda080 00"), 0, MalformedPacket, "not well-formed UTF-8"},
	{"PUBLISH topic with overlong encoding", V5, pkt(0x30, "0002 c0af 00"), 0, MalformedPacket, "not well-formed UTF-8"},
	{"PUBLISH topic with +", V5, pkt(0x30, str("a/+")+"00"), 0, TopicNameInvalid, "wildcard"},
	{"PUBLISH topic with #", V5, pkt(0x30, str("#")+"00"), 0, TopicNameInvalid, "wildcard"},
	{"PUBLISH v311 empty topic", V311, pkt(0x30, "0000"), 0, TopicNameInvalid, "topic name is empty"},
	{"PUBLISH empty topic without alias", V5, pkt(0x30, "0000 00"), 0, ProtocolError, "without a Topic Alias"},
	{"PUBLISH QoS 1 packet id 0", V5, pkt(qos1Header, str("a")+"0000 00"), 0, ProtocolError, "packet identifier 0"},
	{"PUBLISH QoS 1 without packet id", V311, pkt(qos1Header, str("a")+"00"), 0, MalformedPacket, "packet identifier needs 2 bytes"},
	{"PUBLISH Topic Alias 0", V5, pkt(0x30, str("a")+"03 230000"), 0, ProtocolError, "Topic Alias is 0"},
	{"PUBLISH property length past the end", V5, pkt(0x30, str("a")+"05 01"), 0, MalformedPacket, "property length 5 runs past"},
	{"PUBLISH property length not minimal", V5, pkt(0x30, str("a")+"8000"), 0, MalformedPacket, "shortest form"},
	{"PUBLISH property id not minimal", V5, pkt(0x30, str("a")+"03 810001"), 0, MalformedPacket, "shortest form"},
	{"PUBLISH unknown property", V5, pkt(0x30, str("a")+"02 7f00"), 0, MalformedPacket, "unknown property identifier 0x7F"},
	{"PUBLISH Session Expiry not allowed", V5, pkt(0x30, str("a")+"05 1100000001"), 0, ProtocolError, "Session Expiry Interval (0x11) is not allowed in PUBLISH"},
	{"PUBLISH duplicate Content Type", V5, pkt(0x30, str("a")+"08 03"+str("x")+"03"+str("y")), 0, ProtocolError, "Content Type appears more than once"},
	{"PUBLISH Subscription Identifier 0", V5, pkt(0x30, str("a")+"02 0b00"), 0, ProtocolError, "Subscription Identifier 0"},
	{"PUBLISH Payload Format Indicator 2", V5, pkt(0x30, str("a")+"02 0102"), 0, ProtocolError, "Payload Format Indicator is 2, must be 0 or 1"},
	{"PUBLISH property value cut short", V5, pkt(0x30, str("a")+"02 2300"), 0, MalformedPacket, "Topic Alias needs 2 bytes"},
	{"PUBLISH Response Topic with wildcard", V5, pkt(0x30, str("a")+"04 08"+str("#")), 0, TopicNameInvalid, "Response Topic"},
	{"PUBLISH User Property ill-formed UTF-8", V5, pkt(0x30, str("a")+"06 26 0001ff 0000"), 0, MalformedPacket, "User Property name is not well-formed"},

	// PUBACK, PUBREC, PUBREL, PUBCOMP.
	{"PUBACK packet id 0", V5, pkt(0x40, "0000"), 0, ProtocolError, "packet identifier 0"},
	{"PUBACK one byte", V5, pkt(0x40, "00"), 0, MalformedPacket, "packet identifier needs 2 bytes"},
	{"PUBACK bytes after properties", V5, pkt(0x40, "0001 00 00 ff"), 0, MalformedPacket, "1 bytes follow the last field"},
	{"PUBACK reason code not allowed", V5, pkt(0x40, "0001 04"), 0, ProtocolError, "reason code 0x04"},
	{"PUBACK v311 with a reason code", V311, pkt(0x40, "0001 00"), 0, MalformedPacket, "follow the last field"},
	{"PUBREL reason code not allowed", V5, pkt(0x62, "0001 80"), 0, ProtocolError, "not allowed in PUBREL"},
	{"PUBCOMP property not allowed", V5, pkt(0x70, "0001 00 03 230001"), 0, ProtocolError, "Topic Alias (0x23) is not allowed in PUBCOMP"},

	// SUBSCRIBE and UNSUBSCRIBE.
	{"SUBSCRIBE truncated (mochi issue 501)", V5, []byte{0x82, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 0x61}, 0, MalformedPacket, "subscription options needs 1 bytes"},
	{"SUBSCRIBE without filters", V5, pkt(0x82, "0001 00"), 0, ProtocolError, "no topic filters"},
	{"SUBSCRIBE v311 without filters", V311, pkt(0x82, "0001"), 0, ProtocolError, "no topic filters"},
	{"SUBSCRIBE packet id 0", V5, pkt(0x82, "0000 00"+str("a")+"00"), 0, ProtocolError, "packet identifier 0"},
	{"SUBSCRIBE QoS 3", V5, pkt(0x82, "0001 00"+str("a")+"03"), 0, ProtocolError, "asks for QoS 3"},
	{"SUBSCRIBE v311 QoS 3", V311, pkt(0x82, "0001"+str("a")+"03"), 0, MalformedPacket, "asks for QoS 3"},
	{"SUBSCRIBE reserved option bits", V5, pkt(0x82, "0001 00"+str("a")+"40"), 0, MalformedPacket, "reserved subscription option bits 0x40"},
	{"SUBSCRIBE Retain Handling 3", V5, pkt(0x82, "0001 00"+str("a")+"30"), 0, ProtocolError, "Retain Handling 3"},
	{"SUBSCRIBE v311 No Local bit", V311, pkt(0x82, "0001"+str("a")+"04"), 0, MalformedPacket, "reserved subscription option bits 0x04"},
	{"SUBSCRIBE # not last", V5, pkt(0x82, "0001 00"+str("a/#/b")+"00"), 0, TopicFilterInvalid, "'#' must be a whole level"},
	{"SUBSCRIBE # inside a level", V5, pkt(0x82, "0001 00"+str("a/b#")+"00"), 0, TopicFilterInvalid, "'#' must be a whole level"},
	{"SUBSCRIBE + inside a level", V5, pkt(0x82, "0001 00"+str("a/b+")+"00"), 0, TopicFilterInvalid, "'+' must occupy a whole level"},
	{"SUBSCRIBE empty filter", V5, pkt(0x82, "0001 00 0000 00"), 0, TopicFilterInvalid, "topic filter is empty"},
	{"SUBSCRIBE $share with an empty group", V5, pkt(0x82, "0001 00"+str("$share//a")+"00"), 0, TopicFilterInvalid, "empty group name"},
	{"SUBSCRIBE $share without a filter", V5, pkt(0x82, "0001 00"+str("$share/g")+"00"), 0, TopicFilterInvalid, "no topic filter after the group"},
	{"SUBSCRIBE $share with an empty filter", V5, pkt(0x82, "0001 00"+str("$share/g/")+"00"), 0, TopicFilterInvalid, "empty topic filter after the group"},
	{"SUBSCRIBE $share group with +", V5, pkt(0x82, "0001 00"+str("$share/g+/a")+"00"), 0, TopicFilterInvalid, "contains a wildcard"},
	{"SUBSCRIBE $share bad filter", V5, pkt(0x82, "0001 00"+str("$share/g/a#")+"00"), 0, TopicFilterInvalid, "'#' must be a whole level"},
	{"SUBSCRIBE No Local on a shared filter", V5, pkt(0x82, "0001 00"+str("$share/g/a")+"04"), 0, ProtocolError, "No Local set on the shared subscription"},
	{"SUBSCRIBE two Subscription Identifiers", V5, pkt(0x82, "0001 04 0b01 0b02"+str("a")+"00"), 0, ProtocolError, "2 Subscription Identifiers, at most one"},
	{"SUBSCRIBE filter with U+0000", V5, pkt(0x82, "0001 00 0001 00 00"), 0, MalformedPacket, "U+0000"},
	{"UNSUBSCRIBE without filters", V5, pkt(0xA2, "0001 00"), 0, ProtocolError, "no topic filters"},
	{"UNSUBSCRIBE # first level of two", V5, pkt(0xA2, "0001 00"+str("#/a")), 0, TopicFilterInvalid, "'#' must be a whole level"},
	{"UNSUBSCRIBE filter cut short", V5, pkt(0xA2, "0001 00 0005 61"), 0, MalformedPacket, "topic filter needs 7 bytes"},

	// CONNECT.
	{"CONNECT MQTT 3.1 protocol name", V5, pkt(0x10, "0006 4d5149736470 03 02"+keepAlive+clientIDc), 0, UnsupportedProtocolVersion, "protocol name \"MQIsdp\""},
	{"CONNECT protocol level 6", V5, pkt(0x10, "0004 4d515454 06 02"+keepAlive+noProps+clientIDc), 0, UnsupportedProtocolVersion, "protocol level 6"},
	{"CONNECT reserved flag", V5, pkt(0x10, connectV5+"03"+keepAlive+noProps+clientIDc), 0, MalformedPacket, "reserved connect flag"},
	{"CONNECT will QoS without will flag", V5, pkt(0x10, connectV5+"0a"+keepAlive+noProps+clientIDc), 0, ProtocolError, "without the will flag"},
	{"CONNECT will retain without will flag", V311, pkt(0x10, connectV4+"22"+keepAlive+clientIDc), 0, ProtocolError, "without the will flag"},
	{"CONNECT will QoS 3", V5, pkt(0x10, connectV5+"1e"+keepAlive+noProps+clientIDc+"00"+str("t")+"0000"), 0, MalformedPacket, "will QoS 3"},
	{"CONNECT v311 password without user name", V311, pkt(0x10, connectV4+"42"+keepAlive+clientIDc+"0001 70"), 0, ProtocolError, "password without a user name"},
	{"CONNECT bytes after the payload", V5, pkt(0x10, connectV5+"02"+keepAlive+noProps+clientIDc+"ff"), 0, MalformedPacket, "1 bytes follow the last field"},
	{"CONNECT will topic with wildcard", V5, pkt(0x10, connectV5+"06"+keepAlive+noProps+clientIDc+"00"+str("a/+")+"0000"), 0, TopicNameInvalid, "will topic"},
	{"CONNECT Session Expiry in Will Properties", V5, pkt(0x10, connectV5+"06"+keepAlive+noProps+clientIDc+"05 1100000001"+str("t")+"0000"), 0, ProtocolError, "not allowed in Will Properties"},
	{"CONNECT Will Delay in CONNECT properties", V5, pkt(0x10, connectV5+"02"+keepAlive+"05 1800000001"+clientIDc), 0, ProtocolError, "Will Delay Interval (0x18) is not allowed in CONNECT"},
	{"CONNECT Receive Maximum 0", V5, pkt(0x10, connectV5+"02"+keepAlive+"03 210000"+clientIDc), 0, ProtocolError, "Receive Maximum is 0"},
	{"CONNECT Maximum Packet Size 0", V5, pkt(0x10, connectV5+"02"+keepAlive+"05 2700000000"+clientIDc), 0, ProtocolError, "Maximum Packet Size is 0"},
	{"CONNECT Authentication Data without Method", V5, pkt(0x10, connectV5+"02"+keepAlive+"04 16000178"+clientIDc), 0, ProtocolError, "Authentication Data without an Authentication Method"},
	{"CONNECT Request Problem Information 2", V5, pkt(0x10, connectV5+"02"+keepAlive+"02 1702"+clientIDc), 0, ProtocolError, "Request Problem Information is 2"},
	{"CONNECT user name flag without user name", V5, pkt(0x10, connectV5+"82"+keepAlive+noProps+clientIDc), 0, MalformedPacket, "user name length needs 2 bytes"},
	{"CONNECT v311 with properties bytes", V311, pkt(0x10, connectV4+"02"+keepAlive+"00"+clientIDc), 0, MalformedPacket, "follow the last field"},

	// Acknowledgements and the rest.
	{"CONNACK reserved acknowledge flags", V5, pkt(0x20, "02 00 00"), 0, MalformedPacket, "reserved acknowledge flag bits"},
	{"CONNACK session present with an error", V5, pkt(0x20, "01 87 00"), 0, ProtocolError, "session present set with the non-zero reason code 0x87"},
	{"CONNACK v5 without property length", V5, pkt(0x20, "00 00"), 0, MalformedPacket, "property length needs 1 bytes"},
	{"CONNACK v311 return code 6", V311, pkt(0x20, "00 06"), 0, ProtocolError, "return code 0x06 is not defined for CONNACK"},
	{"CONNACK Maximum QoS 2", V5, pkt(0x20, "00 00 02 2402"), 0, ProtocolError, "Maximum QoS is 2"},
	{"SUBACK without reason codes", V5, pkt(0x90, "0001 00"), 0, ProtocolError, "no reason codes"},
	{"SUBACK v311 return code 3", V311, pkt(0x90, "0001 03"), 0, ProtocolError, "return code 0x03 is not defined for SUBACK"},
	{"SUBACK v5 reason code 0x11", V5, pkt(0x90, "0001 00 11"), 0, ProtocolError, "not allowed in SUBACK"},
	{"UNSUBACK v311 with a payload", V311, pkt(0xB0, "0001 00"), 0, MalformedPacket, "an MQTT 3.1.1 UNSUBACK has no payload"},
	{"PINGREQ with a body", V5, pkt(0xC0, "00"), 0, MalformedPacket, "remaining length 1, must be 0"},
	{"PINGRESP with a body", V311, pkt(0xD0, "0000"), 0, MalformedPacket, "remaining length 2, must be 0"},
	{"DISCONNECT v311 with a body", V311, pkt(0xE0, "00"), 0, MalformedPacket, "1 bytes follow the last field"},
	{"DISCONNECT reason code not allowed", V5, pkt(0xE0, "05"), 0, ProtocolError, "reason code 0x05"},
	{"DISCONNECT Topic Alias", V5, pkt(0xE0, "00 03 230001"), 0, ProtocolError, "not allowed in DISCONNECT"},
	{"AUTH in MQTT 3.1.1", V311, pkt(0xF0, ""), 0, ProtocolError, "AUTH does not exist in MQTT 3.1.1"},
	{"AUTH with only a reason code", V5, pkt(0xF0, "18"), 0, MalformedPacket, "property length needs 1 bytes"},
	{"AUTH reason code not allowed", V5, pkt(0xF0, "87 00"), 0, ProtocolError, "not allowed in AUTH"},
}

// TestMalformed feeds each malformed input to both DecodePacket and
// ReadPacket and checks the reason code and the message.
func TestMalformed(t *testing.T) {
	if len(malformedCases) < 40 {
		t.Fatalf("only %d malformed cases", len(malformedCases))
	}
	seen := map[string]bool{}
	for _, tc := range malformedCases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			p, _, err := DecodePacket(tc.in, tc.v, tc.maxSize)
			if err == nil {
				t.Fatalf("DecodePacket(% x) accepted %v", tc.in, p)
			}
			assertError(t, err, tc.code, tc.msg)
			_, err = ReadPacket(bufio.NewReader(bytes.NewReader(tc.in)), tc.v, tc.maxSize)
			assertError(t, err, tc.code, tc.msg)
			if !errors.Is(err, &Error{Code: tc.code}) {
				t.Errorf("errors.Is(%v, code 0x%02X) is false", err, byte(tc.code))
			}
		})
	}
}

// TestTruncated checks that input ending inside a packet is
// io.ErrUnexpectedEOF (read more and retry), not a protocol error.
func TestTruncated(t *testing.T) {
	whole, _ := (&Publish{Topic: "a/b", QoS: QoS1, PacketID: 1, Payload: make([]byte, 200)}).Append(nil, V5)
	for n := 0; n < len(whole); n++ {
		_, _, err := DecodePacket(whole[:n], V5, 0)
		if err != io.ErrUnexpectedEOF {
			t.Fatalf("DecodePacket of the first %d of %d bytes: %v, want io.ErrUnexpectedEOF", n, len(whole), err)
		}
		_, err = ReadPacket(bufio.NewReader(bytes.NewReader(whole[:n])), V5, 0)
		want := io.ErrUnexpectedEOF
		if n == 0 {
			want = io.EOF
		}
		if err != want {
			t.Fatalf("ReadPacket of the first %d bytes: %v, want %v", n, err, want)
		}
	}
}

// TestSizeCheckedBeforeAllocation announces a 256 MB packet and sends 10
// bytes: ReadPacket must refuse from the header alone, allocating little.
func TestSizeCheckedBeforeAllocation(t *testing.T) {
	in := []byte{0x30, 0xFF, 0xFF, 0xFF, 0x7F, 0, 1, 'a', 0, 0}
	var err error
	allocs := testing.AllocsPerRun(10, func() {
		_, err = ReadPacket(bufio.NewReaderSize(bytes.NewReader(in), 16), V5, 1<<20)
	})
	assertError(t, err, PacketTooLarge, "exceeds the maximum packet size of 1048576 bytes")
	if allocs > 10 {
		t.Errorf("rejecting an oversized packet took %.0f allocations", allocs)
	}
	// Counting allocations cannot tell one 256 MB buffer from a small one:
	// count the bytes too.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = ReadPacket(bufio.NewReaderSize(bytes.NewReader(in), 16), V5, 1<<20)
	runtime.ReadMemStats(&after)
	assertError(t, err, PacketTooLarge, "exceeds the maximum packet size")
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Errorf("rejecting a packet that announces 256 MB allocated %d bytes", n)
	}
	h, err := ReadFixedHeader(bufio.NewReader(bytes.NewReader(in)), 0)
	if err != nil || h.Remaining != 268435455 || h.Len != 5 || h.Type != PUBLISH {
		t.Errorf("ReadFixedHeader = %+v, %v", h, err)
	}
}

// invalidPackets must be refused by Append with the given code and message:
// the encoder validates what the decoder validates.
var invalidPackets = []struct {
	name string
	v    Version
	p    Packet
	code ReasonCode
	msg  string
}{
	{"PUBLISH QoS 3", V5, &Publish{Topic: "a", QoS: 3, PacketID: 1}, MalformedPacket, "QoS 3"},
	{"PUBLISH DUP at QoS 0", V5, &Publish{Topic: "a", Dup: true}, MalformedPacket, "DUP set on a QoS 0"},
	{"PUBLISH packet id at QoS 0", V5, &Publish{Topic: "a", PacketID: 3}, ProtocolError, "packet identifier 3 on a QoS 0"},
	{"PUBLISH packet id 0 at QoS 1", V5, &Publish{Topic: "a", QoS: 1}, ProtocolError, "packet identifier 0"},
	{"PUBLISH wildcard topic", V5, &Publish{Topic: "a/#"}, TopicNameInvalid, "wildcard"},
	{"PUBLISH topic alias in v311", V311, &Publish{Topic: "a", Properties: Properties{TopicAlias: 1}}, ProtocolError, "MQTT 3.1.1"},
	{"PUBLISH Topic Alias 0 present", V5, &Publish{Topic: "a", Properties: Properties{Present: PropertySet(0).With(PropTopicAlias)}}, ProtocolError, "Topic Alias is 0"},
	{"PUBLISH reason string", V5, &Publish{Topic: "a", Properties: Properties{ReasonString: "no"}}, ProtocolError, "Reason String (0x1F) is not allowed in PUBLISH"},
	{"PUBLISH topic too long", V5, &Publish{Topic: strings.Repeat("a", 65536)}, MalformedPacket, "longer than the 65535"},
	{"PUBLISH bad UTF-8 topic", V5, &Publish{Topic: "a\xff"}, MalformedPacket, "not well-formed UTF-8"},
	{"PUBLISH Subscription Identifier too big", V5, &Publish{Topic: "a", Properties: Properties{SubscriptionIdentifiers: []uint32{268435456}}}, ProtocolError, "outside 1..268435455"},
	{"PUBACK packet id 0", V5, &Puback{}, ProtocolError, "packet identifier 0"},
	{"PUBACK v311 reason code", V311, &Puback{PacketID: 1, ReasonCode: NotAuthorized}, ProtocolError, "MQTT 3.1.1 has no reason codes"},
	{"SUBSCRIBE empty", V5, &Subscribe{PacketID: 1}, ProtocolError, "no topic filters"},
	{"SUBSCRIBE v311 No Local", V311, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", NoLocal: true}}}, ProtocolError, "MQTT 3.1.1 does not have"},
	{"SUBSCRIBE QoS 3", V5, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", QoS: 3}}}, ProtocolError, "asks for QoS 3"},
	{"SUBSCRIBE v311 QoS 3", V311, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", QoS: 3}}}, MalformedPacket, "asks for QoS 3"},
	{"SUBSCRIBE Retain Handling 3", V5, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", RetainHandling: 3}}}, ProtocolError, "Retain Handling 3"},
	{"UNSUBSCRIBE bad filter", V5, &Unsubscribe{PacketID: 1, Filters: []string{"a+"}}, TopicFilterInvalid, "'+' must occupy a whole level"},
	{"CONNECT version mismatch", V5, &Connect{ProtocolVersion: V311, ClientID: "c"}, ProtocolError, "encoded for version 5"},
	{"CONNECT version 3", 3, &Connect{ClientID: "c"}, UnsupportedProtocolVersion, "protocol level 3"},
	{"CONNECT will QoS 3", V5, &Connect{ClientID: "c", Will: &Will{Topic: "t", QoS: 3}}, MalformedPacket, "will QoS 3"},
	{"CONNECT v311 password only", V311, &Connect{ClientID: "c", Password: []byte("x")}, ProtocolError, "password without a user name"},
	{"CONNECT password too long", V5, &Connect{ClientID: "c", Password: make([]byte, 65536)}, MalformedPacket, "password is 65536 bytes"},
	{"CONNACK v311 code 0x80", V311, &Connack{ReasonCode: 0x80}, ProtocolError, "return code 0x80"},
	{"SUBACK v311 code 0x87", V311, &Suback{PacketID: 1, ReasonCodes: []ReasonCode{NotAuthorized}}, ProtocolError, "return code 0x87"},
	{"UNSUBACK v5 without codes", V5, &Unsuback{PacketID: 1}, ProtocolError, "no reason codes"},
	{"DISCONNECT v311 reason", V311, &Disconnect{ReasonCode: ServerBusy}, ProtocolError, "has none"},
	{"PUBLISH unknown version", 3, &Publish{Topic: "a"}, UnsupportedProtocolVersion, "protocol version 3 is not supported"},
	{"PUBACK unknown version", 6, &Puback{PacketID: 1}, UnsupportedProtocolVersion, "protocol version 6 is not supported"},
	{"AUTH v5 reason code 0x80", V5, &Auth{ReasonCode: 0x80}, ProtocolError, "not allowed in AUTH"},
}

func TestAppendInvalid(t *testing.T) {
	_, err := appendHeader(nil, PUBLISH, 0, maxVBI+1)
	assertError(t, err, PacketTooLarge, "exceeds the protocol maximum")
	for _, tc := range invalidPackets {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := tc.p.Append(dst, tc.v)
			assertError(t, err, tc.code, tc.msg)
			if string(out) != "keep" {
				t.Errorf("Append appended % x despite the error", out[4:])
			}
		})
	}
}
