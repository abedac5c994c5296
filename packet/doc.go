// Package packet is mqttkit's MQTT 5 and MQTT 3.1.1 wire codec: every control
// packet, every property and reason code, and the validation rules of the
// specification. It does no I/O policy of its own and imports nothing else
// from mqttkit, so it can be used alone, the way pgproto3 is used without pgx.
//
// # Reading
//
// ReadPacket reads one packet from a *bufio.Reader; DecodePacket decodes one
// from the start of a byte slice and returns io.ErrUnexpectedEOF while the
// slice holds less than a whole packet. Both check the Maximum Packet Size
// from the fixed header before they read or allocate the body, and both
// decode a CONNECT by the protocol level it carries. ReadFixedHeader is for
// callers that forward raw packets (the embedded broker's validating reader).
//
// For a hot path, decode into a reused struct with the packet's Decode
// method: slices keep their capacity and an unchanged topic is kept, so a
// PUBLISH or PUBACK decodes without allocating. The flip side: the previous
// contents of a reused struct's slices are overwritten, so copy what must
// outlive the next Decode. Decoded strings and slices never alias the input.
//
// # Writing
//
// Every packet's Append encodes onto a caller's buffer and allocates nothing
// when the buffer has room. Append validates first and appends nothing on
// error, so a program cannot put a packet on the wire that a conforming peer
// must reject.
//
// # Errors
//
// Every decoding or encoding failure is an *Error that carries the reason
// code to send the peer (Malformed Packet for bytes that do not parse,
// Protocol Error for broken rules, Packet Too Large, Topic Name invalid,
// Topic Filter invalid, Unsupported Protocol Version) and says what was
// wrong, citing the specification's requirement where there is one. Test for
// a kind with errors.Is(err, packet.ErrMalformed) and friends.
//
// # Versions
//
// The version is a parameter of every call. Under V311 (protocol level 4)
// there are no properties (encoding one is an error), no reason codes in
// PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK and DISCONNECT, no AUTH, CONNACK
// return codes 0-5 and SUBACK return codes 0, 1, 2 and 0x80.
package packet
