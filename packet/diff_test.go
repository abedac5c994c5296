package packet

// Differential tests against github.com/eclipse/paho.golang/packets v0.23.0,
// an independent MQTT 5 codec (test-only dependency). paho's codec is MQTT 5
// only, so these tests run under V5.
//
// Where the two disagree, mqttkit must be right by the specification; each
// known disagreement is listed in pahoExceptions (and docs/FUZZING.md) with
// the reason paho is wrong, and any disagreement not on the list fails.

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/eclipse/paho.golang/packets"
)

func ptr[T any](v T) *T { return &v }

func propsToPaho(p Properties) *packets.Properties {
	s := p.set()
	q := &packets.Properties{
		ContentType: p.ContentType, ResponseTopic: p.ResponseTopic, CorrelationData: p.CorrelationData,
		AssignedClientID: p.AssignedClientIdentifier, AuthMethod: p.AuthenticationMethod, AuthData: p.AuthenticationData,
		ResponseInfo: p.ResponseInformation, ServerReference: p.ServerReference, ReasonString: p.ReasonString,
	}
	num := func(id PropertyID) bool { return s.Has(id) }
	if num(PropPayloadFormatIndicator) {
		q.PayloadFormat = ptr(p.PayloadFormatIndicator)
	}
	if num(PropMessageExpiryInterval) {
		q.MessageExpiry = ptr(p.MessageExpiryInterval)
	}
	if n := len(p.SubscriptionIdentifiers); n > 0 {
		q.SubscriptionIdentifier = ptr(int(p.SubscriptionIdentifiers[n-1])) // paho holds one
	}
	if num(PropSessionExpiryInterval) {
		q.SessionExpiryInterval = ptr(p.SessionExpiryInterval)
	}
	if num(PropServerKeepAlive) {
		q.ServerKeepAlive = ptr(p.ServerKeepAlive)
	}
	if num(PropRequestProblemInformation) {
		q.RequestProblemInfo = ptr(p.RequestProblemInformation)
	}
	if num(PropWillDelayInterval) {
		q.WillDelayInterval = ptr(p.WillDelayInterval)
	}
	if num(PropRequestResponseInformation) {
		q.RequestResponseInfo = ptr(p.RequestResponseInformation)
	}
	if num(PropReceiveMaximum) {
		q.ReceiveMaximum = ptr(p.ReceiveMaximum)
	}
	if num(PropTopicAliasMaximum) {
		q.TopicAliasMaximum = ptr(p.TopicAliasMaximum)
	}
	if num(PropTopicAlias) {
		q.TopicAlias = ptr(p.TopicAlias)
	}
	if num(PropMaximumQoS) {
		q.MaximumQOS = ptr(p.MaximumQoS)
	}
	if num(PropRetainAvailable) {
		q.RetainAvailable = ptr(p.RetainAvailable)
	}
	if num(PropMaximumPacketSize) {
		q.MaximumPacketSize = ptr(p.MaximumPacketSize)
	}
	if num(PropWildcardSubscriptionAvailable) {
		q.WildcardSubAvailable = ptr(p.WildcardSubscriptionAvailable)
	}
	if num(PropSubscriptionIdentifierAvailable) {
		q.SubIDAvailable = ptr(p.SubscriptionIdentifierAvailable)
	}
	if num(PropSharedSubscriptionAvailable) {
		q.SharedSubAvailable = ptr(p.SharedSubscriptionAvailable)
	}
	for _, u := range p.UserProperties {
		q.User = append(q.User, packets.User{Key: u.Key, Value: u.Value})
	}
	return q
}

