// Package packet is mqttkit's MQTT v5 (and v3.1.1) wire codec: every control
// packet, every property and reason code, and the validation rules of the
// specification. It does no I/O policy of its own and imports nothing else
// from mqttkit, so it can be used alone, the way pgproto3 is used without pgx.
//
// Encoding appends to a caller's buffer and allocates nothing when the buffer
// is large enough. Decoding reads from a *bufio.Reader or a byte slice and
// checks the Maximum Packet Size from the fixed header before it allocates.
// Every decoding or encoding failure is an *Error that carries the reason code
// the peer should be sent (Malformed Packet, Protocol Error, Packet Too Large)
// and says what was wrong.
package packet
