package packet

// PropertyID identifies an MQTT v5 property (§2.2.2.2).
type PropertyID byte

// Every MQTT v5 property identifier.
const (
	PropPayloadFormatIndicator          PropertyID = 0x01
	PropMessageExpiryInterval           PropertyID = 0x02
	PropContentType                     PropertyID = 0x03
	PropResponseTopic                   PropertyID = 0x08
	PropCorrelationData                 PropertyID = 0x09
	PropSubscriptionIdentifier          PropertyID = 0x0B
	PropSessionExpiryInterval           PropertyID = 0x11
	PropAssignedClientIdentifier        PropertyID = 0x12
	PropServerKeepAlive                 PropertyID = 0x13
	PropAuthenticationMethod            PropertyID = 0x15
	PropAuthenticationData              PropertyID = 0x16
	PropRequestProblemInformation       PropertyID = 0x17
	PropWillDelayInterval               PropertyID = 0x18
	PropRequestResponseInformation      PropertyID = 0x19
	PropResponseInformation             PropertyID = 0x1A
	PropServerReference                 PropertyID = 0x1C
	PropReasonString                    PropertyID = 0x1F
	PropReceiveMaximum                  PropertyID = 0x21
	PropTopicAliasMaximum               PropertyID = 0x22
	PropTopicAlias                      PropertyID = 0x23
	PropMaximumQoS                      PropertyID = 0x24
	PropRetainAvailable                 PropertyID = 0x25
	PropUserProperty                    PropertyID = 0x26
	PropMaximumPacketSize               PropertyID = 0x27
	PropWildcardSubscriptionAvailable   PropertyID = 0x28
	PropSubscriptionIdentifierAvailable PropertyID = 0x29
	PropSharedSubscriptionAvailable     PropertyID = 0x2A
)

// PropertySet is a set of property identifiers, one bit per identifier.
type PropertySet uint64

// Has reports whether id is in the set.
func (s PropertySet) Has(id PropertyID) bool { return s&(1<<id) != 0 }

// With returns the set with id added.
func (s PropertySet) With(id PropertyID) PropertySet { return s | 1<<id }

// UserProperty is a name/value pair; order and repeats are preserved.
type UserProperty struct {
	Key, Value string
}

// Properties holds every MQTT v5 property. A property is encoded when its value
// is non-zero (non-empty) or when its identifier is in Present, so the plain
// zero value means "absent" and a present-but-zero property (for example
// Retain Available = 0 in CONNACK) is written by adding it to Present. Decode
// sets Present for every property it sees, so decode → encode is lossless.
//
// Which properties a packet may carry is checked on encode and decode
// (PropertyID.AllowedIn, AllowedInWill); a property outside its packet, a
// repeated one (only User Property and Subscription Identifier may repeat)
// or a value the specification forbids is a Protocol Error. Under MQTT 3.1.1
// Properties must be empty.
type Properties struct {
	Present PropertySet

	PayloadFormatIndicator byte   // 0x01 PUBLISH, Will
	MessageExpiryInterval  uint32 // 0x02 PUBLISH, Will
	ContentType            string // 0x03 PUBLISH, Will
	ResponseTopic          string // 0x08 PUBLISH, Will
	CorrelationData        []byte // 0x09 PUBLISH, Will
	// SubscriptionIdentifiers (0x0B): any number in PUBLISH (server to client),
	// at most one in SUBSCRIBE. Values are 1..268,435,455.
	SubscriptionIdentifiers         []uint32
	SessionExpiryInterval           uint32         // 0x11 CONNECT, CONNACK, DISCONNECT
	AssignedClientIdentifier        string         // 0x12 CONNACK
	ServerKeepAlive                 uint16         // 0x13 CONNACK
	AuthenticationMethod            string         // 0x15 CONNECT, CONNACK, AUTH
	AuthenticationData              []byte         // 0x16 CONNECT, CONNACK, AUTH; never printed
	RequestProblemInformation       byte           // 0x17 CONNECT
	WillDelayInterval               uint32         // 0x18 Will
	RequestResponseInformation      byte           // 0x19 CONNECT
	ResponseInformation             string         // 0x1A CONNACK
	ServerReference                 string         // 0x1C CONNACK, DISCONNECT
	ReasonString                    string         // 0x1F CONNACK, PUBACK..PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH
	ReceiveMaximum                  uint16         // 0x21 CONNECT, CONNACK; 0 is a Protocol Error when present
	TopicAliasMaximum               uint16         // 0x22 CONNECT, CONNACK
	TopicAlias                      uint16         // 0x23 PUBLISH; 0 is a Protocol Error when present
	MaximumQoS                      byte           // 0x24 CONNACK
	RetainAvailable                 byte           // 0x25 CONNACK
	UserProperties                  []UserProperty // 0x26 every packet with properties
	MaximumPacketSize               uint32         // 0x27 CONNECT, CONNACK; 0 is a Protocol Error when present
	WildcardSubscriptionAvailable   byte           // 0x28 CONNACK
	SubscriptionIdentifierAvailable byte           // 0x29 CONNACK
	SharedSubscriptionAvailable     byte           // 0x2A CONNACK
}
