package packet

import (
	"bufio"
	"errors"
	"io"
)

// FixedHeader is the first two to five bytes of every packet (§2.1.1). A
// reader that forwards raw packets (the broker's validating reader) reads it
// to learn how many bytes follow before it reads or allocates any of them.
type FixedHeader struct {
	Type      Type
	Flags     byte // low nibble of the first byte
	Remaining int  // Remaining Length: bytes after the fixed header
	Len       int  // bytes of the fixed header itself (2 to 5)
}

// Size is the whole packet's size in bytes, the figure Maximum Packet Size limits.
func (h FixedHeader) Size() int { return h.Len + h.Remaining }

// maxPacketSize is the largest packet the protocol can express.
const maxPacketSize = 1 + 4 + maxVBI

// ReadFixedHeader reads and validates a fixed header: the packet type, the
// reserved flag bits, the Remaining Length encoding, and the whole packet's
// size against maxSize (0 means the protocol maximum). It returns io.EOF when
// r is at end of input before the first byte, io.ErrUnexpectedEOF when input
// ends inside the header, and an *Error otherwise.
func ReadFixedHeader(r *bufio.Reader, maxSize uint32) (FixedHeader, error) {
	first, err := r.ReadByte()
	if err != nil {
		return FixedHeader{}, err
	}
	var buf [4]byte
	n := 0
	for {
		c, err := r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return FixedHeader{}, err
		}
		buf[n] = c
		n++
		if c&0x80 == 0 || n == 4 {
			break
		}
	}
	return fixedHeader(first, buf[:n], maxSize)
}

// parseFixedHeader reads a fixed header from the start of b; it returns
// io.ErrUnexpectedEOF when b ends inside the header.
func parseFixedHeader(b []byte, maxSize uint32) (FixedHeader, error) {
	for i := 1; ; i++ {
		if i >= len(b) {
			return FixedHeader{}, io.ErrUnexpectedEOF
		}
		if b[i]&0x80 == 0 || i == 4 {
			return fixedHeader(b[0], b[1:i+1], maxSize)
		}
	}
}

func fixedHeader(first byte, rl []byte, maxSize uint32) (FixedHeader, error) {
	h := FixedHeader{Type: Type(first >> 4), Flags: first & 0x0F}
	if h.Type == 0 {
		return h, errf(MalformedPacket, 0, "packet type 0 is reserved (first byte 0x%02X)", first)
	}
	if err := checkFlags(h.Type, h.Flags); err != nil {
		return h, err
	}
	v, n, err := parseVBI(rl)
	if err != nil {
		return h, errf(MalformedPacket, h.Type, "remaining length: %v", err)
	}
	h.Remaining = int(v)
	h.Len = 1 + n
	limit := uint32(maxPacketSize)
	if maxSize != 0 && maxSize < limit {
		limit = maxSize
	}
	if uint32(h.Size()) > limit {
		return h, errf(PacketTooLarge, h.Type, "packet of %d bytes exceeds the maximum packet size of %d bytes", h.Size(), limit)
	}
	return h, nil
}

// checkFlags validates the low nibble of the first byte (§2.1.3).
func checkFlags(t Type, flags byte) error {
	switch t {
	case PUBLISH:
		qos := QoS(flags>>1) & 3
		if qos == 3 {
			return errf(MalformedPacket, t, "QoS 3 in the fixed header (MQTT-3.3.1-4)")
		}
		if qos == QoS0 && flags&0x08 != 0 {
			return errf(MalformedPacket, t, "DUP flag set on a QoS 0 message (MQTT-3.3.1-2)")
		}
		return nil
	case PUBREL, SUBSCRIBE, UNSUBSCRIBE:
		if flags != 0x02 {
			return errf(MalformedPacket, t, "reserved fixed-header flags are 0x%X, must be 0x2 (MQTT-2.1.3-1)", flags)
		}
	default:
		if flags != 0 {
			return errf(MalformedPacket, t, "reserved fixed-header flags are 0x%X, must be 0 (MQTT-2.1.3-1)", flags)
		}
	}
	return nil
}

// headerFlags is the low nibble an encoder writes for every type but PUBLISH.
func headerFlags(t Type) byte {
	switch t {
	case PUBREL, SUBSCRIBE, UNSUBSCRIBE:
		return 0x02
	}
	return 0
}

// appendHeader writes the fixed header, rejecting a body the protocol cannot carry.
func appendHeader(dst []byte, t Type, flags byte, remaining int) ([]byte, error) {
	if remaining > maxVBI {
		return dst, errf(PacketTooLarge, t, "remaining length %d exceeds the protocol maximum of %d", remaining, maxVBI)
	}
	dst = append(dst, byte(t)<<4|flags)
	return appendVBI(dst, remaining), nil
}
