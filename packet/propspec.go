package packet

import "fmt"

// propKind is the wire data type of a property's value (§1.5).
type propKind byte

const (
	kindByte propKind = iota + 1
	kindUint16
	kindUint32
	kindVBI
	kindString
	kindBinary
	kindPair
)

// willContext stands for the Will Properties of a CONNECT, which allow a
// different set of properties than the CONNECT itself.
const willContext Type = 16

type propSpec struct {
	name    string
	kind    propKind
	allowed uint32 // bit t set: allowed in packet type t (bit 16: Will)
}

func contexts(ts ...Type) uint32 {
	var m uint32
	for _, t := range ts {
		m |= 1 << t
	}
	return m
}

// propSpecs is the table of §2.2.2.2: every property, its data type, and the
// packets (and Will) it may appear in.
var propSpecs = [...]propSpec{
	PropPayloadFormatIndicator:          {"Payload Format Indicator", kindByte, contexts(PUBLISH, willContext)},
	PropMessageExpiryInterval:           {"Message Expiry Interval", kindUint32, contexts(PUBLISH, willContext)},
	PropContentType:                     {"Content Type", kindString, contexts(PUBLISH, willContext)},
	PropResponseTopic:                   {"Response Topic", kindString, contexts(PUBLISH, willContext)},
	PropCorrelationData:                 {"Correlation Data", kindBinary, contexts(PUBLISH, willContext)},
	PropSubscriptionIdentifier:          {"Subscription Identifier", kindVBI, contexts(PUBLISH, SUBSCRIBE)},
	PropSessionExpiryInterval:           {"Session Expiry Interval", kindUint32, contexts(CONNECT, CONNACK, DISCONNECT)},
	PropAssignedClientIdentifier:        {"Assigned Client Identifier", kindString, contexts(CONNACK)},
	PropServerKeepAlive:                 {"Server Keep Alive", kindUint16, contexts(CONNACK)},
	PropAuthenticationMethod:            {"Authentication Method", kindString, contexts(CONNECT, CONNACK, AUTH)},
	PropAuthenticationData:              {"Authentication Data", kindBinary, contexts(CONNECT, CONNACK, AUTH)},
	PropRequestProblemInformation:       {"Request Problem Information", kindByte, contexts(CONNECT)},
	PropWillDelayInterval:               {"Will Delay Interval", kindUint32, contexts(willContext)},
	PropRequestResponseInformation:      {"Request Response Information", kindByte, contexts(CONNECT)},
	PropResponseInformation:             {"Response Information", kindString, contexts(CONNACK)},
	PropServerReference:                 {"Server Reference", kindString, contexts(CONNACK, DISCONNECT)},
	PropReasonString:                    {"Reason String", kindString, contexts(CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH)},
	PropReceiveMaximum:                  {"Receive Maximum", kindUint16, contexts(CONNECT, CONNACK)},
	PropTopicAliasMaximum:               {"Topic Alias Maximum", kindUint16, contexts(CONNECT, CONNACK)},
	PropTopicAlias:                      {"Topic Alias", kindUint16, contexts(PUBLISH)},
	PropMaximumQoS:                      {"Maximum QoS", kindByte, contexts(CONNACK)},
	PropRetainAvailable:                 {"Retain Available", kindByte, contexts(CONNACK)},
	PropUserProperty:                    {"User Property", kindPair, contexts(CONNECT, CONNACK, PUBLISH, willContext, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, DISCONNECT, AUTH)},
	PropMaximumPacketSize:               {"Maximum Packet Size", kindUint32, contexts(CONNECT, CONNACK)},
	PropWildcardSubscriptionAvailable:   {"Wildcard Subscription Available", kindByte, contexts(CONNACK)},
	PropSubscriptionIdentifierAvailable: {"Subscription Identifier Available", kindByte, contexts(CONNACK)},
	PropSharedSubscriptionAvailable:     {"Shared Subscription Available", kindByte, contexts(CONNACK)},
}

// allowedSets[ctx] is the PropertySet allowed in packet type ctx (16: Will).
var allowedSets = func() (s [17]PropertySet) {
	for id, spec := range propSpecs {
		for ctx := range s {
			if spec.allowed&(1<<ctx) != 0 {
				s[ctx] = s[ctx].With(PropertyID(id))
			}
		}
	}
	return s
}()

func (id PropertyID) spec() (propSpec, bool) {
	if int(id) >= len(propSpecs) || propSpecs[id].kind == 0 {
		return propSpec{}, false
	}
	return propSpecs[id], true
}

// String returns the property's name as the specification spells it.
func (id PropertyID) String() string {
	if s, ok := id.spec(); ok {
		return s.name
	}
	return fmt.Sprintf("PropertyID(0x%02X)", byte(id))
}

// AllowedIn reports whether the property may appear in packets of type t,
// so a caller can check a property before building a packet around it.
func (id PropertyID) AllowedIn(t Type) bool {
	s, ok := id.spec()
	return ok && t < 16 && s.allowed&(1<<t) != 0
}

// AllowedInWill reports whether the property may appear among a CONNECT's
// Will Properties, which differ from the CONNECT's own.
func (id PropertyID) AllowedInWill() bool {
	s, ok := id.spec()
	return ok && s.allowed&(1<<willContext) != 0
}

// repeatable reports whether a property may appear more than once (§2.2.2.2).
func (id PropertyID) repeatable() bool {
	return id == PropUserProperty || id == PropSubscriptionIdentifier
}

func contextName(ctx Type) string {
	if ctx == willContext {
		return "Will Properties"
	}
	return ctx.String()
}
