package packet

// set returns the properties that will be encoded: those in Present and those
// with a non-zero value.
func (p *Properties) set() PropertySet {
	if p.empty() {
		return 0
	}
	s := p.Present
	if p.PayloadFormatIndicator != 0 {
		s = s.With(PropPayloadFormatIndicator)
	}
	if p.MessageExpiryInterval != 0 {
		s = s.With(PropMessageExpiryInterval)
	}
	if p.ContentType != "" {
		s = s.With(PropContentType)
	}
	if p.ResponseTopic != "" {
		s = s.With(PropResponseTopic)
	}
	if len(p.CorrelationData) != 0 {
		s = s.With(PropCorrelationData)
	}
	if len(p.SubscriptionIdentifiers) != 0 {
		s = s.With(PropSubscriptionIdentifier)
	}
	if p.SessionExpiryInterval != 0 {
		s = s.With(PropSessionExpiryInterval)
	}
	if p.AssignedClientIdentifier != "" {
		s = s.With(PropAssignedClientIdentifier)
	}
	if p.ServerKeepAlive != 0 {
		s = s.With(PropServerKeepAlive)
	}
	if p.AuthenticationMethod != "" {
		s = s.With(PropAuthenticationMethod)
	}
	if len(p.AuthenticationData) != 0 {
		s = s.With(PropAuthenticationData)
	}
	if p.RequestProblemInformation != 0 {
		s = s.With(PropRequestProblemInformation)
	}
	if p.WillDelayInterval != 0 {
		s = s.With(PropWillDelayInterval)
	}
	if p.RequestResponseInformation != 0 {
		s = s.With(PropRequestResponseInformation)
	}
	if p.ResponseInformation != "" {
		s = s.With(PropResponseInformation)
	}
	if p.ServerReference != "" {
		s = s.With(PropServerReference)
	}
	if p.ReasonString != "" {
		s = s.With(PropReasonString)
	}
	if p.ReceiveMaximum != 0 {
		s = s.With(PropReceiveMaximum)
	}
	if p.TopicAliasMaximum != 0 {
		s = s.With(PropTopicAliasMaximum)
	}
	if p.TopicAlias != 0 {
		s = s.With(PropTopicAlias)
	}
	if p.MaximumQoS != 0 {
		s = s.With(PropMaximumQoS)
	}
	if p.RetainAvailable != 0 {
		s = s.With(PropRetainAvailable)
	}
	if len(p.UserProperties) != 0 {
		s = s.With(PropUserProperty)
	}
	if p.MaximumPacketSize != 0 {
		s = s.With(PropMaximumPacketSize)
	}
	if p.WildcardSubscriptionAvailable != 0 {
		s = s.With(PropWildcardSubscriptionAvailable)
	}
	if p.SubscriptionIdentifierAvailable != 0 {
		s = s.With(PropSubscriptionIdentifierAvailable)
	}
	if p.SharedSubscriptionAvailable != 0 {
		s = s.With(PropSharedSubscriptionAvailable)
	}
	return s
}

// empty reports, without a branch per field, that no property is set: the
// common case on the publish hot path.
func (p *Properties) empty() bool {
	bytes := p.PayloadFormatIndicator | p.RequestProblemInformation | p.RequestResponseInformation | p.MaximumQoS |
		p.RetainAvailable | p.WildcardSubscriptionAvailable | p.SubscriptionIdentifierAvailable | p.SharedSubscriptionAvailable
	words := p.ServerKeepAlive | p.ReceiveMaximum | p.TopicAliasMaximum | p.TopicAlias
	dwords := p.MessageExpiryInterval | p.SessionExpiryInterval | p.WillDelayInterval | p.MaximumPacketSize
	lens := len(p.ContentType) | len(p.ResponseTopic) | len(p.CorrelationData) | len(p.SubscriptionIdentifiers) |
		len(p.AssignedClientIdentifier) | len(p.AuthenticationMethod) | len(p.AuthenticationData) | len(p.ResponseInformation) |
		len(p.ServerReference) | len(p.ReasonString) | len(p.UserProperties)
	return p.Present == 0 && bytes == 0 && words == 0 && dwords == 0 && lens == 0
}

