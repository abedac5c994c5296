package packet

// Type reports CONNECT.
func (*Connect) Type() Type { return CONNECT }

const protocolName = "MQTT"

// Connect flag bits (§3.1.2.3).
const (
	connReserved   = 0x01
	connCleanStart = 0x02
	connWill       = 0x04
	connWillRetain = 0x20
	connPassword   = 0x40
	connUsername   = 0x80
)

func (c *Connect) hasUsername() bool { return c.HasUsername || c.Username != "" }
func (c *Connect) hasPassword() bool { return c.HasPassword || len(c.Password) != 0 }

// check applies the rules shared by Append and Decode and returns the
// property sets to encode.
func (c *Connect) check(v Version) (props, willProps PropertySet, err error) {
	if v != V5 && v != V311 {
		return 0, 0, errf(UnsupportedProtocolVersion, CONNECT, "protocol level %d is not supported; use 4 (MQTT 3.1.1) or 5 (MQTT 5)", v)
	}
	if err := checkString(CONNECT, "client identifier", c.ClientID); err != nil {
		return 0, 0, err
	}
	if err := checkString(CONNECT, "user name", c.Username); err != nil {
		return 0, 0, err
	}
	if err := checkBinary(CONNECT, "password", c.Password); err != nil {
		return 0, 0, err
	}
	if v == V311 && c.hasPassword() && !c.hasUsername() {
		return 0, 0, errf(ProtocolError, CONNECT, "a password without a user name is not allowed in MQTT 3.1.1 (MQTT-3.1.2-22)")
	}
	if props, err = c.Properties.validate(CONNECT, CONNECT, v); err != nil {
		return 0, 0, err
	}
	if w := c.Will; w != nil {
		if w.QoS > QoS2 {
			return 0, 0, errf(MalformedPacket, CONNECT, "will QoS %d, must be 0, 1 or 2 (MQTT-3.1.2-12)", w.QoS)
		}
		if err := validateTopicName(CONNECT, w.Topic, "will topic"); err != nil {
			return 0, 0, err
		}
		if err := checkBinary(CONNECT, "will payload", w.Payload); err != nil {
			return 0, 0, err
		}
		if willProps, err = w.Properties.validate(CONNECT, willContext, v); err != nil {
			return 0, 0, err
		}
	}
	return props, willProps, nil
}

// Append encodes the CONNECT for version v (its ProtocolVersion, when set,
// must agree with v).
func (c *Connect) Append(dst []byte, v Version) ([]byte, error) {
	if c.ProtocolVersion != 0 && c.ProtocolVersion != v {
		return dst, errf(ProtocolError, CONNECT, "ProtocolVersion is %d but the packet is being encoded for version %d", c.ProtocolVersion, v)
	}
	props, willProps, err := c.check(v)
	if err != nil {
		return dst, err
	}
	flags := byte(0)
	if c.CleanStart {
		flags |= connCleanStart
	}
	n := 2 + len(protocolName) + 1 + 1 + 2 + 2 + len(c.ClientID)
	psize, wsize := c.Properties.size(props), 0
	if v == V5 {
		n += vbiLen(psize) + psize
	}
	if w := c.Will; w != nil {
		flags |= connWill | byte(w.QoS)<<3
		if w.Retain {
			flags |= connWillRetain
		}
		n += 2 + len(w.Topic) + 2 + len(w.Payload)
		if v == V5 {
			wsize = w.Properties.size(willProps)
			n += vbiLen(wsize) + wsize
		}
	}
	if c.hasUsername() {
		flags |= connUsername
		n += 2 + len(c.Username)
	}
	if c.hasPassword() {
		flags |= connPassword
		n += 2 + len(c.Password)
	}
	dst, err = appendHeader(dst, CONNECT, 0, n)
	if err != nil {
		return dst, err
	}
	dst = appendString(dst, protocolName)
	dst = append(dst, byte(v), flags)
	dst = appendUint16(dst, c.KeepAlive)
	if v == V5 {
		dst = c.Properties.append(dst, props, psize)
	}
	dst = appendString(dst, c.ClientID)
	if w := c.Will; w != nil {
		if v == V5 {
			dst = w.Properties.append(dst, willProps, wsize)
		}
		dst = appendString(dst, w.Topic)
		dst = appendBinary(dst, w.Payload)
	}
	if flags&connUsername != 0 {
		dst = appendString(dst, c.Username)
	}
	if flags&connPassword != 0 {
		dst = appendBinary(dst, c.Password)
	}
	return dst, nil
}

