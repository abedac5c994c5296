package packet

import (
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
)

// The tables in this file are transcribed from the MQTT 5 specification, not
// derived from the codec's own tables, so a wrong entry in propSpecs or
// reasonSets makes a test fail instead of agreeing with itself.

// specWill stands for the Will Properties column of Table 2-4.
const specWill = willContext

// specProperties is Table 2-4 of §2.2.2.2: identifier, name, data type, and
// the packets (and Will Properties) each property may appear in.
var specProperties = []struct {
	id   PropertyID
	name string
	kind propKind
	in   []Type
}{
	{0x01, "Payload Format Indicator", kindByte, []Type{PUBLISH, specWill}},
	{0x02, "Message Expiry Interval", kindUint32, []Type{PUBLISH, specWill}},
	{0x03, "Content Type", kindString, []Type{PUBLISH, specWill}},
	{0x08, "Response Topic", kindString, []Type{PUBLISH, specWill}},
	{0x09, "Correlation Data", kindBinary, []Type{PUBLISH, specWill}},
	{0x0B, "Subscription Identifier", kindVBI, []Type{PUBLISH, SUBSCRIBE}},
	{0x11, "Session Expiry Interval", kindUint32, []Type{CONNECT, CONNACK, DISCONNECT}},
	{0x12, "Assigned Client Identifier", kindString, []Type{CONNACK}},
	{0x13, "Server Keep Alive", kindUint16, []Type{CONNACK}},
	{0x15, "Authentication Method", kindString, []Type{CONNECT, CONNACK, AUTH}},
	{0x16, "Authentication Data", kindBinary, []Type{CONNECT, CONNACK, AUTH}},
	{0x17, "Request Problem Information", kindByte, []Type{CONNECT}},
	{0x18, "Will Delay Interval", kindUint32, []Type{specWill}},
	{0x19, "Request Response Information", kindByte, []Type{CONNECT}},
	{0x1A, "Response Information", kindString, []Type{CONNACK}},
	{0x1C, "Server Reference", kindString, []Type{CONNACK, DISCONNECT}},
	{0x1F, "Reason String", kindString, []Type{CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH}},
	{0x21, "Receive Maximum", kindUint16, []Type{CONNECT, CONNACK}},
	{0x22, "Topic Alias Maximum", kindUint16, []Type{CONNECT, CONNACK}},
	{0x23, "Topic Alias", kindUint16, []Type{PUBLISH}},
	{0x24, "Maximum QoS", kindByte, []Type{CONNACK}},
	{0x25, "Retain Available", kindByte, []Type{CONNACK}},
	{0x26, "User Property", kindPair, []Type{CONNECT, CONNACK, PUBLISH, specWill, PUBACK, PUBREC, PUBREL, PUBCOMP,
		SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, DISCONNECT, AUTH}},
	{0x27, "Maximum Packet Size", kindUint32, []Type{CONNECT, CONNACK}},
	{0x28, "Wildcard Subscription Available", kindByte, []Type{CONNACK}},
	{0x29, "Subscription Identifier Available", kindByte, []Type{CONNACK}},
	{0x2A, "Shared Subscription Available", kindByte, []Type{CONNACK}},
}

// propertyFrame is an MQTT 5 packet of context ctx around a property block:
// first byte, body before the Property Length, body after the properties.
var propertyFrames = map[Type]struct {
	first         byte
	before, after string
}{
	CONNECT:     {0x10, "0004 4d515454 05 02 003c", "0001 63"},
	specWill:    {0x10, "0004 4d515454 05 06 003c 00 0001 63", str("t") + "0000"},
	CONNACK:     {0x20, "00 00", ""},
	PUBLISH:     {0x32, str("a") + "0001", ""},
	PUBACK:      {0x40, "0001 00", ""},
	PUBREC:      {0x50, "0001 00", ""},
	PUBREL:      {0x62, "0001 00", ""},
	PUBCOMP:     {0x70, "0001 00", ""},
	SUBSCRIBE:   {0x82, "0001", str("a") + "00"},
	SUBACK:      {0x90, "0001", "00"},
	UNSUBSCRIBE: {0xA2, "0001", str("a")},
	UNSUBACK:    {0xB0, "0001", "00"},
	DISCONNECT:  {0xE0, "00", ""},
	AUTH:        {0xF0, "00", ""},
}

