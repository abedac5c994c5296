package packet

import (
	"bufio"
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

// sampleProps returns properties with every id in ids set to a distinctive
// non-zero value that is valid in packet type t.
func sampleProps(t Type, ids ...PropertyID) Properties {
	var p Properties
	for _, id := range ids {
		switch id {
		case PropPayloadFormatIndicator:
			p.PayloadFormatIndicator = 1
		case PropMessageExpiryInterval:
			p.MessageExpiryInterval = 3600
		case PropContentType:
			p.ContentType = "application/json; charset=utf-8 ✓"
		case PropResponseTopic:
			p.ResponseTopic = "replies/client-1"
		case PropCorrelationData:
			p.CorrelationData = []byte{0, 1, 2, 0xFF}
		case PropSubscriptionIdentifier:
			p.SubscriptionIdentifiers = []uint32{268435455}
			if t == PUBLISH {
				p.SubscriptionIdentifiers = []uint32{1, 127, 128, 268435455}
			}
		case PropSessionExpiryInterval:
			p.SessionExpiryInterval = 0xFFFFFFFF
		case PropAssignedClientIdentifier:
			p.AssignedClientIdentifier = "auto-7F3A"
		case PropServerKeepAlive:
			p.ServerKeepAlive = 30
		case PropAuthenticationMethod:
			p.AuthenticationMethod = "SCRAM-SHA-256"
		case PropAuthenticationData:
			p.AuthenticationMethod = "SCRAM-SHA-256"
			p.AuthenticationData = []byte("n,,n=user,r=nonce")
		case PropRequestProblemInformation:
			p.RequestProblemInformation = 1
		case PropWillDelayInterval:
			p.WillDelayInterval = 120
		case PropRequestResponseInformation:
			p.RequestResponseInformation = 1
		case PropResponseInformation:
			p.ResponseInformation = "responses/"
		case PropServerReference:
			p.ServerReference = "other.example:1883"
		case PropReasonString:
			p.ReasonString = "because of reasons"
		case PropReceiveMaximum:
			p.ReceiveMaximum = 65535
		case PropTopicAliasMaximum:
			p.TopicAliasMaximum = 10
		case PropTopicAlias:
			p.TopicAlias = 3
		case PropMaximumQoS:
			p.MaximumQoS = 1
		case PropRetainAvailable:
			p.RetainAvailable = 1
		case PropUserProperty:
			p.UserProperties = []UserProperty{{"k", "v"}, {"k", "v2"}, {"", ""}, {"ключ", "значение"}}
		case PropMaximumPacketSize:
			p.MaximumPacketSize = 1 << 20
		case PropWildcardSubscriptionAvailable:
			p.WildcardSubscriptionAvailable = 1
		case PropSubscriptionIdentifierAvailable:
			p.SubscriptionIdentifierAvailable = 1
		case PropSharedSubscriptionAvailable:
			p.SharedSubscriptionAvailable = 1
		}
	}
	return p
}

// allowedIDs lists the properties allowed in ctx (a packet type or willContext).
func allowedIDs(ctx Type) []PropertyID {
	var ids []PropertyID
	for id := range propSpecs {
		if allowedSets[ctx].Has(PropertyID(id)) {
			ids = append(ids, PropertyID(id))
		}
	}
	return ids
}

// basePackets returns one valid packet of every type, without properties.
func basePackets(v Version) []Packet {
	ps := []Packet{
		&Connect{ClientID: "client-1", CleanStart: true, KeepAlive: 60},
		&Connack{ReasonCode: 0},
		&Publish{Topic: "sensors/1/temp", QoS: QoS1, PacketID: 7, Payload: []byte("21.5")},
		&Puback{PacketID: 1},
		&Pubrec{PacketID: 2},
		&Pubrel{PacketID: 3},
		&Pubcomp{PacketID: 65535},
		&Subscribe{PacketID: 4, Subscriptions: []Subscription{{Filter: "a/+/c", QoS: QoS2}}},
		&Suback{PacketID: 4, ReasonCodes: []ReasonCode{GrantedQoS2}},
		&Unsubscribe{PacketID: 5, Filters: []string{"a/#"}},
		&Unsuback{PacketID: 5, ReasonCodes: []ReasonCode{Success}},
		&Pingreq{},
		&Pingresp{},
		&Disconnect{},
	}
	if v == V5 {
		ps = append(ps, &Auth{})
	} else {
		ps[10] = &Unsuback{PacketID: 5}
	}
	return ps
}

// properties returns the packet's own properties, or nil for PINGREQ/PINGRESP.
func properties(p Packet) *Properties {
	v := reflect.ValueOf(p).Elem().FieldByName("Properties")
	if !v.IsValid() {
		return nil
	}
	return v.Addr().Interface().(*Properties)
}

// normalize returns what decoding the encoding of p must produce: Present
// holds every encoded property, Has flags are set, CONNECT carries v.
func normalize(p Packet, v Version) Packet {
	q, _ := NewPacket(p.Type())
	reflect.ValueOf(q).Elem().Set(reflect.ValueOf(p).Elem())
	if props := properties(q); props != nil {
		props.Present = props.set()
	}
	if c, ok := q.(*Connect); ok {
		c.ProtocolVersion = v
		c.HasUsername, c.HasPassword = c.hasUsername(), c.hasPassword()
		if c.Will != nil {
			w := *c.Will
			w.Properties.Present = w.Properties.set()
			c.Will = &w
		}
	}
	return q
}

type roundTripCase struct {
	name string
	v    Version
	p    Packet
}

// roundTripCases has every packet type under both versions, and under MQTT 5
// each packet with each property it allows alone and with all of them.
func roundTripCases() []roundTripCase {
	var cases []roundTripCase
	for _, v := range []Version{V311, V5} {
		for _, p := range basePackets(v) {
			cases = append(cases, roundTripCase{fmt.Sprintf("v%d/%s/plain", v, p.Type()), v, p})
		}
	}
	// Variants that exercise flags and optional fields.
	extra := []Packet{
		&Connect{ClientID: "", KeepAlive: 0, Username: "u", Password: []byte("p"),
			Will: &Will{Topic: "will/t", QoS: QoS2, Retain: true, Payload: []byte("bye")}},
		&Connect{ClientID: "c", HasUsername: true, HasPassword: true},
		&Connack{SessionPresent: true},
		&Publish{Topic: "t", QoS: QoS2, PacketID: 9, Dup: true, Retain: true},
		&Publish{Topic: "t/ü/€", QoS: QoS0, Payload: bytes.Repeat([]byte{0}, 300)},
		&Subscribe{PacketID: 8, Subscriptions: []Subscription{{Filter: "#"}, {Filter: "+"}, {Filter: "$share/g/a/+/b", QoS: QoS1}, {Filter: "$SYS/#", QoS: QoS2}}},
		&Suback{PacketID: 8, ReasonCodes: []ReasonCode{0, 1, 2, 0x80}},
		&Unsubscribe{PacketID: 9, Filters: []string{"a", "$share/g/#", "+/+"}},
	}
	for _, v := range []Version{V311, V5} {
		for _, p := range extra {
			cases = append(cases, roundTripCase{fmt.Sprintf("v%d/%s/variant-%s", v, p.Type(), shortString(p)), v, p})
		}
	}
	v5Only := []Packet{
		&Connect{ClientID: "c", Password: []byte("password without user name is fine in v5")},
		&Connack{ReasonCode: NotAuthorized},
		&Publish{Topic: "", QoS: QoS1, PacketID: 1, Properties: Properties{TopicAlias: 2}},
		&Puback{PacketID: 1, ReasonCode: NoMatchingSubscribers},
		&Pubrec{PacketID: 1, ReasonCode: QuotaExceeded},
		&Pubrel{PacketID: 1, ReasonCode: PacketIdentifierNotFound},
		&Pubcomp{PacketID: 1, ReasonCode: PacketIdentifierNotFound},
		&Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", QoS: 1, NoLocal: true, RetainAsPublished: true, RetainHandling: 2}}},
		&Suback{PacketID: 1, ReasonCodes: []ReasonCode{SharedSubscriptionsNotSupported, WildcardSubscriptionsNotSupported}},
		&Unsuback{PacketID: 1, ReasonCodes: []ReasonCode{NoSubscriptionExisted, Success}},
		&Disconnect{ReasonCode: DisconnectWithWillMessage},
		&Auth{ReasonCode: ContinueAuthentication},
		&Connack{Properties: Properties{Present: PropertySet(0).With(PropRetainAvailable).With(PropMaximumQoS)}},
	}
	for _, p := range v5Only {
		cases = append(cases, roundTripCase{fmt.Sprintf("v5/%s/variant-%s", p.Type(), shortString(p)), V5, p})
	}
	for _, base := range basePackets(V5) {
		if properties(base) == nil {
			continue
		}
		t := base.Type()
		ids := allowedIDs(t)
		for _, id := range append(ids, 0) {
			p := normalize(base, V5)
			props := properties(p)
			name := "all-properties"
			if id == 0 {
				*props = sampleProps(t, ids...)
			} else {
				name = id.String()
				*props = sampleProps(t, id)
			}
			props.Present = 0
			cases = append(cases, roundTripCase{fmt.Sprintf("v5/%s/%s", t, name), V5, p})
		}
		if t == CONNECT {
			for _, id := range append(allowedIDs(willContext), 0) {
				name := "will-all-properties"
				wp := sampleProps(willContext, allowedIDs(willContext)...)
				if id != 0 {
					name = "will-" + id.String()
					wp = sampleProps(willContext, id)
				}
				cases = append(cases, roundTripCase{"v5/CONNECT/" + name, V5,
					&Connect{ClientID: "w", Will: &Will{Topic: "w/t", QoS: QoS1, Payload: []byte{1}, Properties: wp}}})
			}
		}
	}
	return cases
}

func shortString(p Packet) string {
	s := fmt.Sprint(p)
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.p.Append(nil, tc.v)
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			want := normalize(tc.p, tc.v)

			got, n, err := DecodePacket(b, tc.v, 0)
			if err != nil {
				t.Fatalf("DecodePacket(% x): %v", b, err)
			}
			if n != len(b) {
				t.Errorf("DecodePacket used %d of %d bytes", n, len(b))
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("DecodePacket mismatch\n got %#v\nwant %#v", got, want)
			}

			// The same bytes through a bufio.Reader, with a buffer small enough
			// to force the allocating path for the larger cases.
			r := bufio.NewReaderSize(bytes.NewReader(b), 16)
			got, err = ReadPacket(r, tc.v, uint32(len(b)))
			if err != nil {
				t.Fatalf("ReadPacket: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("ReadPacket mismatch\n got %#v\nwant %#v", got, want)
			}

			// Re-encoding the decoded packet gives the same bytes.
			b2, err := got.Append(nil, tc.v)
			if err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("re-encode: %v\n got % x\nwant % x", err, b2, b)
			}

			// Decode never aliases its input: scribbling on the input after
			// decoding changes nothing.
			scratch := bytes.Clone(b)
			got, _, _ = DecodePacket(scratch, tc.v, 0)
			for i := range scratch {
				scratch[i] = 0xAA
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded packet changed when its input was overwritten: %#v", got)
			}

			// Append allocates nothing when dst has room.
			dst := make([]byte, 0, len(b))
			if allocs := testing.AllocsPerRun(20, func() { dst, _ = tc.p.Append(dst[:0], tc.v) }); allocs != 0 {
				t.Errorf("Append allocated %.0f times with a large enough buffer", allocs)
			}

			// Append extends dst, keeping what it already held.
			prefixed, err := tc.p.Append([]byte("xyz"), tc.v)
			if err != nil || string(prefixed[:3]) != "xyz" || !bytes.Equal(prefixed[3:], b) {
				t.Errorf("Append onto a non-empty slice: %v % x", err, prefixed)
			}
		})
	}
}

