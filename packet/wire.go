package packet

import (
	"fmt"
	"unicode/utf8"
)

// maxVBI is the largest value a Variable Byte Integer can hold (§1.5.5).
const maxVBI = 268435455

// maxString is the longest UTF-8 string or binary field (two-byte length).
const maxString = 65535

// errf builds an *Error; used only on failure paths.
func errf(code ReasonCode, t Type, format string, args ...any) *Error {
	return &Error{Code: code, Packet: t, Msg: fmt.Sprintf(format, args...)}
}

// body is a cursor over a packet's variable header and payload. Its methods
// return slices into the body; callers copy what they keep.
type body struct {
	b   []byte
	off int
	t   Type
}

func (r *body) truncated(what string, need int) error {
	return errf(MalformedPacket, r.t, "%s needs %d bytes at offset %d but only %d remain", what, need, r.off, len(r.b)-r.off)
}

func (r *body) left() int { return len(r.b) - r.off }

func (r *body) byte(what string) (byte, error) {
	if r.off >= len(r.b) {
		return 0, r.truncated(what, 1)
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *body) uint16(what string) (uint16, error) {
	if len(r.b)-r.off < 2 {
		return 0, r.truncated(what, 2)
	}
	v := uint16(r.b[r.off])<<8 | uint16(r.b[r.off+1])
	r.off += 2
	return v, nil
}

func (r *body) uint32(what string) (uint32, error) {
	if len(r.b)-r.off < 4 {
		return 0, r.truncated(what, 4)
	}
	b := r.b[r.off:]
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	r.off += 4
	return v, nil
}

// vbi reads a Variable Byte Integer, rejecting more than four bytes and
// non-minimal encodings (MQTT-1.5.5-1).
func (r *body) vbi(what string) (uint32, error) {
	v, n, err := parseVBI(r.b[r.off:])
	if err != nil {
		if n == 0 {
			return 0, r.truncated(what, len(r.b)-r.off+1)
		}
		return 0, errf(MalformedPacket, r.t, "%s at offset %d: %v", what, r.off, err)
	}
	r.off += n
	return v, nil
}

// bytes reads a two-byte length followed by that many bytes (a UTF-8 string
// or binary data); the result aliases the body.
func (r *body) bytes(what string) ([]byte, error) {
	if len(r.b)-r.off < 2 {
		return nil, r.truncated(what+" length", 2)
	}
	n := int(r.b[r.off])<<8 | int(r.b[r.off+1])
	if len(r.b)-r.off-2 < n {
		return nil, r.truncated(what, n+2)
	}
	s := r.b[r.off+2 : r.off+2+n]
	r.off += 2 + n
	return s, nil
}

// string reads a UTF-8 string, reusing old when it holds the same text so a
// reused struct decodes a repeated topic without allocating.
func (r *body) string(what, old string) (string, error) {
	b, err := r.bytes(what)
	if err != nil {
		return "", err
	}
	if old == string(b) {
		return old, nil
	}
	return string(b), nil
}

// errVBITooLong and friends are the causes parseVBI reports.
type vbiError string

func (e vbiError) Error() string { return string(e) }

const (
	errVBITooLong    vbiError = "variable byte integer longer than 4 bytes"
	errVBINotMinimal vbiError = "variable byte integer not in its shortest form (MQTT-1.5.5-1)"
	errVBIShort      vbiError = "variable byte integer cut short"
)

// parseVBI decodes a Variable Byte Integer from the start of b. It returns
// n == 0 with errVBIShort when b ends before the last byte.
func parseVBI(b []byte) (v uint32, n int, err error) {
	var shift uint
	for i := 0; i < 4; i++ {
		if i >= len(b) {
			return 0, 0, errVBIShort
		}
		c := b[i]
		v |= uint32(c&0x7F) << shift
		if c&0x80 == 0 {
			if c == 0 && i > 0 {
				return 0, i + 1, errVBINotMinimal
			}
			return v, i + 1, nil
		}
		shift += 7
	}
	return 0, 4, errVBITooLong
}

func vbiLen(v int) int {
	switch {
	case v < 128:
		return 1
	case v < 16384:
		return 2
	case v < 2097152:
		return 3
	default:
		return 4
	}
}

func appendVBI(dst []byte, v int) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

func appendUint16(dst []byte, v uint16) []byte { return append(dst, byte(v>>8), byte(v)) }

func appendUint32(dst []byte, v uint32) []byte {
	return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendString(dst []byte, s string) []byte {
	dst = appendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}

func appendBinary(dst []byte, b []byte) []byte {
	dst = appendUint16(dst, uint16(len(b)))
	return append(dst, b...)
}

// checkString applies §1.5.4: at most 65,535 bytes, well-formed UTF-8 (which
// excludes the surrogates U+D800..U+DFFF), and no U+0000. Control characters
// and non-characters are SHOULD NOTs in the specification and are accepted.
func checkString(t Type, what, s string) error {
	if len(s) > maxString {
		return errf(MalformedPacket, t, "%s is %d bytes, longer than the 65535 a UTF-8 string can hold", what, len(s))
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c == 0 {
			return errf(MalformedPacket, t, "%s contains U+0000 at byte %d (MQTT-1.5.4-2)", what, i)
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return errf(MalformedPacket, t, "%s is not well-formed UTF-8 at byte %d (MQTT-1.5.4-1)", what, i)
		}
		i += n
	}
	return nil
}

func checkBinary(t Type, what string, b []byte) error {
	if len(b) > maxString {
		return errf(MalformedPacket, t, "%s is %d bytes, longer than the 65535 binary data can hold", what, len(b))
	}
	return nil
}