// validate checks the properties of a packet of type t in context ctx (t, or
// willContext) for version v and returns the set to encode.
func (p *Properties) validate(t, ctx Type, v Version) (PropertySet, error) {
	s := p.set()
	if v != V5 && v != V311 {
		return 0, errf(UnsupportedProtocolVersion, t, "protocol version %d is not supported; use V5 or V311", v)
	}
	if v != V5 {
		if s != 0 {
			return 0, errf(ProtocolError, t, "%s carries properties, which MQTT 3.1.1 does not have", contextName(ctx))
		}
		return 0, nil
	}
	if s == 0 {
		return 0, nil
	}
	if bad := s &^ allowedSets[ctx]; bad != 0 {
		for id := PropertyID(0); id < 64; id++ {
			if bad.Has(id) {
				return 0, errf(ProtocolError, t, "property %s (0x%02X) is not allowed in %s", id, byte(id), contextName(ctx))
			}
		}
	}
	for _, id := range [...]PropertyID{PropPayloadFormatIndicator, PropRequestProblemInformation, PropRequestResponseInformation,
		PropMaximumQoS, PropRetainAvailable, PropWildcardSubscriptionAvailable, PropSubscriptionIdentifierAvailable, PropSharedSubscriptionAvailable} {
		if s.Has(id) {
			if b := p.byteValue(id); b > 1 {
				return 0, errf(ProtocolError, t, "property %s is %d, must be 0 or 1", id, b)
			}
		}
	}
	for _, z := range [...]struct {
		id   PropertyID
		zero bool
	}{
		{PropReceiveMaximum, p.ReceiveMaximum == 0},
		{PropMaximumPacketSize, p.MaximumPacketSize == 0},
		{PropTopicAlias, p.TopicAlias == 0},
	} {
		if z.zero && s.Has(z.id) {
			return 0, errf(ProtocolError, t, "property %s is 0, which is not allowed", z.id)
		}
	}
	for _, id := range p.SubscriptionIdentifiers {
		if id == 0 || id > maxVBI {
			return 0, errf(ProtocolError, t, "Subscription Identifier %d is outside 1..268435455", id)
		}
	}
	if t == SUBSCRIBE && len(p.SubscriptionIdentifiers) > 1 {
		return 0, errf(ProtocolError, t, "%d Subscription Identifiers, at most one is allowed", len(p.SubscriptionIdentifiers))
	}
	if s.Has(PropAuthenticationData) && !s.Has(PropAuthenticationMethod) {
		return 0, errf(ProtocolError, t, "Authentication Data without an Authentication Method")
	}
	for _, f := range [...]struct {
		id PropertyID
		s  string
	}{
		{PropContentType, p.ContentType},
		{PropResponseTopic, p.ResponseTopic},
		{PropAssignedClientIdentifier, p.AssignedClientIdentifier},
		{PropAuthenticationMethod, p.AuthenticationMethod},
		{PropResponseInformation, p.ResponseInformation},
		{PropServerReference, p.ServerReference},
		{PropReasonString, p.ReasonString},
	} {
		if f.s != "" {
			if err := checkString(t, f.id.String(), f.s); err != nil {
				return 0, err
			}
		}
	}
	if s.Has(PropResponseTopic) {
		if err := validateTopicName(t, p.ResponseTopic, "Response Topic"); err != nil {
			return 0, err
		}
	}
	if err := checkBinary(t, "Correlation Data", p.CorrelationData); err != nil {
		return 0, err
	}
	if err := checkBinary(t, "Authentication Data", p.AuthenticationData); err != nil {
		return 0, err
	}
	for i := range p.UserProperties {
		u := &p.UserProperties[i]
		if err := checkString(t, "User Property name", u.Key); err != nil {
			return 0, err
		}
		if err := checkString(t, "User Property value", u.Value); err != nil {
			return 0, err
		}
	}
	return s, nil
}

func (p *Properties) byteValue(id PropertyID) byte {
	switch id {
	case PropPayloadFormatIndicator:
		return p.PayloadFormatIndicator
	case PropRequestProblemInformation:
		return p.RequestProblemInformation
	case PropRequestResponseInformation:
		return p.RequestResponseInformation
	case PropMaximumQoS:
		return p.MaximumQoS
	case PropRetainAvailable:
		return p.RetainAvailable
	case PropWildcardSubscriptionAvailable:
		return p.WildcardSubscriptionAvailable
	case PropSubscriptionIdentifierAvailable:
		return p.SubscriptionIdentifierAvailable
	case PropSharedSubscriptionAvailable:
		return p.SharedSubscriptionAvailable
	}
	return 0
}