// withProperties returns a valid MQTT 5 packet of context ctx carrying props.
func withProperties(ctx Type, props Properties) Packet {
	switch ctx {
	case specWill:
		return &Connect{ClientID: "c", Will: &Will{Topic: "t", Properties: props}}
	case PUBLISH:
		return &Publish{Topic: "a", QoS: QoS1, PacketID: 1, Properties: props}
	}
	for _, p := range basePackets(V5) {
		if p.Type() == ctx {
			q := normalize(p, V5)
			if c, ok := q.(*Connect); ok {
				c.ProtocolVersion = 0
			}
			*properties(q) = props
			return q
		}
	}
	panic(fmt.Sprintf("no packet for context %d", ctx))
}

func contextLabel(ctx Type) string {
	if ctx == specWill {
		return "Will"
	}
	return ctx.String()
}

// TestPropertiesMatchSpecTable checks every property's name, data type and
// allowed packets against Table 2-4, and checks that the decoder and the
// encoder both accept each property exactly where the table allows it.
func TestPropertiesMatchSpecTable(t *testing.T) {
	known := map[PropertyID]bool{}
	for _, sp := range specProperties {
		known[sp.id] = true
	}
	for id := 0; id < 256; id++ {
		_, ok := PropertyID(id).spec()
		if ok != known[PropertyID(id)] {
			t.Errorf("property 0x%02X known to the codec: %t, in the specification: %t", id, ok, known[PropertyID(id)])
		}
	}
	for _, sp := range specProperties {
		if got := sp.id.String(); got != sp.name {
			t.Errorf("property 0x%02X is named %q, the specification says %q", byte(sp.id), got, sp.name)
		}
		if spec, _ := sp.id.spec(); spec.kind != sp.kind {
			t.Errorf("%s has data type %d, the specification says %d", sp.name, spec.kind, sp.kind)
		}
		for ctx := CONNECT; ctx <= specWill; ctx++ {
			want := slices.Contains(sp.in, ctx)
			var got bool
			if ctx == specWill {
				got = sp.id.AllowedInWill()
			} else {
				got = sp.id.AllowedIn(ctx)
			}
			if got != want {
				t.Errorf("%s allowed in %s: %t, the specification says %t", sp.name, contextLabel(ctx), got, want)
			}
			frame, ok := propertyFrames[ctx]
			if !ok {
				continue // PINGREQ and PINGRESP have no properties
			}
			t.Run(fmt.Sprintf("%s/%s", contextLabel(ctx), sp.name), func(t *testing.T) {
				pt := ctx
				if ctx == specWill {
					pt = CONNECT
				}
				props := sampleProps(pt, sp.id)
				set := props.set()
				block := hex.EncodeToString(props.append(nil, set, props.size(set)))
				in := pkt(frame.first, frame.before+block+frame.after)
				_, _, err := DecodePacket(in, V5, 0)
				if want && err != nil {
					t.Errorf("decoding % x: %v", in, err)
				}
				if !want {
					assertError(t, err, ProtocolError, "is not allowed in")
				}
				_, err = withProperties(ctx, props).Append(nil, V5)
				if want && err != nil {
					t.Errorf("encoding: %v", err)
				}
				if !want {
					assertError(t, err, ProtocolError, "is not allowed in")
				}
			})
		}
	}
}

