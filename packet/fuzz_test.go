package packet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
)

// checkCodecError fails unless err is what the codec promises: an *Error or
// io.ErrUnexpectedEOF.
func checkCodecError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) && err != io.ErrUnexpectedEOF {
		t.Fatalf("error %v (%T) is neither *Error nor io.ErrUnexpectedEOF", err, err)
	}
	if e != nil && e.Msg == "" {
		t.Fatalf("error %v says nothing about what was wrong", err)
	}
}

// reencode checks that a decoded packet encodes, that its encoding decodes to
// an equal packet, and that encoding is stable.
func reencode(t *testing.T, p Packet, v Version) {
	t.Helper()
	if c, ok := p.(*Connect); ok {
		v = c.ProtocolVersion
	}
	b, err := p.Append(nil, v)
	if err != nil {
		t.Fatalf("decoded %v but cannot encode it: %v", p, err)
	}
	q, n, err := DecodePacket(b, v, 0)
	if err != nil || n != len(b) {
		t.Fatalf("re-decoding % x: %v (used %d bytes)", b, err, n)
	}
	if !reflect.DeepEqual(p, q) {
		t.Fatalf("re-decoded packet differs\nfirst  %#v\nsecond %#v", p, q)
	}
	b2, _ := q.Append(nil, v)
	if !bytes.Equal(b, b2) {
		t.Fatalf("encoding is not stable:\n% x\n% x", b, b2)
	}
	_ = fmt.Sprint(p)
}

func version(v5 bool) Version {
	if v5 {
		return V5
	}
	return V311
}

// FuzzReadPacket decodes arbitrary bytes as MQTT 5 or 3.1.1: whatever decodes
// re-encodes and re-decodes equal, ReadPacket agrees with DecodePacket, and
// every failure is a codec error.
func FuzzReadPacket(f *testing.F) {
	for _, tc := range roundTripCases() {
		b, _ := tc.p.Append(nil, tc.v)
		f.Add(b, tc.v == V5)
	}
	for _, tc := range malformedCases {
		f.Add(tc.in, tc.v == V5)
	}
	f.Fuzz(func(t *testing.T, data []byte, v5 bool) {
		v := version(v5)
		p, n, err := DecodePacket(data, v, 0)
		r, rerr := ReadPacket(bufio.NewReaderSize(bytes.NewReader(data), 64), v, 0)
		if len(data) == 0 {
			if rerr != io.EOF {
				t.Fatalf("ReadPacket of nothing: %v", rerr)
			}
		} else if (err == nil) != (rerr == nil) || (err != nil && err.Error() != rerr.Error()) {
			t.Fatalf("DecodePacket and ReadPacket disagree: %v / %v", err, rerr)
		}
		if err != nil {
			checkCodecError(t, err)
			return
		}
		if n > len(data) || !reflect.DeepEqual(p, r) {
			t.Fatalf("DecodePacket (%d bytes) %#v, ReadPacket %#v", n, p, r)
		}
		reencode(t, p, v)
	})
}

// propsFrom decodes fuzzed property bytes (length-prefixed) for context ctx,
// or returns empty properties when they don't decode.
func propsFrom(raw []byte, t, ctx Type) Properties {
	var p Properties
	r := body{b: appendVBI(nil, len(raw)), t: t}
	r.b = append(r.b, raw...)
	if p.decode(&r, ctx) != nil {
		return Properties{}
	}
	p.Present = 0 // exercise encoding from values alone
	return p
}

// buildAndCheck encodes a packet built from fuzzed fields: either Append
// refuses it with a codec error, or it decodes to the same packet.
func buildAndCheck(t *testing.T, p Packet, v Version) {
	b, err := p.Append(nil, v)
	if err != nil {
		checkCodecError(t, err)
		return
	}
	q, n, err := DecodePacket(b, v, 0)
	if err != nil || n != len(b) {
		t.Fatalf("Append gave % x, which does not decode: %v", b, err)
	}
	if want := normalize(p, v); !reflect.DeepEqual(q, want) {
		t.Fatalf("decoded\n%#v\nwant\n%#v", q, want)
	}
	reencode(t, q, v)
}

// decodeBody decodes fuzzed bytes as the body of a packet of type t and, when
// they decode, checks the packet re-encodes.
func decodeBody(t *testing.T, typ Type, flags byte, raw []byte, v Version) {
	p, _ := NewPacket(typ)
	if err := p.Decode(flags&0x0F, raw, v); err != nil {
		checkCodecError(t, err)
		return
	}
	reencode(t, p, v)
}

