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

// A second copy of a PUBLISH waiting for a slot (a resumed session's
// resend of a message also queued as a first send) is not queued again:
// it would leave after the first copy's exchange was over, and the client
// would take it for a new message.
func TestSendWindowDropsSecondQueuedCopy(t *testing.T) {
	var w sendWindow
	w.limit(1)
	enc := func(id uint16, dup bool) []byte {
		b, _ := (&packet.Publish{Topic: "t", QoS: 2, PacketID: id, Dup: dup, Payload: []byte("m")}).Append(nil, packet.V5)
		return b
	}
	publishes := func(out []byte) (ids []uint16) {
		for len(out) > 0 {
			n, id, kind := outgoing(out)
			if kind == outPublish {
				ids = append(ids, id)
			}
			out = out[n:]
		}
		return ids
	}
	if got := publishes(w.admit(nil, enc(1, false))); len(got) != 1 {
		t.Fatalf("first PUBLISH: wrote %v, want [1]", got)
	}
	if got := publishes(w.admit(nil, append(enc(2, true), enc(2, false)...))); len(got) != 0 {
		t.Fatalf("window full: wrote %v, want nothing", got)
	}
	if got := publishes(w.release(nil, 1)); len(got) != 1 || got[0] != 2 {
		t.Fatalf("after PUBACK 1: wrote %v, want [2] once", got)
	}
	if got := publishes(w.release(nil, 2)); len(got) != 0 {
		t.Fatalf("after the exchange of 2 ended: wrote %v, want nothing", got)
	}
	if got := publishes(w.admit(nil, enc(2, false))); len(got) != 1 {
		t.Fatalf("a later message under id 2: wrote %v, want it sent", got)
	}
}
