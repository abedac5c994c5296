package packet

// SUBACK and UNSUBACK share one layout (§3.9, §3.11): a packet identifier,
// properties in MQTT 5, and one reason code per requested filter. An MQTT
// 3.1.1 UNSUBACK has no payload at all.

func checkAckList(t Type, v Version, id uint16, codes []ReasonCode, props *Properties) (PropertySet, error) {
	if id == 0 {
		return 0, errf(ProtocolError, t, "packet identifier 0; it must be non-zero (MQTT-2.2.1-3)")
	}
	if t == UNSUBACK && v == V311 {
		if len(codes) != 0 {
			return 0, errf(ProtocolError, t, "%d reason codes, but an MQTT 3.1.1 UNSUBACK has none", len(codes))
		}
	} else {
		if len(codes) == 0 {
			return 0, errf(ProtocolError, t, "no reason codes; there is one per topic filter of the request")
		}
		for _, rc := range codes {
			if err := checkReason(t, v, rc); err != nil {
				return 0, err
			}
		}
	}
	return props.validate(t, t, v)
}

func appendAckList(dst []byte, t Type, v Version, id uint16, codes []ReasonCode, props *Properties) ([]byte, error) {
	set, err := checkAckList(t, v, id, codes, props)
	if err != nil {
		return dst, err
	}
	n, psize := 2+len(codes), 0
	if v == V5 {
		psize = props.size(set)
		n += vbiLen(psize) + psize
	}
	dst, err = appendHeader(dst, t, 0, n)
	if err != nil {
		return dst, err
	}
	dst = appendUint16(dst, id)
	if v == V5 {
		dst = props.append(dst, set, psize)
	}
	for _, rc := range codes {
		dst = append(dst, byte(rc))
	}
	return dst, nil
}

func decodeAckList(t Type, flags byte, b []byte, v Version, id *uint16, codes *[]ReasonCode, props *Properties) error {
	if err := checkFlags(t, flags); err != nil {
		return err
	}
	r := body{b: b, t: t}
	var err error
	if *id, err = r.uint16("packet identifier"); err != nil {
		return err
	}
	if v == V5 {
		if err := props.decode(&r, t); err != nil {
			return err
		}
	} else {
		*props = Properties{}
	}
	if t == UNSUBACK && v == V311 && r.left() != 0 {
		return errf(MalformedPacket, t, "%d bytes follow the packet identifier; an MQTT 3.1.1 UNSUBACK has no payload", r.left())
	}
	*codes = (*codes)[:0]
	for _, c := range b[r.off:] {
		*codes = append(*codes, ReasonCode(c))
	}
	if len(*codes) == 0 {
		*codes = nil
	}
	_, err = checkAckList(t, v, *id, *codes, props)
	return err
}

// Type reports SUBACK.
func (*Suback) Type() Type { return SUBACK }

// Append encodes the SUBACK for version v.
func (s *Suback) Append(dst []byte, v Version) ([]byte, error) {
	return appendAckList(dst, SUBACK, v, s.PacketID, s.ReasonCodes, &s.Properties)
}

// Decode parses a SUBACK for version v, reusing the ReasonCodes slice.
func (s *Suback) Decode(flags byte, b []byte, v Version) error {
	return decodeAckList(SUBACK, flags, b, v, &s.PacketID, &s.ReasonCodes, &s.Properties)
}

// Type reports UNSUBACK.
func (*Unsuback) Type() Type { return UNSUBACK }

// Append encodes the UNSUBACK for version v.
func (u *Unsuback) Append(dst []byte, v Version) ([]byte, error) {
	return appendAckList(dst, UNSUBACK, v, u.PacketID, u.ReasonCodes, &u.Properties)
}

// Decode parses an UNSUBACK for version v, reusing the ReasonCodes slice.
func (u *Unsuback) Decode(flags byte, b []byte, v Version) error {
	return decodeAckList(UNSUBACK, flags, b, v, &u.PacketID, &u.ReasonCodes, &u.Properties)
}