// FuzzConnect builds CONNECTs from fuzzed fields and decodes fuzzed CONNECT bodies.
func FuzzConnect(f *testing.F) {
	for _, tc := range roundTripCases() {
		c, ok := tc.p.(*Connect)
		if !ok {
			continue
		}
		b, _ := c.Append(nil, tc.v)
		h, _ := parseFixedHeader(b, 0)
		w := c.Will
		if w == nil {
			w = &Will{}
		}
		props := encodeProps(&c.Properties, CONNECT, CONNECT, tc.v)
		willProps := encodeProps(&w.Properties, CONNECT, willContext, tc.v)
		f.Add(tc.v == V5, c.ClientID, c.Username, c.Password, c.Will != nil, w.Topic, w.Payload, byte(w.QoS), w.Retain, c.KeepAlive, props, willProps, b[h.Len:])
	}
	f.Fuzz(func(t *testing.T, v5 bool, clientID, username string, password []byte, will bool, willTopic string, willPayload []byte,
		willQoS byte, willRetain bool, keepAlive uint16, props, willProps, raw []byte) {
		v := version(v5)
		c := &Connect{ClientID: clientID, Username: username, Password: nilIfEmpty(password), KeepAlive: keepAlive, CleanStart: keepAlive%2 == 0,
			Properties: propsFrom(props, CONNECT, CONNECT)}
		if will {
			c.Will = &Will{Topic: willTopic, Payload: nilIfEmpty(willPayload), QoS: QoS(willQoS), Retain: willRetain, Properties: propsFrom(willProps, CONNECT, willContext)}
		}
		if !v5 {
			c.Properties, c.Will = Properties{}, nil
		}
		buildAndCheck(t, c, v)
		decodeBody(t, CONNECT, 0, raw, v)
	})
}

// FuzzPublish builds PUBLISHes from fuzzed fields and decodes fuzzed PUBLISH bodies.
func FuzzPublish(f *testing.F) {
	for _, tc := range roundTripCases() {
		p, ok := tc.p.(*Publish)
		if !ok {
			continue
		}
		b, _ := p.Append(nil, tc.v)
		h, _ := parseFixedHeader(b, 0)
		props := encodeProps(&p.Properties, PUBLISH, PUBLISH, tc.v)
		f.Add(tc.v == V5, p.Topic, p.Payload, byte(p.QoS), p.Dup, p.Retain, p.PacketID, props, h.Flags, b[h.Len:])
	}
	f.Fuzz(func(t *testing.T, v5 bool, topic string, payload []byte, qos byte, dup, retain bool, id uint16, props []byte, flags byte, raw []byte) {
		v := version(v5)
		p := &Publish{Topic: topic, Payload: nilIfEmpty(payload), QoS: QoS(qos), Dup: dup, Retain: retain, PacketID: id}
		if v5 {
			p.Properties = propsFrom(props, PUBLISH, PUBLISH)
		}
		buildAndCheck(t, p, v)
		decodeBody(t, PUBLISH, flags, raw, v)
		// Decoding into a reused struct gives what a fresh one gives.
		var reused Publish
		fresh := new(Publish)
		for _, in := range [][]byte{raw, payload, raw} {
			errR := reused.Decode(flags&0x0F, in, v)
			errF := fresh.Decode(flags&0x0F, in, v)
			if (errR == nil) != (errF == nil) {
				t.Fatalf("reused and fresh structs disagree: %v / %v", errR, errF)
			}
			if errR == nil && !reflect.DeepEqual(normalizeEmpty(&reused), normalizeEmpty(fresh)) {
				t.Fatalf("reused %#v\nfresh  %#v", &reused, fresh)
			}
			fresh = new(Publish)
		}
	})
}

// normalizeEmpty turns an empty non-nil payload (left by slice reuse) into nil.
func normalizeEmpty(p *Publish) Publish {
	q := *p
	if len(q.Payload) == 0 {
		q.Payload = nil
	}
	return q
}