// size is the encoded length of the properties in s, without the length prefix.
func (p *Properties) size(s PropertySet) int {
	if s == 0 {
		return 0
	}
	n := 0
	for id := PropPayloadFormatIndicator; id <= PropSharedSubscriptionAvailable; id++ {
		if !s.Has(id) {
			continue
		}
		switch id {
		case PropUserProperty:
			for _, u := range p.UserProperties {
				n += 5 + len(u.Key) + len(u.Value)
			}
			continue
		case PropSubscriptionIdentifier:
			for _, v := range p.SubscriptionIdentifiers {
				n += 1 + vbiLen(int(v))
			}
			continue
		}
		n++
		switch propSpecs[id].kind {
		case kindByte:
			n++
		case kindUint16:
			n += 2
		case kindUint32:
			n += 4
		case kindString:
			n += 2 + len(p.stringValue(id))
		case kindBinary:
			n += 2 + len(p.binaryValue(id))
		}
	}
	return n
}

func (p *Properties) stringValue(id PropertyID) string {
	switch id {
	case PropContentType:
		return p.ContentType
	case PropResponseTopic:
		return p.ResponseTopic
	case PropAssignedClientIdentifier:
		return p.AssignedClientIdentifier
	case PropAuthenticationMethod:
		return p.AuthenticationMethod
	case PropResponseInformation:
		return p.ResponseInformation
	case PropServerReference:
		return p.ServerReference
	case PropReasonString:
		return p.ReasonString
	}
	return ""
}

func (p *Properties) binaryValue(id PropertyID) []byte {
	if id == PropCorrelationData {
		return p.CorrelationData
	}
	return p.AuthenticationData
}

func (p *Properties) numberValue(id PropertyID) uint32 {
	switch id {
	case PropMessageExpiryInterval:
		return p.MessageExpiryInterval
	case PropSessionExpiryInterval:
		return p.SessionExpiryInterval
	case PropServerKeepAlive:
		return uint32(p.ServerKeepAlive)
	case PropWillDelayInterval:
		return p.WillDelayInterval
	case PropReceiveMaximum:
		return uint32(p.ReceiveMaximum)
	case PropTopicAliasMaximum:
		return uint32(p.TopicAliasMaximum)
	case PropTopicAlias:
		return uint32(p.TopicAlias)
	case PropMaximumPacketSize:
		return p.MaximumPacketSize
	}
	return uint32(p.byteValue(id))
}

// append writes the property length and the properties in s (from validate).
func (p *Properties) append(dst []byte, s PropertySet, size int) []byte {
	dst = appendVBI(dst, size)
	if s == 0 {
		return dst
	}
	for id := PropPayloadFormatIndicator; id <= PropSharedSubscriptionAvailable; id++ {
		if !s.Has(id) {
			continue
		}
		switch id {
		case PropUserProperty:
			for _, u := range p.UserProperties {
				dst = append(dst, byte(id))
				dst = appendString(dst, u.Key)
				dst = appendString(dst, u.Value)
			}
			continue
		case PropSubscriptionIdentifier:
			for _, v := range p.SubscriptionIdentifiers {
				dst = append(dst, byte(id))
				dst = appendVBI(dst, int(v))
			}
			continue
		}
		dst = append(dst, byte(id))
		switch propSpecs[id].kind {
		case kindByte:
			dst = append(dst, byte(p.numberValue(id)))
		case kindUint16:
			dst = appendUint16(dst, uint16(p.numberValue(id)))
		case kindUint32:
			dst = appendUint32(dst, p.numberValue(id))
		case kindString:
			dst = appendString(dst, p.stringValue(id))
		case kindBinary:
			dst = appendBinary(dst, p.binaryValue(id))
		}
	}
	return dst
}

