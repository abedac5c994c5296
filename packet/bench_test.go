package packet

import (
	"bytes"
	"testing"

	"github.com/eclipse/paho.golang/packets"
)

// benchPublish is a 64-byte PUBLISH at QoS 1: both codecs encode and decode
// the same packet in the round-trip benchmarks.
var benchPublish = &Publish{Topic: "sensors/1/temp", QoS: QoS1, PacketID: 7,
	Payload: bytes.Repeat([]byte("x"), 64-2-len("sensors/1/temp")-2-1-2)}

func BenchmarkPublishRoundTrip(b *testing.B) {
	if n, _ := benchPublish.Append(nil, V5); len(n) != 64 {
		b.Fatalf("benchmark PUBLISH is %d bytes, want 64", len(n))
	}
	// mqttkit as the client engine uses it: encode into a reused buffer,
	// decode into a reused struct.
	b.Run("mqttkit", func(b *testing.B) {
		buf := make([]byte, 0, 128)
		var q Publish
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = benchPublish.Append(buf[:0], V5)
			h, err := parseFixedHeader(buf, 0)
			if err != nil {
				b.Fatal(err)
			}
			if err := q.Decode(h.Flags, buf[h.Len:], V5); err != nil {
				b.Fatal(err)
			}
		}
	})
	// mqttkit through DecodePacket, which returns a fresh packet each time.
	b.Run("mqttkit-fresh", func(b *testing.B) {
		buf := make([]byte, 0, 128)
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = benchPublish.Append(buf[:0], V5)
			if _, _, err := DecodePacket(buf, V5, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("paho", func(b *testing.B) {
		p := toPaho(benchPublish)
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if _, err := p.WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
			if _, err := packets.ReadPacket(&buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchConnect is a CONNECT with the properties a consumer sends.
var benchConnect = &Connect{ClientID: "billing-1", CleanStart: false, KeepAlive: 30,
	Username: "admin", Password: []byte("s3cret-password"),
	Properties: Properties{SessionExpiryInterval: 3600, ReceiveMaximum: 1000, MaximumPacketSize: 1 << 20,
		TopicAliasMaximum: 10, RequestProblemInformation: 1,
		UserProperties: []UserProperty{{"app", "billing"}, {"version", "1.4.2"}}}}

func BenchmarkConnectRoundTrip(b *testing.B) {
	b.Run("mqttkit", func(b *testing.B) {
		buf := make([]byte, 0, 256)
		var q Connect
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = benchConnect.Append(buf[:0], V5)
			h, err := parseFixedHeader(buf, 0)
			if err != nil {
				b.Fatal(err)
			}
			if err := q.Decode(h.Flags, buf[h.Len:], V5); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mqttkit-fresh", func(b *testing.B) {
		buf := make([]byte, 0, 256)
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = benchConnect.Append(buf[:0], V5)
			if _, _, err := DecodePacket(buf, V5, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("paho", func(b *testing.B) {
		p := toPaho(benchConnect)
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if _, err := p.WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
			if _, err := packets.ReadPacket(&buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPublishEncode shows the hot path's encoders allocate nothing.
func BenchmarkPublishEncode(b *testing.B) {
	b.Run("publish", func(b *testing.B) {
		buf := make([]byte, 0, 128)
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = benchPublish.Append(buf[:0], V5)
		}
	})
	b.Run("puback", func(b *testing.B) {
		buf := make([]byte, 0, 16)
		ack := &Puback{PacketID: 7}
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = ack.Append(buf[:0], V5)
		}
	})
}
