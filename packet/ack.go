package packet

// PUBACK, PUBREC, PUBREL and PUBCOMP share one layout (§3.4-§3.7): a packet
// identifier, then in MQTT 5 an optional reason code and optional properties.

func checkAck(t Type, v Version, id uint16, rc ReasonCode, props *Properties) (PropertySet, error) {
	if id == 0 {
		return 0, errf(ProtocolError, t, "packet identifier 0; it must be non-zero (MQTT-2.2.1-3)")
	}
	if v == V311 && rc != 0 {
		return 0, errf(ProtocolError, t, "reason code 0x%02X, but MQTT 3.1.1 has no reason codes in %s", byte(rc), t)
	}
	if v == V5 {
		if err := checkReason(t, v, rc); err != nil {
			return 0, err
		}
	}
	return props.validate(t, t, v)
}

func appendAck(dst []byte, t Type, v Version, id uint16, rc ReasonCode, props *Properties) ([]byte, error) {
	set, err := checkAck(t, v, id, rc, props)
	if err != nil {
		return dst, err
	}
	switch {
	case v == V311 || (rc == 0 && set == 0):
		dst = append(dst, byte(t)<<4|headerFlags(t), 2)
		return appendUint16(dst, id), nil
	case set == 0:
		dst = append(dst, byte(t)<<4|headerFlags(t), 3)
		dst = appendUint16(dst, id)
		return append(dst, byte(rc)), nil
	}
	psize := props.size(set)
	dst, err = appendHeader(dst, t, headerFlags(t), 3+vbiLen(psize)+psize)
	if err != nil {
		return dst, err
	}
	dst = appendUint16(dst, id)
	dst = append(dst, byte(rc))
	return props.append(dst, set, psize), nil
}

func decodeAck(t Type, flags byte, b []byte, v Version, id *uint16, rc *ReasonCode, props *Properties) error {
	if err := checkFlags(t, flags); err != nil {
		return err
	}
	r := body{b: b, t: t}
	var err error
	if *id, err = r.uint16("packet identifier"); err != nil {
		return err
	}
	*rc = 0
	if v == V5 && r.left() > 0 {
		c, _ := r.byte("reason code")
		*rc = ReasonCode(c)
		if r.left() > 0 {
			if err := props.decode(&r, t); err != nil {
				return err
			}
		} else {
			*props = Properties{}
		}
	} else {
		*props = Properties{}
	}
	if r.left() != 0 {
		return errf(MalformedPacket, t, "%d bytes follow the last field", r.left())
	}
	_, err = checkAck(t, v, *id, *rc, props)
	return err
}

// Type reports PUBACK.
func (*Puback) Type() Type { return PUBACK }

// Append encodes the PUBACK for version v, in the shortest form the reason
// code and properties allow. It allocates nothing when dst has room.
func (p *Puback) Append(dst []byte, v Version) ([]byte, error) {
	return appendAck(dst, PUBACK, v, p.PacketID, p.ReasonCode, &p.Properties)
}

// Decode parses a PUBACK for version v.
func (p *Puback) Decode(flags byte, b []byte, v Version) error {
	return decodeAck(PUBACK, flags, b, v, &p.PacketID, &p.ReasonCode, &p.Properties)
}

// Type reports PUBREC.
func (*Pubrec) Type() Type { return PUBREC }

// Append encodes the PUBREC for version v, in the shortest form.
func (p *Pubrec) Append(dst []byte, v Version) ([]byte, error) {
	return appendAck(dst, PUBREC, v, p.PacketID, p.ReasonCode, &p.Properties)
}

// Decode parses a PUBREC for version v.
func (p *Pubrec) Decode(flags byte, b []byte, v Version) error {
	return decodeAck(PUBREC, flags, b, v, &p.PacketID, &p.ReasonCode, &p.Properties)
}

// Type reports PUBREL.
func (*Pubrel) Type() Type { return PUBREL }

// Append encodes the PUBREL for version v, in the shortest form.
func (p *Pubrel) Append(dst []byte, v Version) ([]byte, error) {
	return appendAck(dst, PUBREL, v, p.PacketID, p.ReasonCode, &p.Properties)
}

// Decode parses a PUBREL for version v.
func (p *Pubrel) Decode(flags byte, b []byte, v Version) error {
	return decodeAck(PUBREL, flags, b, v, &p.PacketID, &p.ReasonCode, &p.Properties)
}

// Type reports PUBCOMP.
func (*Pubcomp) Type() Type { return PUBCOMP }

// Append encodes the PUBCOMP for version v, in the shortest form.
func (p *Pubcomp) Append(dst []byte, v Version) ([]byte, error) {
	return appendAck(dst, PUBCOMP, v, p.PacketID, p.ReasonCode, &p.Properties)
}

// Decode parses a PUBCOMP for version v.
func (p *Pubcomp) Decode(flags byte, b []byte, v Version) error {
	return decodeAck(PUBCOMP, flags, b, v, &p.PacketID, &p.ReasonCode, &p.Properties)
}
