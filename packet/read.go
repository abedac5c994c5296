package packet

import (
	"bufio"
	"errors"
	"io"
)

// NewPacket returns a zero packet of type t, ready for Decode.
func NewPacket(t Type) (Packet, error) {
	switch t {
	case CONNECT:
		return new(Connect), nil
	case CONNACK:
		return new(Connack), nil
	case PUBLISH:
		return new(Publish), nil
	case PUBACK:
		return new(Puback), nil
	case PUBREC:
		return new(Pubrec), nil
	case PUBREL:
		return new(Pubrel), nil
	case PUBCOMP:
		return new(Pubcomp), nil
	case SUBSCRIBE:
		return new(Subscribe), nil
	case SUBACK:
		return new(Suback), nil
	case UNSUBSCRIBE:
		return new(Unsubscribe), nil
	case UNSUBACK:
		return new(Unsuback), nil
	case PINGREQ:
		return new(Pingreq), nil
	case PINGRESP:
		return new(Pingresp), nil
	case DISCONNECT:
		return new(Disconnect), nil
	case AUTH:
		return new(Auth), nil
	}
	return nil, errf(MalformedPacket, 0, "unknown packet type %d", byte(t))
}

// ReadPacket reads, validates and decodes one packet for protocol version v.
// maxSize limits the whole packet (0 means the protocol maximum) and is
// checked from the fixed header before the body is read or allocated. A
// CONNECT is decoded with the version it carries, whatever v says. It returns
// io.EOF at a clean end of input, io.ErrUnexpectedEOF inside a packet, and an
// *Error for every protocol violation.
func ReadPacket(r *bufio.Reader, v Version, maxSize uint32) (Packet, error) {
	h, err := ReadFixedHeader(r, maxSize)
	if err != nil {
		return nil, err
	}
	p, err := NewPacket(h.Type)
	if err != nil {
		return nil, err
	}
	if h.Remaining <= r.Size() {
		// Decode copies what it keeps, so the body can stay in r's buffer.
		b, err := r.Peek(h.Remaining)
		if err != nil {
			return nil, unexpected(err)
		}
		err = p.Decode(h.Flags, b, v)
		_, _ = r.Discard(h.Remaining)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	b := make([]byte, h.Remaining)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, unexpected(err)
	}
	if err := p.Decode(h.Flags, b, v); err != nil {
		return nil, err
	}
	return p, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// DecodePacket decodes one whole packet from the start of b for protocol
// version v and reports the bytes it used. It returns io.ErrUnexpectedEOF when
// b holds less than one whole packet, so a caller can read more and retry.
// maxSize is checked as in ReadPacket, and a CONNECT carries its own version.
func DecodePacket(b []byte, v Version, maxSize uint32) (p Packet, n int, err error) {
	h, err := parseFixedHeader(b, maxSize)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < h.Size() {
		return nil, 0, io.ErrUnexpectedEOF
	}
	if p, err = NewPacket(h.Type); err != nil {
		return nil, 0, err
	}
	if err := p.Decode(h.Flags, b[h.Len:h.Size()], v); err != nil {
		return nil, 0, err
	}
	return p, h.Size(), nil
}
