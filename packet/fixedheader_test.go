package packet

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestReadFixedHeader(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []byte
		maxSize uint32
		want    FixedHeader
		err     error
	}{
		{"empty DISCONNECT", []byte{0xE0, 0x00}, 0, FixedHeader{Type: DISCONNECT, Remaining: 0, Len: 2}, nil},
		{"PUBLISH flags kept", []byte{0x3B, 0x05}, 0, FixedHeader{Type: PUBLISH, Flags: 0x0B, Remaining: 5, Len: 2}, nil},
		{"two-byte length", []byte{0x30, 0x80, 0x01}, 0, FixedHeader{Type: PUBLISH, Remaining: 128, Len: 3}, nil},
		{"largest length", []byte{0x30, 0xFF, 0xFF, 0xFF, 0x7F}, 0, FixedHeader{Type: PUBLISH, Remaining: 268435455, Len: 5}, nil},
		{"exactly maxSize", []byte{0x30, 0x05}, 7, FixedHeader{Type: PUBLISH, Remaining: 5, Len: 2}, nil},
		{"one over maxSize", []byte{0x30, 0x06}, 7, FixedHeader{}, ErrTooLarge},
		{"nothing", nil, 0, FixedHeader{}, io.EOF},
		{"first byte only", []byte{0x30}, 0, FixedHeader{}, io.ErrUnexpectedEOF},
		{"length cut short", []byte{0x30, 0x80}, 0, FixedHeader{}, io.ErrUnexpectedEOF},
		{"five-byte length", []byte{0x30, 0x80, 0x80, 0x80, 0x80, 0x01}, 0, FixedHeader{}, ErrMalformed},
		{"reserved type", []byte{0x00, 0x00}, 0, FixedHeader{}, ErrMalformed},
		{"reserved flags", []byte{0x41, 0x02}, 0, FixedHeader{}, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ReadFixedHeader(bufio.NewReader(bytes.NewReader(tc.in)), tc.maxSize)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if err == nil && h != tc.want {
				t.Fatalf("header %+v, want %+v", h, tc.want)
			}
			if err == nil && h.Size() != tc.want.Len+tc.want.Remaining {
				t.Fatalf("Size() = %d", h.Size())
			}
		})
	}
}
