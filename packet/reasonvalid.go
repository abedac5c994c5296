package packet

// reasonSets[t] lists the MQTT v5 reason codes packet type t may carry (§2.4
// and each packet's Reason Code section), as a 256-bit set.
var reasonSets = func() (s [16][4]uint64) {
	add := func(t Type, codes ...ReasonCode) {
		for _, c := range codes {
			s[t][c>>6] |= 1 << (c & 63)
		}
	}
	add(CONNACK, Success, UnspecifiedError, MalformedPacket, ProtocolError, ImplementationSpecificError,
		UnsupportedProtocolVersion, ClientIdentifierNotValid, BadUserNameOrPassword, NotAuthorized,
		ServerUnavailable, ServerBusy, Banned, BadAuthenticationMethod, TopicNameInvalid, PacketTooLarge,
		QuotaExceeded, PayloadFormatInvalid, RetainNotSupported, QoSNotSupported, UseAnotherServer,
		ServerMoved, ConnectionRateExceeded)
	pub := []ReasonCode{Success, NoMatchingSubscribers, UnspecifiedError, ImplementationSpecificError,
		NotAuthorized, TopicNameInvalid, PacketIdentifierInUse, QuotaExceeded, PayloadFormatInvalid}
	add(PUBACK, pub...)
	add(PUBREC, pub...)
	add(PUBREL, Success, PacketIdentifierNotFound)
	add(PUBCOMP, Success, PacketIdentifierNotFound)
	add(SUBACK, GrantedQoS0, GrantedQoS1, GrantedQoS2, UnspecifiedError, ImplementationSpecificError,
		NotAuthorized, TopicFilterInvalid, PacketIdentifierInUse, QuotaExceeded,
		SharedSubscriptionsNotSupported, SubscriptionIdentifiersNotSupported, WildcardSubscriptionsNotSupported)
	add(UNSUBACK, Success, NoSubscriptionExisted, UnspecifiedError, ImplementationSpecificError,
		NotAuthorized, TopicFilterInvalid, PacketIdentifierInUse)
	// Bad authentication method (0x8C) is missing from §3.14.2.1's list but
	// allowed in DISCONNECT by the reason code table of §2.4, which a server
	// ending a failed re-authentication (§4.12.1) may follow.
	add(DISCONNECT, NormalDisconnection, DisconnectWithWillMessage, UnspecifiedError, MalformedPacket,
		ProtocolError, ImplementationSpecificError, NotAuthorized, ServerBusy, ServerShuttingDown, BadAuthenticationMethod,
		KeepAliveTimeout, SessionTakenOver, TopicFilterInvalid, TopicNameInvalid, ReceiveMaximumExceeded,
		TopicAliasInvalid, PacketTooLarge, MessageRateTooHigh, QuotaExceeded, AdministrativeAction,
		PayloadFormatInvalid, RetainNotSupported, QoSNotSupported, UseAnotherServer, ServerMoved,
		SharedSubscriptionsNotSupported, ConnectionRateExceeded, MaximumConnectTime,
		SubscriptionIdentifiersNotSupported, WildcardSubscriptionsNotSupported)
	add(AUTH, Success, ContinueAuthentication, ReAuthenticate)
	return s
}()

// v311Reasons[t] lists the MQTT 3.1.1 return codes: CONNACK 0-5 (§3.2.2.3 of
// 3.1.1) and SUBACK 0, 1, 2 and 0x80 (§3.9.3 of 3.1.1).
var v311Reasons = [16][4]uint64{
	CONNACK: {0b111111},
	SUBACK:  {0b111, 0, 1},
}

// checkReason rejects a reason code packet type t may not carry in version v.
func checkReason(t Type, v Version, rc ReasonCode) error {
	sets := &reasonSets
	if v == V311 {
		sets = &v311Reasons
	}
	if sets[t][rc>>6]&(1<<(rc&63)) == 0 {
		if v == V311 {
			return errf(ProtocolError, t, "return code 0x%02X is not defined for %s in MQTT 3.1.1", byte(rc), t)
		}
		return errf(ProtocolError, t, "reason code 0x%02X (%s) is not allowed in %s", byte(rc), rc, t)
	}
	return nil
}