// Decode parses a CONNECT. The protocol version comes from the packet itself;
// v is ignored, because CONNECT is what establishes the version.
func (c *Connect) Decode(flags byte, b []byte, _ Version) error {
	if err := checkFlags(CONNECT, flags); err != nil {
		return err
	}
	r := body{b: b, t: CONNECT}
	name, err := r.bytes("protocol name")
	if err != nil {
		return err
	}
	level, err := r.byte("protocol level")
	if err != nil {
		return err
	}
	if string(name) != protocolName {
		return errf(UnsupportedProtocolVersion, CONNECT, "protocol name %q, want \"MQTT\" (MQTT-3.1.2-1); MQTT 3.1 (\"MQIsdp\") is not supported", name)
	}
	v := Version(level)
	if v != V5 && v != V311 {
		return errf(UnsupportedProtocolVersion, CONNECT, "protocol level %d is not supported; use 4 (MQTT 3.1.1) or 5 (MQTT 5)", level)
	}
	cf, err := r.byte("connect flags")
	if err != nil {
		return err
	}
	if cf&connReserved != 0 {
		return errf(MalformedPacket, CONNECT, "reserved connect flag bit 0 is set (MQTT-3.1.2-3)")
	}
	willQoS := QoS(cf>>3) & 3
	if willQoS == 3 {
		return errf(MalformedPacket, CONNECT, "will QoS 3 in the connect flags (MQTT-3.1.2-12)")
	}
	if cf&connWill == 0 && (willQoS != 0 || cf&connWillRetain != 0) {
		return errf(ProtocolError, CONNECT, "will QoS or will retain set without the will flag (MQTT-3.1.2-11, MQTT-3.1.2-13)")
	}
	keepAlive, err := r.uint16("keep alive")
	if err != nil {
		return err
	}
	old := *c
	*c = Connect{ProtocolVersion: v, CleanStart: cf&connCleanStart != 0, KeepAlive: keepAlive,
		HasUsername: cf&connUsername != 0, HasPassword: cf&connPassword != 0, Properties: old.Properties}
	if v == V5 {
		if err := c.Properties.decode(&r, CONNECT); err != nil {
			return err
		}
	} else {
		c.Properties = Properties{}
	}
	if c.ClientID, err = r.string("client identifier", old.ClientID); err != nil {
		return err
	}
	if cf&connWill != 0 {
		w := old.Will
		if w == nil {
			w = new(Will)
		}
		payload := w.Payload[:0]
		*w = Will{QoS: willQoS, Retain: cf&connWillRetain != 0, Properties: w.Properties, Topic: w.Topic}
		if v == V5 {
			if err := w.Properties.decode(&r, willContext); err != nil {
				return err
			}
		} else {
			w.Properties = Properties{}
		}
		if w.Topic, err = r.string("will topic", w.Topic); err != nil {
			return err
		}
		p, err := r.bytes("will payload")
		if err != nil {
			return err
		}
		w.Payload = append(payload, p...)
		c.Will = w
	}
	if c.HasUsername {
		if c.Username, err = r.string("user name", old.Username); err != nil {
			return err
		}
	}
	if c.HasPassword {
		p, err := r.bytes("password")
		if err != nil {
			return err
		}
		c.Password = append(old.Password[:0], p...)
	}
	if r.left() != 0 {
		return errf(MalformedPacket, CONNECT, "%d bytes follow the last field", r.left())
	}
	_, _, err = c.check(v)
	return err
}