func propsFromPaho(q *packets.Properties) Properties {
	if q == nil {
		return Properties{}
	}
	var p Properties
	setB := func(id PropertyID, v *byte, dst *byte) {
		if v != nil {
			*dst = *v
			p.Present = p.Present.With(id)
		}
	}
	setB(PropPayloadFormatIndicator, q.PayloadFormat, &p.PayloadFormatIndicator)
	setB(PropRequestProblemInformation, q.RequestProblemInfo, &p.RequestProblemInformation)
	setB(PropRequestResponseInformation, q.RequestResponseInfo, &p.RequestResponseInformation)
	setB(PropMaximumQoS, q.MaximumQOS, &p.MaximumQoS)
	setB(PropRetainAvailable, q.RetainAvailable, &p.RetainAvailable)
	setB(PropWildcardSubscriptionAvailable, q.WildcardSubAvailable, &p.WildcardSubscriptionAvailable)
	setB(PropSubscriptionIdentifierAvailable, q.SubIDAvailable, &p.SubscriptionIdentifierAvailable)
	setB(PropSharedSubscriptionAvailable, q.SharedSubAvailable, &p.SharedSubscriptionAvailable)
	set16 := func(id PropertyID, v *uint16, dst *uint16) {
		if v != nil {
			*dst = *v
			p.Present = p.Present.With(id)
		}
	}
	set16(PropServerKeepAlive, q.ServerKeepAlive, &p.ServerKeepAlive)
	set16(PropReceiveMaximum, q.ReceiveMaximum, &p.ReceiveMaximum)
	set16(PropTopicAliasMaximum, q.TopicAliasMaximum, &p.TopicAliasMaximum)
	set16(PropTopicAlias, q.TopicAlias, &p.TopicAlias)
	set32 := func(id PropertyID, v *uint32, dst *uint32) {
		if v != nil {
			*dst = *v
			p.Present = p.Present.With(id)
		}
	}
	set32(PropMessageExpiryInterval, q.MessageExpiry, &p.MessageExpiryInterval)
	set32(PropSessionExpiryInterval, q.SessionExpiryInterval, &p.SessionExpiryInterval)
	set32(PropWillDelayInterval, q.WillDelayInterval, &p.WillDelayInterval)
	set32(PropMaximumPacketSize, q.MaximumPacketSize, &p.MaximumPacketSize)
	if q.SubscriptionIdentifier != nil {
		p.SubscriptionIdentifiers = []uint32{uint32(*q.SubscriptionIdentifier)}
	}
	p.ContentType, p.ResponseTopic, p.AssignedClientIdentifier = q.ContentType, q.ResponseTopic, q.AssignedClientID
	p.AuthenticationMethod, p.ResponseInformation, p.ServerReference, p.ReasonString = q.AuthMethod, q.ResponseInfo, q.ServerReference, q.ReasonString
	// paho reads a present but empty binary property as an empty, non-nil
	// slice, and mqttkit as a nil one with its Present bit set.
	if q.CorrelationData != nil {
		p.Present = p.Present.With(PropCorrelationData)
	}
	if q.AuthData != nil {
		p.Present = p.Present.With(PropAuthenticationData)
	}
	p.CorrelationData, p.AuthenticationData = nilIfEmpty(q.CorrelationData), nilIfEmpty(q.AuthData)
	for _, u := range q.User {
		p.UserProperties = append(p.UserProperties, UserProperty{u.Key, u.Value})
	}
	p.Present |= p.set()
	return p
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

func codesToBytes(c []ReasonCode) []byte {
	b := make([]byte, len(c))
	for i := range c {
		b[i] = byte(c[i])
	}
	return b
}

func codesFromBytes(b []byte) []ReasonCode {
	if len(b) == 0 {
		return nil
	}
	c := make([]ReasonCode, len(b))
	for i := range b {
		c[i] = ReasonCode(b[i])
	}
	return c
}

// toPaho builds paho's version of an MQTT 5 packet.
func toPaho(p Packet) packets.Packet {
	switch p := p.(type) {
	case *Connect:
		c := &packets.Connect{ProtocolName: "MQTT", ProtocolVersion: 5, CleanStart: p.CleanStart, KeepAlive: p.KeepAlive,
			ClientID: p.ClientID, UsernameFlag: p.hasUsername(), Username: p.Username, PasswordFlag: p.hasPassword(),
			Password: p.Password, Properties: propsToPaho(p.Properties)}
		if w := p.Will; w != nil {
			c.WillFlag, c.WillQOS, c.WillRetain, c.WillTopic, c.WillMessage = true, byte(w.QoS), w.Retain, w.Topic, w.Payload
			c.WillProperties = propsToPaho(w.Properties)
		}
		return c
	case *Connack:
		return &packets.Connack{SessionPresent: p.SessionPresent, ReasonCode: byte(p.ReasonCode), Properties: propsToPaho(p.Properties)}
	case *Publish:
		return &packets.Publish{Topic: p.Topic, QoS: byte(p.QoS), PacketID: p.PacketID, Duplicate: p.Dup, Retain: p.Retain,
			Payload: p.Payload, Properties: propsToPaho(p.Properties)}
	case *Puback:
		return &packets.Puback{PacketID: p.PacketID, ReasonCode: byte(p.ReasonCode), Properties: propsToPaho(p.Properties)}
	case *Pubrec:
		return &packets.Pubrec{PacketID: p.PacketID, ReasonCode: byte(p.ReasonCode), Properties: propsToPaho(p.Properties)}
	case *Pubrel:
		return &packets.Pubrel{PacketID: p.PacketID, ReasonCode: byte(p.ReasonCode), Properties: propsToPaho(p.Properties)}
	case *Pubcomp:
		return &packets.Pubcomp{PacketID: p.PacketID, ReasonCode: byte(p.ReasonCode), Properties: propsToPaho(p.Properties)}
	case *Subscribe:
		s := &packets.Subscribe{PacketID: p.PacketID, Properties: propsToPaho(p.Properties)}
		for _, o := range p.Subscriptions {
			s.Subscriptions = append(s.Subscriptions, packets.SubOptions{Topic: o.Filter, QoS: byte(o.QoS),
				NoLocal: o.NoLocal, RetainAsPublished: o.RetainAsPublished, RetainHandling: o.RetainHandling})
		}
		return s
	case *Suback:
		return &packets.Suback{PacketID: p.PacketID, Reasons: codesToBytes(p.ReasonCodes), Properties: propsToPaho(p.Properties)}
	case *Unsubscribe:
		return &packets.Unsubscribe{PacketID: p.PacketID, Topics: p.Filters, Properties: propsToPaho(p.Properties)}
	case *Unsuback:
		return &packets.Unsuback{PacketID: p.PacketID, Reasons: codesToBytes(p.ReasonCodes), Properties: propsToPaho(p.Properties)}
	case *Pingreq:
		return &packets.Pingreq{}
	case *Pingresp:
		return &packets.Pingresp{}
	case *Disconnect:
		return &packets.Disconnect{ReasonCode: byte(p.ReasonCode), Properties: propsToPaho(p.Properties)}
	case *Auth:
		return &packets.Auth{ReasonCode: byte(p.ReasonCode), Properties: propsToPaho(p.Properties)}
	}
	panic(fmt.Sprintf("toPaho: %T", p))
}

// fromPaho converts a packet decoded by paho to mqttkit's form, with Present
// set as mqttkit's decoder would set it.
func fromPaho(cp packets.Packet) Packet {
	switch p := cp.(type) {
	case *packets.Connect:
		c := &Connect{ProtocolVersion: Version(p.ProtocolVersion), CleanStart: p.CleanStart, KeepAlive: p.KeepAlive,
			ClientID: p.ClientID, HasUsername: p.UsernameFlag, HasPassword: p.PasswordFlag, Properties: propsFromPaho(p.Properties)}
		if p.UsernameFlag {
			c.Username = p.Username
		}
		if p.PasswordFlag {
			c.Password = nilIfEmpty(p.Password)
		}
		if p.WillFlag {
			c.Will = &Will{QoS: QoS(p.WillQOS), Retain: p.WillRetain, Topic: p.WillTopic, Payload: nilIfEmpty(p.WillMessage),
				Properties: propsFromPaho(p.WillProperties)}
		}
		return c
	case *packets.Connack:
		return &Connack{SessionPresent: p.SessionPresent, ReasonCode: ReasonCode(p.ReasonCode), Properties: propsFromPaho(p.Properties)}
	case *packets.Publish:
		return &Publish{Topic: p.Topic, QoS: QoS(p.QoS), PacketID: p.PacketID, Dup: p.Duplicate, Retain: p.Retain,
			Payload: nilIfEmpty(p.Payload), Properties: propsFromPaho(p.Properties)}
	case *packets.Puback:
		return &Puback{PacketID: p.PacketID, ReasonCode: ReasonCode(p.ReasonCode), Properties: propsFromPaho(p.Properties)}
	case *packets.Pubrec:
		return &Pubrec{PacketID: p.PacketID, ReasonCode: ReasonCode(p.ReasonCode), Properties: propsFromPaho(p.Properties)}
	case *packets.Pubrel:
		return &Pubrel{PacketID: p.PacketID, ReasonCode: ReasonCode(p.ReasonCode), Properties: propsFromPaho(p.Properties)}
	case *packets.Pubcomp:
		return &Pubcomp{PacketID: p.PacketID, ReasonCode: ReasonCode(p.ReasonCode), Properties: propsFromPaho(p.Properties)}
	case *packets.Subscribe:
		s := &Subscribe{PacketID: p.PacketID, Properties: propsFromPaho(p.Properties)}
		for _, o := range p.Subscriptions {
			s.Subscriptions = append(s.Subscriptions, Subscription{Filter: o.Topic, QoS: QoS(o.QoS), NoLocal: o.NoLocal,
				RetainAsPublished: o.RetainAsPublished, RetainHandling: o.RetainHandling})
		}
		return s
	case *packets.Suback:
		return &Suback{PacketID: p.PacketID, ReasonCodes: codesFromBytes(p.Reasons), Properties: propsFromPaho(p.Properties)}
	case *packets.Unsubscribe:
		return &Unsubscribe{PacketID: p.PacketID, Filters: p.Topics, Properties: propsFromPaho(p.Properties)}
	case *packets.Unsuback:
		return &Unsuback{PacketID: p.PacketID, ReasonCodes: codesFromBytes(p.Reasons), Properties: propsFromPaho(p.Properties)}
	case *packets.Pingreq:
		return &Pingreq{}
	case *packets.Pingresp:
		return &Pingresp{}
	case *packets.Disconnect:
		return &Disconnect{ReasonCode: ReasonCode(p.ReasonCode), Properties: propsFromPaho(p.Properties)}
	case *packets.Auth:
		return &Auth{ReasonCode: ReasonCode(p.ReasonCode), Properties: propsFromPaho(p.Properties)}
	}
	panic(fmt.Sprintf("fromPaho: %T", cp))
}

// pahoRead decodes b with paho, turning a panic into an error. paho
// allocates the Remaining Length its fixed header announces before reading
// the body, so an input announcing more than it holds is refused here with
// the error paho would give after that allocation (it reads to EOF).
func pahoRead(b []byte) (p Packet, err error) {
	remaining, shift, i := 0, 0, 1
	for ; i < len(b) && shift < 63; i++ {
		remaining |= int(b[i]&0x7F) << shift
		shift += 7
		if b[i] < 0x80 {
			break
		}
	}
	if i >= len(b) || remaining < 0 || remaining > len(b)-i-1 {
		return nil, fmt.Errorf("EOF: input holds less than the announced packet")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("paho panicked: %v", r)
		}
	}()
	cp, err := packets.ReadPacket(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return fromPaho(cp.Content), nil
}

// keepLastSubID mirrors paho's single Subscription Identifier field, which
// keeps the last of several (exception "paho keeps one Subscription Identifier").
func keepLastSubID(p Packet) {
	if props := properties(p); props != nil && len(props.SubscriptionIdentifiers) > 1 {
		props.SubscriptionIdentifiers = props.SubscriptionIdentifiers[len(props.SubscriptionIdentifiers)-1:]
	}
}

// forgetEmptyStrings mirrors paho's string properties, which cannot tell an
// empty string that was sent from one that was not (exception "paho loses
// empty string properties"): it drops the Present bit of every empty string
// property of p and of its Will.
func forgetEmptyStrings(p Packet) {
	forget := func(props *Properties) {
		for _, id := range [...]PropertyID{PropContentType, PropResponseTopic, PropAssignedClientIdentifier, PropAuthenticationMethod,
			PropResponseInformation, PropServerReference, PropReasonString} {
			if props.stringValue(id) == "" {
				props.Present &^= 1 << id
			}
		}
	}
	if props := properties(p); props != nil {
		forget(props)
	}
	if c, ok := p.(*Connect); ok && c.Will != nil {
		forget(&c.Will.Properties)
	}
}

// TestDiffMqttkitToPaho: bytes mqttkit encodes decode in paho to the same fields.
func TestDiffMqttkitToPaho(t *testing.T) {
	for _, tc := range roundTripCases() {
		if tc.v != V5 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.p.Append(nil, V5)
			if err != nil {
				t.Fatal(err)
			}
			got, err := pahoRead(b)
			if _, ok := tc.p.(*Disconnect); ok && len(b) == 2 {
				// Exception "empty DISCONNECT": mqttkit writes the shortest
				// form (§3.14.2.1); paho cannot read it.
				if err == nil {
					t.Fatalf("paho now reads the empty DISCONNECT as %v; drop the exception", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("paho rejects % x: %v", b, err)
			}
			want := normalize(tc.p, V5)
			keepLastSubID(want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("paho decoded\n%#v\nwant\n%#v", got, want)
			}
		})
	}
}

// TestDiffPahoToMqttkit: bytes paho encodes decode in mqttkit to the same fields.
func TestDiffPahoToMqttkit(t *testing.T) {
	for _, tc := range roundTripCases() {
		if tc.v != V5 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			pp := toPaho(tc.p)
			var buf bytes.Buffer
			if _, err := pp.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			got, n, err := DecodePacket(buf.Bytes(), V5, 0)
			if err != nil || n != buf.Len() {
				t.Fatalf("mqttkit rejects paho's % x: %v (used %d bytes)", buf.Bytes(), err, n)
			}
			want := fromPaho(pp)
			if c, ok := want.(*Connect); ok && c.Will != nil {
				// Exception "paho drops Will Properties": paho packs Will
				// Properties with CONNECT's rules, writing only Will Delay
				// Interval and User Properties.
				wp := c.Will.Properties
				c.Will.Properties = Properties{WillDelayInterval: wp.WillDelayInterval, UserProperties: wp.UserProperties}
				c.Will.Properties.Present = c.Will.Properties.set()
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("mqttkit decoded\n%#v\nwant\n%#v", got, want)
			}
		})
	}
}

