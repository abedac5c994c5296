package packet

// Type reports SUBSCRIBE.
func (*Subscribe) Type() Type { return SUBSCRIBE }

// options encodes the subscription options byte (§3.8.3.1).
func (s *Subscription) options() byte {
	o := byte(s.QoS) | s.RetainHandling<<4
	if s.NoLocal {
		o |= 0x04
	}
	if s.RetainAsPublished {
		o |= 0x08
	}
	return o
}

func (s *Subscription) check(v Version) error {
	if s.QoS > QoS2 {
		// MQTT 5 makes a Maximum QoS of 3 a Protocol Error (§3.8.3.1);
		// MQTT 3.1.1 makes it a malformed packet (its MQTT-3.8.3-4).
		code := ProtocolError
		if v == V311 {
			code = MalformedPacket
		}
		return errf(code, SUBSCRIBE, "filter %q asks for QoS %d, must be 0, 1 or 2 (§3.8.3.1)", s.Filter, s.QoS)
	}
	if s.RetainHandling > 2 {
		return errf(ProtocolError, SUBSCRIBE, "filter %q has Retain Handling %d, must be 0, 1 or 2 (§3.8.3.1)", s.Filter, s.RetainHandling)
	}
	if v == V311 && (s.NoLocal || s.RetainAsPublished || s.RetainHandling != 0) {
		return errf(ProtocolError, SUBSCRIBE, "filter %q sets No Local, Retain As Published or Retain Handling, which MQTT 3.1.1 does not have", s.Filter)
	}
	if err := validateTopicFilter(SUBSCRIBE, s.Filter); err != nil {
		return err
	}
	if s.NoLocal && len(s.Filter) > len(sharePrefix) && s.Filter[:len(sharePrefix)] == sharePrefix {
		return errf(ProtocolError, SUBSCRIBE, "No Local set on the shared subscription %q (MQTT-3.8.3-4)", s.Filter)
	}
	return nil
}

func (s *Subscribe) check(v Version) (PropertySet, error) {
	if s.PacketID == 0 {
		return 0, errf(ProtocolError, SUBSCRIBE, "packet identifier 0; it must be non-zero (MQTT-2.2.1-3)")
	}
	if len(s.Subscriptions) == 0 {
		return 0, errf(ProtocolError, SUBSCRIBE, "no topic filters; a SUBSCRIBE carries at least one (MQTT-3.8.3-2)")
	}
	for i := range s.Subscriptions {
		if err := s.Subscriptions[i].check(v); err != nil {
			return 0, err
		}
	}
	return s.Properties.validate(SUBSCRIBE, SUBSCRIBE, v)
}

// Append encodes the SUBSCRIBE for version v.
func (s *Subscribe) Append(dst []byte, v Version) ([]byte, error) {
	props, err := s.check(v)
	if err != nil {
		return dst, err
	}
	n, psize := 2, 0
	if v == V5 {
		psize = s.Properties.size(props)
		n += vbiLen(psize) + psize
	}
	for i := range s.Subscriptions {
		n += 3 + len(s.Subscriptions[i].Filter)
	}
	dst, err = appendHeader(dst, SUBSCRIBE, headerFlags(SUBSCRIBE), n)
	if err != nil {
		return dst, err
	}
	dst = appendUint16(dst, s.PacketID)
	if v == V5 {
		dst = s.Properties.append(dst, props, psize)
	}
	for i := range s.Subscriptions {
		dst = appendString(dst, s.Subscriptions[i].Filter)
		dst = append(dst, s.Subscriptions[i].options())
	}
	return dst, nil
}

// Decode parses a SUBSCRIBE for version v, reusing the Subscriptions slice.
func (s *Subscribe) Decode(flags byte, b []byte, v Version) error {
	if err := checkFlags(SUBSCRIBE, flags); err != nil {
		return err
	}
	r := body{b: b, t: SUBSCRIBE}
	var err error
	if s.PacketID, err = r.uint16("packet identifier"); err != nil {
		return err
	}
	if v == V5 {
		if err := s.Properties.decode(&r, SUBSCRIBE); err != nil {
			return err
		}
	} else {
		s.Properties = Properties{}
	}
	subs := s.Subscriptions[:0]
	for r.left() > 0 {
		var old string
		if len(subs) < cap(subs) {
			old = subs[:len(subs)+1][len(subs)].Filter
		}
		f, err := r.string("topic filter", old)
		if err != nil {
			return err
		}
		o, err := r.byte("subscription options")
		if err != nil {
			return err
		}
		reserved := byte(0xC0)
		if v == V311 {
			reserved = 0xFC
		}
		if o&reserved != 0 {
			return errf(MalformedPacket, SUBSCRIBE, "filter %q has reserved subscription option bits 0x%02X set (MQTT-3.8.3-5)", f, o&reserved)
		}
		subs = append(subs, Subscription{Filter: f, QoS: QoS(o & 3), NoLocal: o&0x04 != 0,
			RetainAsPublished: o&0x08 != 0, RetainHandling: o >> 4 & 3})
	}
	s.Subscriptions = subs
	if len(subs) == 0 {
		s.Subscriptions = nil
	}
	_, err = s.check(v)
	return err
}
