package packet

import "fmt"

// Error is a decoding or encoding failure. Code is the reason code to send to
// the peer before closing the connection (Malformed Packet, Protocol Error,
// Packet Too Large, Topic Name Invalid, …); Msg says what was wrong.
type Error struct {
	Code   ReasonCode
	Packet Type // 0 when the packet type is not known yet
	Msg    string
}

func (e *Error) Error() string {
	kind := "malformed"
	switch e.Code {
	case MalformedPacket:
	case ProtocolError:
		kind = "protocol error in"
	case PacketTooLarge:
		kind = "too large:"
	default:
		kind = fmt.Sprintf("invalid (reason 0x%02X)", byte(e.Code))
	}
	if e.Packet == 0 {
		return fmt.Sprintf("mqtt: %s packet: %s", kind, e.Msg)
	}
	return fmt.Sprintf("mqtt: %s %s packet: %s", kind, e.Packet, e.Msg)
}

// Is lets errors.Is match any *Error with the same Code, so callers can test
// errors.Is(err, packet.ErrMalformed).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && t.Packet == 0 && t.Code == e.Code
}

// Sentinels for errors.Is; any *Error with the same code matches.
var (
	ErrMalformed     = &Error{Code: MalformedPacket}
	ErrProtocol      = &Error{Code: ProtocolError}
	ErrTooLarge      = &Error{Code: PacketTooLarge}
	ErrTopicInvalid  = &Error{Code: TopicNameInvalid}
	ErrFilterInvalid = &Error{Code: TopicFilterInvalid}
)