// pahoException is a class of inputs where paho's decoder disagrees with
// mqttkit's and paho is wrong. match recognises the class from mqttkit's
// error (when mqttkit rejects) or from the input and paho's error (when
// paho rejects).
type pahoException struct {
	name, why string
	match     func(in []byte, mqttErr, pahoErr error) bool
}

func mqttErrHas(subs ...string) func([]byte, error, error) bool {
	return func(_ []byte, mqttErr, pahoErr error) bool {
		if mqttErr == nil || pahoErr != nil {
			return false
		}
		for _, s := range subs {
			if strings.Contains(mqttErr.Error(), s) {
				return true
			}
		}
		return false
	}
}

func mqttErrCode(codes ...ReasonCode) func([]byte, error, error) bool {
	return func(_ []byte, mqttErr, pahoErr error) bool {
		e, ok := mqttErr.(*Error)
		if !ok || pahoErr != nil {
			return false
		}
		for _, c := range codes {
			if e.Code == c {
				return true
			}
		}
		return false
	}
}

// pahoExceptions lists every accepted disagreement; docs/FUZZING.md repeats it.
var pahoExceptions = []pahoException{
	{"fixed-header flags", "paho ignores the reserved flag bits of the fixed header, QoS 3 and DUP on QoS 0 (MQTT-2.1.3-1, MQTT-3.3.1-2, MQTT-3.3.1-4)",
		mqttErrHas("reserved fixed-header flags", "QoS 3 in the fixed header", "DUP flag set on a QoS 0")},
	{"variable byte integers", "paho accepts Variable Byte Integers longer than 4 bytes and in non-minimal form (MQTT-1.5.5-1)",
		mqttErrHas("longer than 4 bytes", "shortest form")},
	{"UTF-8 strings", "paho does not check UTF-8 strings for ill-formed UTF-8 or U+0000 (MQTT-1.5.4-1, MQTT-1.5.4-2)",
		mqttErrHas("not well-formed UTF-8", "U+0000")},
	{"topic names and filters", "paho does not validate topic names (wildcards, empty) or filters (wildcard placement, $share syntax) (MQTT-3.3.2-2, MQTT-4.7.1, MQTT-4.8.2)",
		mqttErrCode(TopicNameInvalid, TopicFilterInvalid)},
	{"trailing bytes", "paho ignores bytes after a packet's last field, and a property length running past the end of the packet",
		mqttErrHas("follow the last field", "has no payload", "runs past the end of the packet", "must be 0")},
	{"truncated UNSUBSCRIBE filter", "paho stops reading UNSUBSCRIBE filters at a truncated one and accepts the packet",
		func(in []byte, mqttErr, pahoErr error) bool {
			return pahoErr == nil && in[0] == 0xA2 && mqttErr != nil && strings.Contains(mqttErr.Error(), "topic filter")
		}},
	{"MQTT 3.1.1 CONNECT", "paho has no MQTT 3.1.1 decoder: it decodes every CONNECT as MQTT 5, reading properties a level-4 CONNECT does not have and every later field from the wrong offset, so it rejects valid level-4 CONNECTs and accepts malformed ones; mqttkit decodes a CONNECT by the level it carries (MQTT-3.1.2-2)",
		func(in []byte, _, _ error) bool { return isLevel4Connect(in) }},
	{"property rules", "paho does not reject duplicated properties, zero values that are Protocol Errors, out-of-range byte properties, several Subscription Identifiers in SUBSCRIBE, or Authentication Data without a Method (§2.2.2.2, §3.1.2.11, §3.2.2.3)",
		mqttErrHas("appears more than once", "must be 0 or 1", "which is not allowed", "Subscription Identifier", "Authentication Data without")},
	{"Will Properties", "paho checks Will Properties against CONNECT's list, so it accepts CONNECT-only properties in a Will and vice versa (§3.1.3.2)",
		mqttErrHas("not allowed in Will Properties", "not allowed in CONNECT")},
	{"reason codes", "paho accepts any reason code in any packet (§2.4 and each packet's list)",
		mqttErrHas("reason code 0x", "no reason codes")},
	{"packet identifier 0", "paho accepts packet identifier 0 where a non-zero one is required (MQTT-2.2.1-3)",
		mqttErrHas("packet identifier 0")},
	{"empty SUBSCRIBE/UNSUBSCRIBE", "paho accepts SUBSCRIBE and UNSUBSCRIBE without topic filters (MQTT-3.8.3-2, MQTT-3.10.3-2)",
		mqttErrHas("no topic filters")},
	{"flag and option bits", "paho ignores the CONNECT reserved bit, inconsistent will flags, reserved CONNACK and subscription option bits, Retain Handling 3, No Local on shared subscriptions, and Session Present with an error (MQTT-3.1.2-3, -11, -13, MQTT-3.2.2-1, -6, MQTT-3.8.3-4, -5)",
		mqttErrHas("reserved connect flag", "will QoS", "without the will flag", "reserved acknowledge flag", "reserved subscription option bits", "Retain Handling 3", "asks for QoS 3", "No Local set", "session present set")},
	{"protocol name and level", "paho accepts any protocol name and level in CONNECT (MQTT-3.1.2-1, MQTT-3.1.2-2)",
		mqttErrCode(UnsupportedProtocolVersion)},
	{"empty topic without alias", "paho accepts a PUBLISH with an empty topic and no Topic Alias (§3.3.4)",
		mqttErrHas("without a Topic Alias")},
	{"one-byte AUTH", "paho accepts an AUTH of one byte; only a Remaining Length of 0 may omit the property length (§3.15.2.2.1)",
		func(in []byte, mqttErr, pahoErr error) bool {
			return pahoErr == nil && len(in) >= 3 && in[0] == 0xF0 && in[1] == 1 && mqttErr != nil && strings.Contains(mqttErr.Error(), "property length needs 1 bytes")
		}},
	{"empty DISCONNECT", "paho rejects a DISCONNECT with Remaining Length 0, which means Normal disconnection (§3.14.2.1)",
		func(in []byte, mqttErr, pahoErr error) bool {
			return mqttErr == nil && pahoErr != nil && len(in) >= 2 && in[0]>>4 == byte(DISCONNECT) && in[1] == 0
		}},
}

