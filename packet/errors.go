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

// Error says what kind of failure it is, in which packet, and what was wrong.
func (e *Error) Error() string {
	in := ""
	if e.Packet != 0 {
		in = e.Packet.String() + " "
	}
	switch e.Code {
	case MalformedPacket:
		return fmt.Sprintf("mqtt: malformed %spacket: %s", in, e.Msg)
	case ProtocolError:
		return fmt.Sprintf("mqtt: protocol error in %spacket: %s", in, e.Msg)
	case PacketTooLarge:
		return fmt.Sprintf("mqtt: %spacket too large: %s", in, e.Msg)
	}
	return fmt.Sprintf("mqtt: %s%s (0x%02X): %s", in, e.Code, byte(e.Code), e.Msg)
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
