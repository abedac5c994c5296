package bench

import (
	"encoding/binary"
	"errors"
	"time"
)

// HeaderSize is the smallest payload a bench message can have: the send
// time, the publisher, the sequence number and a flag byte.
const HeaderSize = 24

// flagWarmup marks a message sent during --warmup: it is accounted for loss
// but left out of latency and throughput.
const flagWarmup = 1

// header is what every bench payload starts with.
type header struct {
	sent      int64  // unix nanoseconds at the publisher
	publisher uint32 // index of the publishing client
	seq       uint64 // 0, 1, 2, … per publisher
	flags     byte
}

// put writes h into the first HeaderSize bytes of b.
func (h header) put(b []byte) {
	binary.BigEndian.PutUint64(b[0:8], uint64(h.sent))
	binary.BigEndian.PutUint32(b[8:12], h.publisher)
	binary.BigEndian.PutUint64(b[12:20], h.seq)
	b[20] = h.flags
}

var errShortPayload = errors.New("payload shorter than the bench header: a message not sent by a bench publisher")

// parseHeader reads the header of a received payload.
func parseHeader(b []byte) (header, error) {
	if len(b) < HeaderSize {
		return header{}, errShortPayload
	}
	return header{
		sent:      int64(binary.BigEndian.Uint64(b[0:8])),
		publisher: binary.BigEndian.Uint32(b[8:12]),
		seq:       binary.BigEndian.Uint64(b[12:20]),
		flags:     b[20],
	}, nil
}

// latency is the time from the header's send time to now, on the same
// host's clock.
func (h header) latency(now time.Time) time.Duration { return time.Duration(now.UnixNano() - h.sent) }

// Stamp is what a bench payload says about itself, for tools that receive
// bench messages by other means (bench/compare reading mosquitto_sub).
type Stamp struct {
	Sent      time.Time
	Publisher uint32
	Seq       uint64
	Warmup    bool // sent during the warmup: not to be measured
}

// ReadStamp reads the header of a bench payload.
func ReadStamp(payload []byte) (Stamp, error) {
	h, err := parseHeader(payload)
	if err != nil {
		return Stamp{}, err
	}
	return Stamp{Sent: time.Unix(0, h.sent), Publisher: h.publisher, Seq: h.seq, Warmup: h.flags&flagWarmup != 0}, nil
}
