package bench

import "sync"

// Ledger accounts for the messages one receiver set got: a group of
// subscribers sharing the stream, or one subscriber that must see all of it.
// Per publisher it remembers every sequence number seen (a bitset), so it
// tells loss from duplicates exactly, whatever the order of arrival.
type Ledger struct {
	mu   sync.RWMutex
	pubs []*pubLedger
}

type pubLedger struct {
	mu       sync.Mutex
	seen     []uint64 // bit seq is set once seq arrived
	distinct uint64
	dups     uint64
	top      uint64 // highest sequence number seen, plus one
}

// publisher returns the ledger of publisher p, creating it.
func (l *Ledger) publisher(p uint32) *pubLedger {
	l.mu.RLock()
	if int(p) < len(l.pubs) && l.pubs[p] != nil {
		pl := l.pubs[p]
		l.mu.RUnlock()
		return pl
	}
	l.mu.RUnlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	for int(p) >= len(l.pubs) {
		l.pubs = append(l.pubs, nil)
	}
	if l.pubs[p] == nil {
		l.pubs[p] = &pubLedger{}
	}
	return l.pubs[p]
}

// Record notes the arrival of message seq of publisher p and reports
// whether it arrived before.
func (l *Ledger) Record(p uint32, seq uint64) (dup bool) {
	pl := l.publisher(p)
	pl.mu.Lock()
	defer pl.mu.Unlock()
	w := seq / 64
	for w >= uint64(len(pl.seen)) {
		pl.seen = append(pl.seen, make([]uint64, len(pl.seen)+1)...)
	}
	bit := uint64(1) << (seq % 64)
	if pl.seen[w]&bit != 0 {
		pl.dups++
		return true
	}
	pl.seen[w] |= bit
	pl.distinct++
	pl.top = max(pl.top, seq+1)
	return false
}

// Tally is what a Ledger counted.
type Tally struct {
	Distinct   uint64 // messages that arrived at least once
	Duplicated uint64 // arrivals of a message that had arrived before
	Lost       uint64 // messages that never arrived
}

// Tally counts loss against sent, the number of messages each publisher
// sent (sent[p]); with sent nil (the publishers are elsewhere) a message is
// lost when a later one of its publisher arrived, so loss at the end of a
// stream goes unseen.
func (l *Ledger) Tally(sent []uint64) Tally {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var t Tally
	n := max(len(l.pubs), len(sent))
	for p := 0; p < n; p++ {
		var distinct, dups, top uint64
		if p < len(l.pubs) && l.pubs[p] != nil {
			pl := l.pubs[p]
			pl.mu.Lock()
			distinct, dups, top = pl.distinct, pl.dups, pl.top
			pl.mu.Unlock()
		}
		want := top
		if sent != nil {
			want = 0
			if p < len(sent) {
				want = sent[p]
			}
		}
		t.Distinct += distinct
		t.Duplicated += dups
		if want > distinct {
			t.Lost += want - distinct
		}
	}
	return t
}

// orderCheck counts, for one subscriber, messages that arrived after a
// later message of the same publisher.
type orderCheck struct {
	mu   sync.Mutex
	next []uint64 // per publisher: highest sequence seen, plus one
	ooo  uint64
}

// check notes seq of publisher p and reports whether it is out of order.
func (o *orderCheck) check(p uint32, seq uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for int(p) >= len(o.next) {
		o.next = append(o.next, 0)
	}
	if seq+1 < o.next[p] {
		o.ooo++
		return true
	}
	o.next[p] = max(o.next[p], seq+1)
	return false
}

func (o *orderCheck) count() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ooo
}