// specReasonCodes is Table 2-6 of §2.4: each reason code, its name (the
// first one where several share a value) and the packets it may appear in.
var specReasonCodes = []struct {
	code ReasonCode
	name string
	in   []Type
}{
	{0x00, "Success", []Type{CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, AUTH, DISCONNECT, SUBACK}}, // also Normal disconnection, Granted QoS 0
	{0x01, "Granted QoS 1", []Type{SUBACK}},
	{0x02, "Granted QoS 2", []Type{SUBACK}},
	{0x04, "Disconnect with Will Message", []Type{DISCONNECT}},
	{0x10, "No matching subscribers", []Type{PUBACK, PUBREC}},
	{0x11, "No subscription existed", []Type{UNSUBACK}},
	{0x18, "Continue authentication", []Type{AUTH}},
	{0x19, "Re-authenticate", []Type{AUTH}},
	{0x80, "Unspecified error", []Type{CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK, DISCONNECT}},
	{0x81, "Malformed Packet", []Type{CONNACK, DISCONNECT}},
	{0x82, "Protocol Error", []Type{CONNACK, DISCONNECT}},
	{0x83, "Implementation specific error", []Type{CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK, DISCONNECT}},
	{0x84, "Unsupported Protocol Version", []Type{CONNACK}},
	{0x85, "Client Identifier not valid", []Type{CONNACK}},
	{0x86, "Bad User Name or Password", []Type{CONNACK}},
	{0x87, "Not authorized", []Type{CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK, DISCONNECT}},
	{0x88, "Server unavailable", []Type{CONNACK}},
	{0x89, "Server busy", []Type{CONNACK, DISCONNECT}},
	{0x8A, "Banned", []Type{CONNACK}},
	{0x8B, "Server shutting down", []Type{DISCONNECT}},
	{0x8C, "Bad authentication method", []Type{CONNACK, DISCONNECT}},
	{0x8D, "Keep Alive timeout", []Type{DISCONNECT}},
	{0x8E, "Session taken over", []Type{DISCONNECT}},
	{0x8F, "Topic Filter invalid", []Type{SUBACK, UNSUBACK, DISCONNECT}},
	{0x90, "Topic Name invalid", []Type{CONNACK, PUBACK, PUBREC, DISCONNECT}},
	{0x91, "Packet Identifier in use", []Type{PUBACK, PUBREC, SUBACK, UNSUBACK}},
	{0x92, "Packet Identifier not found", []Type{PUBREL, PUBCOMP}},
	{0x93, "Receive Maximum exceeded", []Type{DISCONNECT}},
	{0x94, "Topic Alias invalid", []Type{DISCONNECT}},
	{0x95, "Packet too large", []Type{CONNACK, DISCONNECT}},
	{0x96, "Message rate too high", []Type{DISCONNECT}},
	{0x97, "Quota exceeded", []Type{CONNACK, PUBACK, PUBREC, SUBACK, DISCONNECT}},
	{0x98, "Administrative action", []Type{DISCONNECT}},
	{0x99, "Payload format invalid", []Type{CONNACK, PUBACK, PUBREC, DISCONNECT}},
	{0x9A, "Retain not supported", []Type{CONNACK, DISCONNECT}},
	{0x9B, "QoS not supported", []Type{CONNACK, DISCONNECT}},
	{0x9C, "Use another server", []Type{CONNACK, DISCONNECT}},
	{0x9D, "Server moved", []Type{CONNACK, DISCONNECT}},
	{0x9E, "Shared Subscriptions not supported", []Type{SUBACK, DISCONNECT}},
	{0x9F, "Connection rate exceeded", []Type{CONNACK, DISCONNECT}},
	{0xA0, "Maximum connect time", []Type{DISCONNECT}},
	{0xA1, "Subscription Identifiers not supported", []Type{SUBACK, DISCONNECT}},
	{0xA2, "Wildcard Subscriptions not supported", []Type{SUBACK, DISCONNECT}},
}