// TestDecodeReuse decodes different packets into one struct: every field of
// the earlier packet must be replaced, and the hot path must not allocate.
func TestDecodeReuse(t *testing.T) {
	big := &Publish{Topic: "a/b", QoS: QoS2, PacketID: 9, Dup: true, Retain: true, Payload: []byte("long payload here"),
		Properties: sampleProps(PUBLISH, allowedIDs(PUBLISH)...)}
	small := &Publish{Topic: "a/b", QoS: QoS0, Payload: []byte("x")}
	bigB, _ := big.Append(nil, V5)
	smallB, _ := small.Append(nil, V5)
	var p Publish
	h, _ := parseFixedHeader(bigB, 0)
	if err := p.Decode(h.Flags, bigB[h.Len:], V5); err != nil {
		t.Fatal(err)
	}
	if err := p.Decode(smallB[0]&0x0F, smallB[2:], V5); err != nil {
		t.Fatal(err)
	}
	if want := normalize(small, V5); !reflect.DeepEqual(&p, want) {
		t.Fatalf("after reuse\n got %#v\nwant %#v", &p, want)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := p.Decode(smallB[0]&0x0F, smallB[2:], V5); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("decoding a PUBLISH with the same topic into a reused struct allocated %.0f times", allocs)
	}
	var ack Puback
	ackB, _ := (&Puback{PacketID: 3}).Append(nil, V5)
	if a := testing.AllocsPerRun(100, func() { _ = ack.Decode(0, ackB[2:], V5) }); a != 0 {
		t.Errorf("decoding a PUBACK allocated %.0f times", a)
	}
}

