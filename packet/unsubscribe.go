package packet

// Type reports UNSUBSCRIBE.
func (*Unsubscribe) Type() Type { return UNSUBSCRIBE }

func (u *Unsubscribe) check(v Version) (PropertySet, error) {
	if u.PacketID == 0 {
		return 0, errf(ProtocolError, UNSUBSCRIBE, "packet identifier 0; it must be non-zero (MQTT-2.2.1-3)")
	}
	if len(u.Filters) == 0 {
		return 0, errf(ProtocolError, UNSUBSCRIBE, "no topic filters; an UNSUBSCRIBE carries at least one (MQTT-3.10.3-2)")
	}
	for _, f := range u.Filters {
		if err := validateTopicFilter(UNSUBSCRIBE, f); err != nil {
			return 0, err
		}
	}
	return u.Properties.validate(UNSUBSCRIBE, UNSUBSCRIBE, v)
}

// Append encodes the UNSUBSCRIBE for version v.
func (u *Unsubscribe) Append(dst []byte, v Version) ([]byte, error) {
	props, err := u.check(v)
	if err != nil {
		return dst, err
	}
	n, psize := 2, 0
	if v == V5 {
		psize = u.Properties.size(props)
		n += vbiLen(psize) + psize
	}
	for _, f := range u.Filters {
		n += 2 + len(f)
	}
	dst, err = appendHeader(dst, UNSUBSCRIBE, headerFlags(UNSUBSCRIBE), n)
	if err != nil {
		return dst, err
	}
	dst = appendUint16(dst, u.PacketID)
	if v == V5 {
		dst = u.Properties.append(dst, props, psize)
	}
	for _, f := range u.Filters {
		dst = appendString(dst, f)
	}
	return dst, nil
}

// Decode parses an UNSUBSCRIBE for version v, reusing the Filters slice.
func (u *Unsubscribe) Decode(flags byte, b []byte, v Version) error {
	if err := checkFlags(UNSUBSCRIBE, flags); err != nil {
		return err
	}
	r := body{b: b, t: UNSUBSCRIBE}
	var err error
	if u.PacketID, err = r.uint16("packet identifier"); err != nil {
		return err
	}
	if v == V5 {
		if err := u.Properties.decode(&r, UNSUBSCRIBE); err != nil {
			return err
		}
	} else {
		u.Properties = Properties{}
	}
	filters := u.Filters[:0]
	for r.left() > 0 {
		var old string
		if len(filters) < cap(filters) {
			old = filters[:len(filters)+1][len(filters)]
		}
		f, err := r.string("topic filter", old)
		if err != nil {
			return err
		}
		filters = append(filters, f)
	}
	u.Filters = filters
	if len(filters) == 0 {
		u.Filters = nil
	}
	_, err = u.check(v)
	return err
}