// FuzzSubscribe builds SUBSCRIBEs from fuzzed fields and decodes fuzzed SUBSCRIBE bodies.
func FuzzSubscribe(f *testing.F) {
	for _, tc := range roundTripCases() {
		s, ok := tc.p.(*Subscribe)
		if !ok {
			continue
		}
		b, _ := s.Append(nil, tc.v)
		h, _ := parseFixedHeader(b, 0)
		props := encodeProps(&s.Properties, SUBSCRIBE, SUBSCRIBE, tc.v)
		sub := s.Subscriptions[0]
		f.Add(tc.v == V5, s.PacketID, sub.Filter, sub.options(), "a/b", byte(1), props, b[h.Len:])
	}
	f.Add(true, uint16(1), "$share/g/a/#", byte(0x2A), "$share//x", byte(0x04), []byte{0x0B, 0x01}, []byte{0, 1, 0, 0, 1, 'a'})
	f.Fuzz(func(t *testing.T, v5 bool, id uint16, filter1 string, opts1 byte, filter2 string, opts2 byte, props, raw []byte) {
		v := version(v5)
		sub := func(filter string, o byte) Subscription {
			return Subscription{Filter: filter, QoS: QoS(o & 3), NoLocal: o&4 != 0, RetainAsPublished: o&8 != 0, RetainHandling: o >> 4 & 3}
		}
		s := &Subscribe{PacketID: id, Subscriptions: []Subscription{sub(filter1, opts1), sub(filter2, opts2)}}
		if v5 {
			s.Properties = propsFrom(props, SUBSCRIBE, SUBSCRIBE)
		}
		buildAndCheck(t, s, v)
		u := &Unsubscribe{PacketID: id, Filters: []string{filter1, filter2}}
		buildAndCheck(t, u, v)
		decodeBody(t, SUBSCRIBE, 0x02, raw, v)
		decodeBody(t, UNSUBSCRIBE, 0x02, raw, v)
		// The filter checks and ParseShared agree, and matching never panics.
		errF := ValidateTopicFilter(filter1)
		g, inner, errS := ParseShared(filter1)
		if (errF == nil) != (errS == nil) {
			t.Fatalf("ValidateTopicFilter(%q) = %v but ParseShared = %v", filter1, errF, errS)
		}
		// The filter after the group is a valid plain filter; it may itself
		// start with "$share/" ("$share/g/$share/" is legal, if odd), so it
		// is checked as a plain filter, not re-parsed as a shared one.
		if errF == nil && g != "" && checkFilterLevels(0, inner) != nil {
			t.Fatalf("ParseShared(%q) returned the invalid filter %q", filter1, inner)
		}
		if errF == nil && ValidateTopicName(filter2) == nil {
			_ = MatchTopic(inner, filter2)
		}
	})
}

// FuzzProperties decodes fuzzed property bytes in every packet context: what
// decodes and validates re-encodes to the same bytes.
func FuzzProperties(f *testing.F) {
	for _, tc := range roundTripCases() {
		if props := properties(tc.p); props != nil && tc.v == V5 {
			b := encodeProps(props, tc.p.Type(), tc.p.Type(), V5)
			f.Add(append(appendVBI(nil, len(b)), b...), byte(tc.p.Type()))
		}
	}
	f.Add([]byte{0x05, 0x11, 0, 0, 0, 1}, byte(16))
	f.Fuzz(func(t *testing.T, raw []byte, ctx byte) {
		c := Type(ctx % 17)
		pt := c
		if c == willContext {
			pt = CONNECT
		}
		var p Properties
		r := body{b: raw, t: pt}
		if err := p.decode(&r, c); err != nil {
			checkCodecError(t, err)
			return
		}
		set, err := p.validate(pt, c, V5)
		if err != nil {
			checkCodecError(t, err)
			return
		}
		size := p.size(set)
		enc := p.append(nil, set, size)
		if len(enc) != vbiLen(size)+size {
			t.Fatalf("size %d but %d bytes written", size, len(enc))
		}
		var q Properties
		r2 := body{b: enc, t: pt}
		if err := q.decode(&r2, c); err != nil {
			t.Fatalf("re-decoding % x: %v", enc, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("re-decoded properties differ\n%#v\n%#v", p, q)
		}
		// Encoding writes properties in identifier order, the input may use
		// another, but the length is the same (VBIs are minimal).
		if len(enc) != r.off {
			t.Fatalf("re-encoded length %d, input used %d", len(enc), r.off)
		}
	})
}

// encodeProps is the property bytes of p in context ctx, without the length.
func encodeProps(p *Properties, t, ctx Type, v Version) []byte {
	set, err := p.validate(t, ctx, v)
	if err != nil || v != V5 {
		return nil
	}
	return p.append(nil, set, p.size(set))[vbiLen(p.size(set)):]
}
