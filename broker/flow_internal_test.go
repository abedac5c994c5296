package broker

import (
	"math/rand/v2"
	"testing"

	"github.com/mqttkit/mqttkit/packet"
)

// The send window, driven by random traffic and random acknowledgements:
// never more than max QoS 1/2 PUBLISH packets unacknowledged, PUBLISH
// packets leave in the order they were admitted, other packets are never
// held back, and once everything is acknowledged nothing is left queued.
func TestSendWindowInvariants(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 7))
		max := 1 + r.IntN(8)
		var w sendWindow
		w.limit(uint16(max))
		var nextID uint16 = 1
		var admitted []uint16 // PUBLISH ids in admission order
		var written []uint16  // PUBLISH ids in the order they left
		outstanding := map[uint16]bool{}
		check := func(out []byte) {
			for len(out) > 0 {
				n, id, kind := outgoing(out)
				if n == 0 {
					t.Fatalf("seed %d: written bytes are not whole packets", seed)
				}
				if kind == outPublish {
					written = append(written, id)
					outstanding[id] = true
				}
				out = out[n:]
			}
			if len(outstanding) > max {
				t.Fatalf("seed %d: %d PUBLISH unacknowledged, Receive Maximum %d", seed, len(outstanding), max)
			}
		}
		for range 300 {
			switch op := r.IntN(4); {
			case op <= 1: // one or two packets written by mochi at once
				var b []byte
				for range 1 + r.IntN(2) {
					if r.IntN(3) == 0 { // QoS 0: never held back
						b, _ = (&packet.Publish{Topic: "t", Payload: []byte("x")}).Append(b, packet.V5)
						continue
					}
					id := nextID
					nextID++
					admitted = append(admitted, id)
					b, _ = (&packet.Publish{Topic: "t", QoS: 1, PacketID: id}).Append(b, packet.V5)
				}
				out := w.admit(nil, b)
				qos0 := 0
				for o := b; len(o) > 0; {
					n, _, kind := outgoing(o)
					if kind == outOther {
						qos0++
					}
					o = o[n:]
				}
				for o := out; len(o) > 0; {
					n, _, kind := outgoing(o)
					if kind == outOther {
						qos0--
					}
					o = o[n:]
				}
				if qos0 != 0 {
					t.Fatalf("seed %d: a QoS 0 PUBLISH was held back", seed)
				}
				check(out)
			default: // the client acknowledges one outstanding message
				for id := range outstanding {
					delete(outstanding, id)
					check(w.release(nil, id))
					break
				}
			}
		}
		for len(outstanding) > 0 { // acknowledge everything
			for id := range outstanding {
				delete(outstanding, id)
				check(w.release(nil, id))
				break
			}
		}
		if len(w.queued) != 0 || len(written) != len(admitted) {
			t.Fatalf("seed %d: %d of %d PUBLISH written, %d still queued", seed, len(written), len(admitted), len(w.queued))
		}
		for i := range admitted {
			if written[i] != admitted[i] {
				t.Fatalf("seed %d: PUBLISH %d left in place %d", seed, written[i], i)
			}
		}
	}
}