// TestV311RejectsProperties checks that encoding any property under MQTT
// 3.1.1 fails rather than silently dropping it.
func TestV311RejectsProperties(t *testing.T) {
	for _, base := range basePackets(V5) {
		if properties(base) == nil || base.Type() == AUTH {
			continue
		}
		p := normalize(base, V5)
		switch p := p.(type) {
		case *Connect:
			p.ProtocolVersion = 0
		case *Unsuback:
			p.ReasonCodes = nil
		}
		*properties(p) = Properties{UserProperties: []UserProperty{{"k", "v"}}}
		_, err := p.Append(nil, V311)
		assertError(t, err, ProtocolError, "MQTT 3.1.1 does not have")
	}
	_, err := (&Auth{}).Append(nil, V311)
	assertError(t, err, ProtocolError, "AUTH does not exist in MQTT 3.1.1")
	_, err = (&Connect{ClientID: "c", Will: &Will{Topic: "t", Properties: Properties{WillDelayInterval: 1}}}).Append(nil, V311)
	assertError(t, err, ProtocolError, "Will Properties carries properties")
}

func assertError(t *testing.T, err error, code ReasonCode, substr string) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %v (%T), want *Error with code 0x%02X containing %q", err, err, byte(code), substr)
	}
	if e.Code != code {
		t.Errorf("error %q has code 0x%02X (%s), want 0x%02X (%s)", e, byte(e.Code), e.Code, byte(code), code)
	}
	if !bytes.Contains([]byte(e.Error()), []byte(substr)) {
		t.Errorf("error %q does not contain %q", e, substr)
	}
}
