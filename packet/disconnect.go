package packet

// DISCONNECT and AUTH share one layout in MQTT 5 (§3.14, §3.15): an optional
// reason code and optional properties. MQTT 3.1.1 has an empty DISCONNECT and
// no AUTH at all.

func checkReasonProps(t Type, v Version, rc ReasonCode, props *Properties) (PropertySet, error) {
	if v == V311 {
		if t == AUTH {
			return 0, errf(ProtocolError, t, "AUTH does not exist in MQTT 3.1.1")
		}
		if rc != 0 {
			return 0, errf(ProtocolError, t, "reason code 0x%02X, but an MQTT 3.1.1 DISCONNECT has none", byte(rc))
		}
	} else if err := checkReason(t, v, rc); err != nil {
		return 0, err
	}
	return props.validate(t, t, v)
}

func appendReasonProps(dst []byte, t Type, v Version, rc ReasonCode, props *Properties) ([]byte, error) {
	set, err := checkReasonProps(t, v, rc, props)
	if err != nil {
		return dst, err
	}
	switch {
	case rc == 0 && set == 0:
		return append(dst, byte(t)<<4, 0), nil
	case set == 0 && t == DISCONNECT:
		return append(dst, byte(t)<<4, 1, byte(rc)), nil
	}
	psize := props.size(set)
	dst, err = appendHeader(dst, t, 0, 1+vbiLen(psize)+psize)
	if err != nil {
		return dst, err
	}
	dst = append(dst, byte(rc))
	return props.append(dst, set, psize), nil
}

func decodeReasonProps(t Type, flags byte, b []byte, v Version, rc *ReasonCode, props *Properties) error {
	if err := checkFlags(t, flags); err != nil {
		return err
	}
	if t == AUTH && v == V311 {
		return errf(ProtocolError, t, "AUTH does not exist in MQTT 3.1.1")
	}
	r := body{b: b, t: t}
	*rc = 0
	*props = Properties{}
	if v == V5 && len(b) > 0 {
		c, _ := r.byte("reason code")
		*rc = ReasonCode(c)
		// DISCONNECT may stop after the reason code (§3.14.2.2); AUTH may not.
		if r.left() > 0 || t == AUTH {
			if err := props.decode(&r, t); err != nil {
				return err
			}
		}
	}
	if r.left() != 0 {
		return errf(MalformedPacket, t, "%d bytes follow the last field", r.left())
	}
	_, err := checkReasonProps(t, v, *rc, props)
	return err
}

// Type reports DISCONNECT.
func (*Disconnect) Type() Type { return DISCONNECT }

// Append encodes the DISCONNECT for version v, in the shortest form.
func (d *Disconnect) Append(dst []byte, v Version) ([]byte, error) {
	return appendReasonProps(dst, DISCONNECT, v, d.ReasonCode, &d.Properties)
}

// Decode parses a DISCONNECT for version v.
func (d *Disconnect) Decode(flags byte, b []byte, v Version) error {
	return decodeReasonProps(DISCONNECT, flags, b, v, &d.ReasonCode, &d.Properties)
}

// Type reports AUTH.
func (*Auth) Type() Type { return AUTH }

// Append encodes the AUTH (MQTT 5 only), in the shortest form.
func (a *Auth) Append(dst []byte, v Version) ([]byte, error) {
	return appendReasonProps(dst, AUTH, v, a.ReasonCode, &a.Properties)
}

// Decode parses an AUTH; under MQTT 3.1.1 it is an error.
func (a *Auth) Decode(flags byte, b []byte, v Version) error {
	return decodeReasonProps(AUTH, flags, b, v, &a.ReasonCode, &a.Properties)
}
