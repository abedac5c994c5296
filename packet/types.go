package packet

// Type is the MQTT control packet type from the high nibble of the fixed header.
type Type byte

// The fifteen control packet types of MQTT v5 (§2.1.2).
const (
	CONNECT     Type = 1
	CONNACK     Type = 2
	PUBLISH     Type = 3
	PUBACK      Type = 4
	PUBREC      Type = 5
	PUBREL      Type = 6
	PUBCOMP     Type = 7
	SUBSCRIBE   Type = 8
	SUBACK      Type = 9
	UNSUBSCRIBE Type = 10
	UNSUBACK    Type = 11
	PINGREQ     Type = 12
	PINGRESP    Type = 13
	DISCONNECT  Type = 14
	AUTH        Type = 15
)

// Version is the protocol level carried in CONNECT.
type Version byte

const (
	// V311 is MQTT 3.1.1 (protocol level 4).
	V311 Version = 4
	// V5 is MQTT 5.0 (protocol level 5).
	V5 Version = 5
)

// QoS is a delivery quality of service level.
type QoS byte

const (
	QoS0 QoS = 0 // at most once
	QoS1 QoS = 1 // at least once
	QoS2 QoS = 2 // exactly once
)

// Packet is implemented by the pointer types of all fifteen control packets.
type Packet interface {
	// Type reports the control packet type.
	Type() Type
	// Append encodes the packet for protocol version v onto dst and returns the
	// extended slice. It validates the packet first and appends nothing on error.
	Append(dst []byte, v Version) ([]byte, error)
	// Decode parses the packet from the fixed header's flags and the variable
	// header plus payload (body), replacing every field of the receiver. Slices
	// of the receiver are reused when their capacity allows; strings and byte
	// fields never alias body.
	Decode(flags byte, body []byte, v Version) error
}

// Connect is the CONNECT packet (§3.1).
type Connect struct {
	ProtocolVersion Version
	CleanStart      bool
	KeepAlive       uint16 // seconds
	ClientID        string
	// Username and Password are sent when non-empty or when their Has flag is set
	// (MQTT v5 allows a present but empty user name). Password never appears in
	// String or %v output.
	Username    string
	HasUsername bool
	Password    []byte
	HasPassword bool
	Will        *Will // nil: no will message
	Properties  Properties
}

// Will is the will message carried in CONNECT.
type Will struct {
	QoS        QoS
	Retain     bool
	Topic      string
	Payload    []byte
	Properties Properties // will properties (§3.1.3.2)
}

// Connack is the CONNACK packet (§3.2).
type Connack struct {
	SessionPresent bool
	ReasonCode     ReasonCode
	Properties     Properties
}

// Publish is the PUBLISH packet (§3.3).
type Publish struct {
	Dup        bool
	QoS        QoS
	Retain     bool
	Topic      string // may be empty when Properties carries a Topic Alias
	PacketID   uint16 // 0 at QoS 0, non-zero otherwise
	Properties Properties
	Payload    []byte
}

// Puback is the PUBACK packet (§3.4).
type Puback struct {
	PacketID   uint16
	ReasonCode ReasonCode
	Properties Properties
}

// Pubrec is the PUBREC packet (§3.5).
type Pubrec struct {
	PacketID   uint16
	ReasonCode ReasonCode
	Properties Properties
}

// Pubrel is the PUBREL packet (§3.6).
type Pubrel struct {
	PacketID   uint16
	ReasonCode ReasonCode
	Properties Properties
}

// Pubcomp is the PUBCOMP packet (§3.7).
type Pubcomp struct {
	PacketID   uint16
	ReasonCode ReasonCode
	Properties Properties
}

// Subscription is one topic filter with its subscription options (§3.8.3.1).
type Subscription struct {
	Filter            string
	QoS               QoS
	NoLocal           bool
	RetainAsPublished bool
	RetainHandling    byte // 0 send retained, 1 only for new subscriptions, 2 never
}

// Subscribe is the SUBSCRIBE packet (§3.8).
type Subscribe struct {
	PacketID      uint16
	Properties    Properties
	Subscriptions []Subscription
}

// Suback is the SUBACK packet (§3.9); one reason code per requested filter.
type Suback struct {
	PacketID    uint16
	Properties  Properties
	ReasonCodes []ReasonCode
}

// Unsubscribe is the UNSUBSCRIBE packet (§3.10).
type Unsubscribe struct {
	PacketID   uint16
	Properties Properties
	Filters    []string
}

// Unsuback is the UNSUBACK packet (§3.11).
type Unsuback struct {
	PacketID    uint16
	Properties  Properties
	ReasonCodes []ReasonCode
}

// Pingreq is the PINGREQ packet (§3.12).
type Pingreq struct{}

// Pingresp is the PINGRESP packet (§3.13).
type Pingresp struct{}

// Disconnect is the DISCONNECT packet (§3.14).
type Disconnect struct {
	ReasonCode ReasonCode
	Properties Properties
}

// Auth is the AUTH packet (§3.15), used for enhanced authentication.
type Auth struct {
	ReasonCode ReasonCode
	Properties Properties
}

var typeNames = [...]string{"RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL",
	"PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"}

// String returns the packet type's name as the specification spells it.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "UNKNOWN"
}