// isLevel4Connect reports whether in starts with a CONNECT whose protocol
// name and level say MQTT 3.1.1.
func isLevel4Connect(in []byte) bool {
	h, err := parseFixedHeader(in, 0)
	return err == nil && h.Type == CONNECT && bytes.HasPrefix(in[h.Len:], []byte("\x00\x04MQTT\x04"))
}

// diffInputs is the shared fuzz corpus: every round-trip encoding (each
// CONNECT also with its protocol level switched between 4 and 5) and every
// malformed case with deterministic mutations of each (each byte set to 0x00,
// 0xFF, flipped and incremented; each truncation; and diffRandomMutations
// seeded random edits of one to three bytes), plus the committed
// FuzzReadPacket corpus.
func diffInputs(t *testing.T) [][]byte {
	var seeds [][]byte
	for _, tc := range roundTripCases() {
		b, err := tc.p.Append(nil, tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if tc.v == V5 || tc.p.Type() == CONNECT {
			seeds = append(seeds, b)
		}
		if h, _ := parseFixedHeader(b, 0); tc.p.Type() == CONNECT {
			other := bytes.Clone(b)
			other[h.Len+6] ^= byte(V5) ^ byte(V311) // the protocol level
			seeds = append(seeds, other)
		}
	}
	for _, tc := range malformedCases {
		if tc.v == V5 {
			seeds = append(seeds, tc.in)
		}
	}
	inputs := append([][]byte(nil), seeds...)
	for _, s := range seeds {
		if len(s) > 300 {
			continue
		}
		for i := range s {
			for _, m := range []func(byte) byte{func(byte) byte { return 0 }, func(byte) byte { return 0xFF }, func(c byte) byte { return ^c }, func(c byte) byte { return c + 1 }} {
				b := bytes.Clone(s)
				b[i] = m(b[i])
				inputs = append(inputs, b)
			}
			inputs = append(inputs, s[:i])
		}
	}
	inputs = append(inputs, randomMutations(seeds, diffRandomMutations)...)
	// The corpus FuzzReadPacket built (committed), as it is.
	files, _ := filepath.Glob("testdata/fuzz/FuzzReadPacket/*")
	for _, f := range files {
		if b, ok := readCorpusFile(t, f); ok {
			inputs = append(inputs, b)
		}
	}
	return inputs
}

// diffRandomMutations is how many randomly edited seeds diffInputs adds.
const diffRandomMutations = 30000

// randomMutations returns n copies of seeds, each with one to three random
// edits (a byte set, inserted, deleted or one bit flipped) and, half of the
// time, the one-byte Remaining Length fixed up so the edit reaches the
// decoders' field checks. The source is seeded: the inputs are the same on
// every run.
func randomMutations(seeds [][]byte, n int) [][]byte {
	rng := rand.New(rand.NewSource(1))
	out := make([][]byte, 0, n)
	for len(out) < n {
		b := bytes.Clone(seeds[rng.Intn(len(seeds))])
		for edits := rng.Intn(3) + 1; edits > 0 && len(b) > 2; edits-- {
			i := rng.Intn(len(b))
			switch rng.Intn(4) {
			case 0:
				b[i] = byte(rng.Intn(256))
			case 1:
				b = slices.Insert(b, i, byte(rng.Intn(256)))
			case 2:
				b = slices.Delete(b, i, i+1)
			case 3:
				b[i] ^= 1 << rng.Intn(8)
			}
		}
		if rng.Intn(2) == 0 && len(b) >= 2 && len(b)-2 < 128 {
			b[1] = byte(len(b) - 2)
		}
		out = append(out, b)
	}
	return out
}

// readCorpusFile reads a "go test fuzz v1" file whose first value is []byte.
func readCorpusFile(t *testing.T, name string) ([]byte, bool) {
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
		return nil, false
	}
	var s string
	if _, err := fmt.Sscanf(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"), "%q", &s); err != nil {
		return nil, false
	}
	return []byte(s), true
}

