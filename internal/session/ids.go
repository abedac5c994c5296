package session

// IDs hands out packet identifiers (1..65535). Every identifier is used once
// before any is reused, and freed ones are reused oldest first: an
// identifier comes back as late as possible, so that a late or duplicated
// acknowledgement from the server (some brokers resend stored PUBACKs on
// reconnect) cannot complete a newer message that took its identifier. It is
// not safe for concurrent use; the engine calls it under its own lock.
type IDs struct {
	next uint32   // identifiers from next to 65535 were never handed out
	free []uint16 // freed identifiers, oldest first, from head on
	head int
	used int
}

// Get returns an unused identifier, or false when all 65535 are in use.
func (p *IDs) Get() (uint16, bool) {
	if p.next == 0 {
		p.next = 1
	}
	if p.next <= 65535 {
		id := uint16(p.next)
		p.next++
		p.used++
		return id, true
	}
	if p.head == len(p.free) {
		return 0, false
	}
	id := p.free[p.head]
	p.head++
	if p.head == len(p.free) {
		p.free, p.head = p.free[:0], 0
	} else if p.head > 4096 && p.head*2 > len(p.free) {
		n := copy(p.free, p.free[p.head:])
		p.free, p.head = p.free[:n], 0
	}
	p.used++
	return id, true
}

// Put returns id to the free list. Putting an identifier that is not in use
// is a bug of the caller and corrupts the list.
func (p *IDs) Put(id uint16) {
	p.free = append(p.free, id)
	p.used--
}

// InUse reports how many identifiers are handed out.
func (p *IDs) InUse() int { return p.used }

// Take marks id as in use, for a resumed session whose messages keep the
// identifiers they were sent with. It reports false when id is 0 or in use
// already. Identifiers it skips over are freed, to be handed out after the
// fresh ones.
func (p *IDs) Take(id uint16) bool {
	if p.next == 0 {
		p.next = 1
	}
	if id == 0 {
		return false
	}
	if uint32(id) >= p.next {
		for skipped := p.next; skipped < uint32(id); skipped++ {
			p.free = append(p.free, uint16(skipped))
		}
		p.next = uint32(id) + 1
		p.used++
		return true
	}
	for i := p.head; i < len(p.free); i++ {
		if p.free[i] == id {
			p.free = append(p.free[:i], p.free[i+1:]...)
			p.used++
			return true
		}
	}
	return false
}
