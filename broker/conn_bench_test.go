package broker

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/packet"
)

// streamConn is a net.Conn whose reads return one CONNECT, then the same
// packet over and over.
type streamConn struct {
	net.Conn
	head, body []byte
	off        int
}

func (c *streamConn) Read(p []byte) (int, error) {
	if len(c.head) > 0 {
		n := copy(p, c.head)
		c.head = c.head[n:]
		return n, nil
	}
	n := 0
	for n < len(p) {
		k := copy(p[n:], c.body[c.off:])
		n += k
		c.off = (c.off + k) % len(c.body)
	}
	return n, nil
}

func (c *streamConn) SetReadDeadline(time.Time) error { return nil }

// BenchmarkValidatingReader measures what the validating reader adds per
// packet: mochi reads through it with a bufio.Reader as it does in the
// broker. Compare with BenchmarkPlainReader, the same stream unvalidated.
func BenchmarkValidatingReader(b *testing.B) {
	for _, size := range []int{16, 1024} {
		b.Run(sizeName(size), func(b *testing.B) {
			benchRead(b, size, func(c *streamConn) io.Reader {
				sc := &serverConn{Conn: c, br: bufio.NewReaderSize(c, 4096), maxSize: 1 << 20}
				return sc
			})
		})
	}
}

// BenchmarkPlainReader is the same stream read without validation.
func BenchmarkPlainReader(b *testing.B) {
	for _, size := range []int{16, 1024} {
		b.Run(sizeName(size), func(b *testing.B) {
			benchRead(b, size, func(c *streamConn) io.Reader { return c })
		})
	}
}

func sizeName(n int) string {
	if n >= 1024 {
		return "payload=1KiB"
	}
	return "payload=16B"
}

// benchRead reads b.N QoS 1 PUBLISH packets with mochi's reading pattern:
// a 2 KiB bufio.Reader, fixed header byte by byte, then the body.
func benchRead(b *testing.B, payload int, wrap func(*streamConn) io.Reader) {
	connect, _ := (&packet.Connect{ProtocolVersion: packet.V5, ClientID: "bench", KeepAlive: 30}).Append(nil, packet.V5)
	pub, _ := (&packet.Publish{Topic: "bench/topic", QoS: 1, PacketID: 1, Payload: make([]byte, payload)}).Append(nil, packet.V5)
	r := bufio.NewReaderSize(wrap(&streamConn{head: connect, body: pub}), 2048)
	body := make([]byte, 1<<20)
	readPacket := func() {
		_, _ = r.ReadByte()
		var rem, mul int = 0, 1
		for {
			c, _ := r.ReadByte()
			rem += int(c&0x7f) * mul
			mul *= 128
			if c&0x80 == 0 {
				break
			}
		}
		if _, err := io.ReadFull(r, body[:rem]); err != nil {
			b.Fatal(err)
		}
	}
	readPacket() // CONNECT
	b.SetBytes(int64(len(pub)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		readPacket()
	}
}
