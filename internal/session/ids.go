package session

// IDs hands out packet identifiers (1..65535) from a free list, so that an
// identifier is reused only after its exchange completed. It is not safe for
// concurrent use; the engine calls it under its own lock.
type IDs struct {
	free []uint16
	next uint32 // identifiers above next-1 were never handed out
	used int
}

// Get returns an unused identifier, or false when all 65535 are in use.
func (p *IDs) Get() (uint16, bool) {
	if n := len(p.free); n > 0 {
		id := p.free[n-1]
		p.free = p.free[:n-1]
		p.used++
		return id, true
	}
	if p.next == 0 {
		p.next = 1
	}
	if p.next > 65535 {
		return 0, false
	}
	id := uint16(p.next)
	p.next++
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