// TestDiffAcceptReject: on the fuzz corpus both decoders accept and reject the
// same inputs, except for the listed paho bugs; where both accept, the fields
// agree (but for paho's single Subscription Identifier).
func TestDiffAcceptReject(t *testing.T) {
	inputs := diffInputs(t)
	counts := map[string]int{}
	agree := 0
	for _, in := range inputs {
		mp, _, mqttErr := DecodePacket(in, V5, 0)
		pp, pahoErr := pahoRead(in)
		if (mqttErr == nil) == (pahoErr == nil) {
			agree++
			if mqttErr == nil {
				keepLastSubID(mp)
				forgetEmptyStrings(mp)
				if !reflect.DeepEqual(mp, pp) {
					t.Errorf("both accept % x but decode differently:\nmqttkit %#v\npaho    %#v", in, mp, pp)
				}
			}
			continue
		}
		explained := ""
		for _, e := range pahoExceptions {
			if e.match(in, mqttErr, pahoErr) {
				explained = e.name
				break
			}
		}
		if explained == "" {
			t.Errorf("unexplained disagreement on % x:\nmqttkit: %v\npaho:    %v", in, mqttErr, pahoErr)
			continue
		}
		counts[explained]++
	}
	t.Logf("%d inputs, %d agree", len(inputs), agree)
	for _, e := range pahoExceptions {
		t.Logf("exception %-28q %5d inputs: %s", e.name, counts[e.name], e.why)
	}
}