// decode reads a property length and the properties that follow from r,
// replacing p. Slices are reused; nothing aliases the body.
func (p *Properties) decode(r *body, ctx Type) error {
	n, err := r.vbi("property length")
	if err != nil {
		return err
	}
	if int(n) > r.left() {
		return errf(MalformedPacket, r.t, "property length %d runs past the end of the packet (%d bytes left)", n, r.left())
	}
	if n == 0 {
		*p = Properties{}
		return nil
	}
	ups, sids := p.UserProperties[:0], p.SubscriptionIdentifiers[:0]
	cd, ad := p.CorrelationData[:0], p.AuthenticationData[:0]
	*p = Properties{}
	end := r.off + int(n)
	pr := body{b: r.b[:end], off: r.off, t: r.t}
	r.off = end
	for pr.left() > 0 {
		v, err := pr.vbi("property identifier")
		if err != nil {
			return err
		}
		id := PropertyID(v)
		spec, ok := id.spec()
		if v > 0xFF || !ok {
			return errf(MalformedPacket, r.t, "unknown property identifier 0x%02X in %s", v, contextName(ctx))
		}
		if spec.allowed&(1<<ctx) == 0 {
			return errf(ProtocolError, r.t, "property %s (0x%02X) is not allowed in %s", id, byte(id), contextName(ctx))
		}
		if p.Present.Has(id) && !id.repeatable() {
			return errf(ProtocolError, r.t, "property %s appears more than once in %s", id, contextName(ctx))
		}
		p.Present = p.Present.With(id)
		name := spec.name
		switch spec.kind {
		case kindByte:
			b, err := pr.byte(name)
			if err != nil {
				return err
			}
			p.setNumber(id, uint32(b))
		case kindUint16:
			u, err := pr.uint16(name)
			if err != nil {
				return err
			}
			p.setNumber(id, uint32(u))
		case kindUint32:
			u, err := pr.uint32(name)
			if err != nil {
				return err
			}
			p.setNumber(id, u)
		case kindVBI:
			u, err := pr.vbi(name)
			if err != nil {
				return err
			}
			sids = append(sids, u)
		case kindString:
			s, err := pr.bytes(name)
			if err != nil {
				return err
			}
			p.setString(id, string(s))
		case kindBinary:
			b, err := pr.bytes(name)
			if err != nil {
				return err
			}
			if id == PropCorrelationData {
				cd = append(cd, b...)
			} else {
				ad = append(ad, b...)
			}
		case kindPair:
			k, err := pr.bytes("User Property name")
			if err != nil {
				return err
			}
			val, err := pr.bytes("User Property value")
			if err != nil {
				return err
			}
			ups = append(ups, UserProperty{Key: string(k), Value: string(val)})
		}
	}
	if len(ups) > 0 {
		p.UserProperties = ups
	}
	if len(sids) > 0 {
		p.SubscriptionIdentifiers = sids
	}
	if p.Present.Has(PropCorrelationData) {
		p.CorrelationData = cd
	}
	if p.Present.Has(PropAuthenticationData) {
		p.AuthenticationData = ad
	}
	return nil
}

func (p *Properties) setNumber(id PropertyID, v uint32) {
	switch id {
	case PropPayloadFormatIndicator:
		p.PayloadFormatIndicator = byte(v)
	case PropMessageExpiryInterval:
		p.MessageExpiryInterval = v
	case PropSessionExpiryInterval:
		p.SessionExpiryInterval = v
	case PropServerKeepAlive:
		p.ServerKeepAlive = uint16(v)
	case PropRequestProblemInformation:
		p.RequestProblemInformation = byte(v)
	case PropWillDelayInterval:
		p.WillDelayInterval = v
	case PropRequestResponseInformation:
		p.RequestResponseInformation = byte(v)
	case PropReceiveMaximum:
		p.ReceiveMaximum = uint16(v)
	case PropTopicAliasMaximum:
		p.TopicAliasMaximum = uint16(v)
	case PropTopicAlias:
		p.TopicAlias = uint16(v)
	case PropMaximumQoS:
		p.MaximumQoS = byte(v)
	case PropRetainAvailable:
		p.RetainAvailable = byte(v)
	case PropMaximumPacketSize:
		p.MaximumPacketSize = v
	case PropWildcardSubscriptionAvailable:
		p.WildcardSubscriptionAvailable = byte(v)
	case PropSubscriptionIdentifierAvailable:
		p.SubscriptionIdentifierAvailable = byte(v)
	case PropSharedSubscriptionAvailable:
		p.SharedSubscriptionAvailable = byte(v)
	}
}

func (p *Properties) setString(id PropertyID, s string) {
	switch id {
	case PropContentType:
		p.ContentType = s
	case PropResponseTopic:
		p.ResponseTopic = s
	case PropAssignedClientIdentifier:
		p.AssignedClientIdentifier = s
	case PropAuthenticationMethod:
		p.AuthenticationMethod = s
	case PropResponseInformation:
		p.ResponseInformation = s
	case PropServerReference:
		p.ServerReference = s
	case PropReasonString:
		p.ReasonString = s
	}
}