// reasonFrames builds an MQTT 5 packet of each type that carries a reason
// code around code rc, in bytes and as a struct for Append.
var reasonFrames = map[Type]struct {
	first  byte
	body   string // %02x is the reason code
	packet func(ReasonCode) Packet
}{
	CONNACK:    {0x20, "00 %02x 00", func(rc ReasonCode) Packet { return &Connack{ReasonCode: rc} }},
	PUBACK:     {0x40, "0001 %02x 00", func(rc ReasonCode) Packet { return &Puback{PacketID: 1, ReasonCode: rc} }},
	PUBREC:     {0x50, "0001 %02x 00", func(rc ReasonCode) Packet { return &Pubrec{PacketID: 1, ReasonCode: rc} }},
	PUBREL:     {0x62, "0001 %02x 00", func(rc ReasonCode) Packet { return &Pubrel{PacketID: 1, ReasonCode: rc} }},
	PUBCOMP:    {0x70, "0001 %02x 00", func(rc ReasonCode) Packet { return &Pubcomp{PacketID: 1, ReasonCode: rc} }},
	SUBACK:     {0x90, "0001 00 %02x", func(rc ReasonCode) Packet { return &Suback{PacketID: 1, ReasonCodes: []ReasonCode{rc}} }},
	UNSUBACK:   {0xB0, "0001 00 %02x", func(rc ReasonCode) Packet { return &Unsuback{PacketID: 1, ReasonCodes: []ReasonCode{rc}} }},
	DISCONNECT: {0xE0, "%02x 00", func(rc ReasonCode) Packet { return &Disconnect{ReasonCode: rc} }},
	AUTH:       {0xF0, "%02x 00", func(rc ReasonCode) Packet { return &Auth{ReasonCode: rc} }},
}

// TestReasonCodesMatchSpecTable checks every reason code's name against
// Table 2-6 and, for every packet type and every byte value, that decoding
// and encoding accept the code exactly where the table allows it.
func TestReasonCodesMatchSpecTable(t *testing.T) {
	allowed := map[Type]map[ReasonCode]bool{}
	for _, sc := range specReasonCodes {
		if got := sc.code.String(); got != sc.name {
			t.Errorf("reason code 0x%02X is named %q, the specification says %q", byte(sc.code), got, sc.name)
		}
		for _, pt := range sc.in {
			if allowed[pt] == nil {
				allowed[pt] = map[ReasonCode]bool{}
			}
			allowed[pt][sc.code] = true
		}
	}
	for pt, frame := range reasonFrames {
		t.Run(pt.String(), func(t *testing.T) {
			for c := 0; c < 256; c++ {
				rc := ReasonCode(c)
				want := allowed[pt][rc]
				in := pkt(frame.first, fmt.Sprintf(frame.body, c))
				_, _, err := DecodePacket(in, V5, 0)
				if want && err != nil {
					t.Errorf("decoding % x: %v", in, err)
				}
				if !want && err == nil {
					t.Errorf("decoding % x accepted reason code 0x%02X, which the specification does not allow in %s", in, c, pt)
				}
				if !want {
					assertError(t, err, ProtocolError, fmt.Sprintf("reason code 0x%02X", c))
				}
				_, err = frame.packet(rc).Append(nil, V5)
				if want != (err == nil) {
					t.Errorf("encoding %s with reason code 0x%02X: %v", pt, c, err)
				}
			}
		})
	}
}

// TestV311ReturnCodes checks the MQTT 3.1.1 return codes: CONNACK 0-5
// (§3.2.2.3 of 3.1.1) and SUBACK 0, 1, 2 and 0x80 (§3.9.3 of 3.1.1).
func TestV311ReturnCodes(t *testing.T) {
	for c := 0; c < 256; c++ {
		_, _, err := DecodePacket(pkt(0x20, fmt.Sprintf("00 %02x", c)), V311, 0)
		if want := c <= 5; want != (err == nil) {
			t.Errorf("3.1.1 CONNACK return code 0x%02X: %v", c, err)
		}
		_, _, err = DecodePacket(pkt(0x90, fmt.Sprintf("0001 %02x", c)), V311, 0)
		if want := c <= 2 || c == 0x80; want != (err == nil) {
			t.Errorf("3.1.1 SUBACK return code 0x%02X: %v", c, err)
		}
	}
}
