package packet

// Type reports CONNACK.
func (*Connack) Type() Type { return CONNACK }

func (c *Connack) check(v Version) (PropertySet, error) {
	if err := checkReason(CONNACK, v, c.ReasonCode); err != nil {
		return 0, err
	}
	if c.SessionPresent && c.ReasonCode != 0 {
		return 0, errf(ProtocolError, CONNACK, "session present set with the non-zero reason code 0x%02X (MQTT-3.2.2-6)", byte(c.ReasonCode))
	}
	return c.Properties.validate(CONNACK, CONNACK, v)
}

// Append encodes the CONNACK for version v.
func (c *Connack) Append(dst []byte, v Version) ([]byte, error) {
	props, err := c.check(v)
	if err != nil {
		return dst, err
	}
	n, psize := 2, 0
	if v == V5 {
		psize = c.Properties.size(props)
		n += vbiLen(psize) + psize
	}
	dst, err = appendHeader(dst, CONNACK, 0, n)
	if err != nil {
		return dst, err
	}
	flags := byte(0)
	if c.SessionPresent {
		flags = 1
	}
	dst = append(dst, flags, byte(c.ReasonCode))
	if v == V5 {
		dst = c.Properties.append(dst, props, psize)
	}
	return dst, nil
}

// Decode parses a CONNACK for version v.
func (c *Connack) Decode(flags byte, b []byte, v Version) error {
	if err := checkFlags(CONNACK, flags); err != nil {
		return err
	}
	r := body{b: b, t: CONNACK}
	af, err := r.byte("acknowledge flags")
	if err != nil {
		return err
	}
	if af&0xFE != 0 {
		return errf(MalformedPacket, CONNACK, "reserved acknowledge flag bits are 0x%02X, must be 0 (MQTT-3.2.2-1)", af&0xFE)
	}
	rc, err := r.byte("reason code")
	if err != nil {
		return err
	}
	c.SessionPresent, c.ReasonCode = af == 1, ReasonCode(rc)
	if v == V5 {
		if err := c.Properties.decode(&r, CONNACK); err != nil {
			return err
		}
	} else {
		c.Properties = Properties{}
	}
	if r.left() != 0 {
		return errf(MalformedPacket, CONNACK, "%d bytes follow the last field", r.left())
	}
	_, err = c.check(v)
	return err
}
