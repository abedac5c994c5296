package packet

import (
	"fmt"
	"strings"
)

// String methods use value receivers so that %v prints the same, redacted
// text for a packet and for a pointer to it. Payloads print as their length;
// Password and Authentication Data never print.

// String lists the properties that would be encoded; Authentication Data
// prints only as its length.
func (p Properties) String() string {
	s := p.set()
	if s == 0 {
		return "{}"
	}
	var b strings.Builder
	b.WriteByte('{')
	for id := PropPayloadFormatIndicator; id <= PropSharedSubscriptionAvailable; id++ {
		if !s.Has(id) {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(' ')
		}
		name := strings.ReplaceAll(id.String(), " ", "")
		switch id {
		case PropUserProperty:
			for i, u := range p.UserProperties {
				if i > 0 {
					b.WriteByte(' ')
				}
				fmt.Fprintf(&b, "UserProperty=%q:%q", u.Key, u.Value)
			}
			continue
		case PropSubscriptionIdentifier:
			fmt.Fprintf(&b, "%s=%v", name, p.SubscriptionIdentifiers)
			continue
		case PropAuthenticationData:
			fmt.Fprintf(&b, "%s=<redacted %d bytes>", name, len(p.AuthenticationData))
			continue
		case PropCorrelationData:
			fmt.Fprintf(&b, "%s=%q", name, p.CorrelationData)
			continue
		}
		switch propSpecs[id].kind {
		case kindString:
			fmt.Fprintf(&b, "%s=%q", name, p.stringValue(id))
		default:
			fmt.Fprintf(&b, "%s=%d", name, p.numberValue(id))
		}
	}
	b.WriteByte('}')
	return b.String()
}

// String describes the CONNECT; the password prints as "<redacted>".
func (c Connect) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CONNECT{version=%d client=%q clean=%t keepalive=%d", c.ProtocolVersion, c.ClientID, c.CleanStart, c.KeepAlive)
	if c.hasUsername() {
		fmt.Fprintf(&b, " username=%q", c.Username)
	}
	if c.hasPassword() {
		b.WriteString(" password=<redacted>")
	}
	if c.Will != nil {
		fmt.Fprintf(&b, " will=%v", *c.Will)
	}
	fmt.Fprintf(&b, " props=%v}", c.Properties)
	return b.String()
}

// String describes the will message; its payload prints as its length.
func (w Will) String() string {
	return fmt.Sprintf("{topic=%q qos=%d retain=%t payload=%dB props=%v}", w.Topic, w.QoS, w.Retain, len(w.Payload), w.Properties)
}

// String describes the CONNACK.
func (c Connack) String() string {
	return fmt.Sprintf("CONNACK{session=%t reason=0x%02X %s props=%v}", c.SessionPresent, byte(c.ReasonCode), c.ReasonCode, c.Properties)
}

// String describes the PUBLISH; the payload prints as its length.
func (p Publish) String() string {
	return fmt.Sprintf("PUBLISH{topic=%q qos=%d id=%d dup=%t retain=%t payload=%dB props=%v}", p.Topic, p.QoS, p.PacketID, p.Dup, p.Retain, len(p.Payload), p.Properties)
}

func ackString(t Type, id uint16, rc ReasonCode, props Properties) string {
	return fmt.Sprintf("%s{id=%d reason=0x%02X %s props=%v}", t, id, byte(rc), rc, props)
}

// String describes the PUBACK.
func (p Puback) String() string { return ackString(PUBACK, p.PacketID, p.ReasonCode, p.Properties) }

// String describes the PUBREC.
func (p Pubrec) String() string { return ackString(PUBREC, p.PacketID, p.ReasonCode, p.Properties) }

// String describes the PUBREL.
func (p Pubrel) String() string { return ackString(PUBREL, p.PacketID, p.ReasonCode, p.Properties) }

// String describes the PUBCOMP.
func (p Pubcomp) String() string { return ackString(PUBCOMP, p.PacketID, p.ReasonCode, p.Properties) }

// String describes one subscription request.
func (s Subscription) String() string {
	return fmt.Sprintf("{filter=%q qos=%d nolocal=%t rap=%t rh=%d}", s.Filter, s.QoS, s.NoLocal, s.RetainAsPublished, s.RetainHandling)
}

// String describes the SUBSCRIBE.
func (s Subscribe) String() string {
	return fmt.Sprintf("SUBSCRIBE{id=%d subs=%v props=%v}", s.PacketID, s.Subscriptions, s.Properties)
}

// String describes the SUBACK with its reason codes in hex.
func (s Suback) String() string {
	return fmt.Sprintf("SUBACK{id=%d reasons=%s props=%v}", s.PacketID, codesString(s.ReasonCodes), s.Properties)
}

// String describes the UNSUBSCRIBE.
func (u Unsubscribe) String() string {
	return fmt.Sprintf("UNSUBSCRIBE{id=%d filters=%q props=%v}", u.PacketID, u.Filters, u.Properties)
}

// String describes the UNSUBACK with its reason codes in hex.
func (u Unsuback) String() string {
	return fmt.Sprintf("UNSUBACK{id=%d reasons=%s props=%v}", u.PacketID, codesString(u.ReasonCodes), u.Properties)
}

// String names the PINGREQ.
func (Pingreq) String() string { return "PINGREQ{}" }

// String names the PINGRESP.
func (Pingresp) String() string { return "PINGRESP{}" }

// String describes the DISCONNECT.
func (d Disconnect) String() string {
	return fmt.Sprintf("DISCONNECT{reason=0x%02X %s props=%v}", byte(d.ReasonCode), d.ReasonCode, d.Properties)
}

// String describes the AUTH; Authentication Data prints only as its length.
func (a Auth) String() string {
	return fmt.Sprintf("AUTH{reason=0x%02X %s props=%v}", byte(a.ReasonCode), a.ReasonCode, a.Properties)
}

// GoString keeps %#v from printing Authentication Data.
func (p Properties) GoString() string { return "packet.Properties" + p.String() }

// GoString keeps %#v from printing the password.
func (c Connect) GoString() string { return "packet." + c.String() }

// codesString prints reason codes in hex, as the specification lists them.
func codesString(codes []ReasonCode) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, c := range codes {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%02x", byte(c))
	}
	b.WriteByte(']')
	return b.String()
}
