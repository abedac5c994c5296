package broker

// sendWindow enforces an MQTT v5 client's Receive Maximum (§4.9) on the
// packets the broker writes to it: at most max QoS 1/2 PUBLISH exchanges
// are unacknowledged at a time, and a PUBLISH beyond that waits in order
// until the client completes one (PUBACK, PUBCOMP, or PUBREC with an error
// reason code).
//
// mochi v2.7.9 has its own send quota, but parks a PUBLISH that exceeds it
// for Inflight.NextImmediate, which read-locks the in-flight map twice and
// deadlocks against a concurrent Inflight.Set; and it deletes a parked
// message from its in-flight map as soon as it is written, before the
// client acknowledged it. The broker therefore sets mochi's quota to 0
// ("no limit", see hook.disableSendQuota) and does flow control here, on
// the byte stream, where it costs one header parse per packet and never
// blocks mochi's writers: a PUBLISH beyond the window is copied into the
// queue and reported written. mochi still holds every such message in its
// in-flight map, so a connection lost with a queue is resent from there on
// the next connection like any unacknowledged message.
//
// The zero value enforces nothing (MQTT 3.1.1 has no Receive Maximum, and
// a v5 client that sends none allows 65535, which packet ids cannot
// exceed). The serverConn's write lock guards it.
type sendWindow struct {
	max      int                 // client's Receive Maximum; 0: no limit
	inflight map[uint16]struct{} // ids of unacknowledged QoS 1/2 exchanges
	queued   [][]byte            // whole PUBLISH packets waiting for a slot
	waiting  map[uint16]struct{} // ids of the queued packets
}

// limit starts enforcing the Receive Maximum rm from a CONNECT (0: absent).
func (w *sendWindow) limit(rm uint16) {
	if rm == 0 || rm == 0xFFFF {
		return
	}
	w.max = int(rm)
	w.inflight = make(map[uint16]struct{}, min(int(rm), 64))
	w.waiting = make(map[uint16]struct{})
}

// admit splits b, one or more whole packets, into the bytes to write now
// (appended to out) and the PUBLISH packets that must wait, which it
// copies into the queue.
func (w *sendWindow) admit(out, b []byte) []byte {
	for len(b) > 0 {
		n, id, kind := outgoing(b)
		if n == 0 {
			// Not a whole packet: mochi's encoder does not produce one,
			// and flow control is no reason to change what is written.
			return append(out, b...)
		}
		pk := b[:n]
		b = b[n:]
		switch kind {
		case outPublish:
			if _, ok := w.waiting[id]; ok {
				// A second copy of a queued message (mochi resends a
				// resumed session's messages, and sends those routed to the
				// connection meanwhile too): queued, it would leave once
				// the first copy's exchange was over, and be a new message
				// to the client.
				continue
			}
			if _, ok := w.inflight[id]; !ok && (len(w.queued) > 0 || len(w.inflight) >= w.max) {
				w.queued = append(w.queued, append([]byte(nil), pk...))
				w.waiting[id] = struct{}{}
				continue
			}
			w.inflight[id] = struct{}{}
		case outPubrel:
			// A QoS 2 exchange resumed after PUBREC still counts until
			// its PUBCOMP; it is never held back.
			w.inflight[id] = struct{}{}
		}
		out = append(out, pk...)
	}
	return out
}

// release ends exchange id, acknowledged by the client, and appends the
// queued packets that now fit the window to out.
func (w *sendWindow) release(out []byte, id uint16) []byte {
	if _, ok := w.inflight[id]; !ok {
		return out
	}
	delete(w.inflight, id)
	for len(w.queued) > 0 && len(w.inflight) < w.max {
		pk := w.queued[0]
		w.queued[0] = nil
		w.queued = w.queued[1:]
		_, qid, _ := outgoing(pk)
		delete(w.waiting, qid)
		w.inflight[qid] = struct{}{}
		out = append(out, pk...)
	}
	if len(w.queued) == 0 {
		w.queued = nil // let the drained backing array go
	}
	return out
}

// Kinds of outgoing packet the connection wrapper cares about.
const (
	outOther   = iota
	outPublish // a QoS 1/2 PUBLISH
	outPubrel
	outAck // PUBACK or PUBREC: the answer to a client's PUBLISH
)

// outgoing parses the packet at the start of b: its length (0 when b does
// not start with a whole packet), and for a QoS 1/2 PUBLISH, a PUBREL, a
// PUBACK or a PUBREC its packet id.
func outgoing(b []byte) (n int, id uint16, kind int) {
	if len(b) < 2 {
		return 0, 0, outOther
	}
	rem, shift, i := 0, 0, 1
	for ; ; i++ {
		if i >= len(b) || i > 4 {
			return 0, 0, outOther
		}
		rem |= int(b[i]&0x7F) << shift
		shift += 7
		if b[i]&0x80 == 0 {
			break
		}
	}
	body := i + 1
	n = body + rem
	if n > len(b) {
		return 0, 0, outOther
	}
	switch typ, qos := b[0]>>4, b[0]>>1&3; {
	case typ == 3 && qos > 0: // PUBLISH: topic, then the packet id
		if rem < 2 {
			return n, 0, outOther
		}
		at := body + 2 + (int(b[body])<<8 | int(b[body+1]))
		if at+2 > n {
			return n, 0, outOther
		}
		return n, uint16(b[at])<<8 | uint16(b[at+1]), outPublish
	case typ == 6 && rem >= 2: // PUBREL
		return n, uint16(b[body])<<8 | uint16(b[body+1]), outPubrel
	case (typ == 4 || typ == 5) && rem >= 2: // PUBACK, PUBREC
		return n, uint16(b[body])<<8 | uint16(b[body+1]), outAck
	}
	return n, 0, outOther
}
