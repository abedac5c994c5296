package packet

// Type reports PUBLISH.
func (*Publish) Type() Type { return PUBLISH }

func (p *Publish) check(v Version) (PropertySet, error) {
	if p.QoS > QoS2 {
		return 0, errf(MalformedPacket, PUBLISH, "QoS %d, must be 0, 1 or 2 (MQTT-3.3.1-4)", p.QoS)
	}
	if p.QoS == QoS0 {
		if p.Dup {
			return 0, errf(MalformedPacket, PUBLISH, "DUP set on a QoS 0 message (MQTT-3.3.1-2)")
		}
		if p.PacketID != 0 {
			return 0, errf(ProtocolError, PUBLISH, "packet identifier %d on a QoS 0 message, which has none (MQTT-2.2.1-2)", p.PacketID)
		}
	} else if p.PacketID == 0 {
		return 0, errf(ProtocolError, PUBLISH, "packet identifier 0 on a QoS %d message; it must be non-zero (MQTT-2.2.1-3)", p.QoS)
	}
	props, err := p.Properties.validate(PUBLISH, PUBLISH, v)
	if err != nil {
		return 0, err
	}
	if p.Topic == "" && props.Has(PropTopicAlias) {
		return props, nil
	}
	if p.Topic == "" && v == V5 {
		return 0, errf(ProtocolError, PUBLISH, "empty topic name without a Topic Alias (§3.3.4)")
	}
	return props, validateTopicName(PUBLISH, p.Topic, "topic name")
}

// Append encodes the PUBLISH for version v. It allocates nothing when dst has
// room for the packet.
func (p *Publish) Append(dst []byte, v Version) ([]byte, error) {
	props, err := p.check(v)
	if err != nil {
		return dst, err
	}
	n, psize := 2+len(p.Topic)+len(p.Payload), 0
	if p.QoS > QoS0 {
		n += 2
	}
	if v == V5 {
		psize = p.Properties.size(props)
		n += vbiLen(psize) + psize
	}
	flags := byte(p.QoS) << 1
	if p.Dup {
		flags |= 0x08
	}
	if p.Retain {
		flags |= 0x01
	}
	dst, err = appendHeader(dst, PUBLISH, flags, n)
	if err != nil {
		return dst, err
	}
	dst = appendString(dst, p.Topic)
	if p.QoS > QoS0 {
		dst = appendUint16(dst, p.PacketID)
	}
	if v == V5 {
		dst = p.Properties.append(dst, props, psize)
	}
	return append(dst, p.Payload...), nil
}

// Decode parses a PUBLISH for version v. Decoding into a reused Publish
// reuses its Payload's capacity and its Topic when the topic is unchanged, so
// the hot path allocates nothing.
func (p *Publish) Decode(flags byte, b []byte, v Version) error {
	if err := checkFlags(PUBLISH, flags); err != nil {
		return err
	}
	r := body{b: b, t: PUBLISH}
	topic, err := r.string("topic name", p.Topic)
	if err != nil {
		return err
	}
	p.Topic = topic
	p.Dup, p.QoS, p.Retain = flags&0x08 != 0, QoS(flags>>1)&3, flags&0x01 != 0
	p.PacketID = 0
	if p.QoS > QoS0 {
		if p.PacketID, err = r.uint16("packet identifier"); err != nil {
			return err
		}
	}
	if v == V5 {
		if err := p.Properties.decode(&r, PUBLISH); err != nil {
			return err
		}
	} else {
		p.Properties = Properties{}
	}
	p.Payload = append(p.Payload[:0], b[r.off:]...)
	_, err = p.check(v)
	return err
}
