package session

import (
	"fmt"
	"slices"
	"testing"
)

// Acknowledgements leave in arrival order whatever order the handlers finish
// in (MQTT-4.6.0-2).
func TestAckQueueArrivalOrder(t *testing.T) {
	for _, tc := range []struct {
		name   string
		finish []int // indexes of Push order, in the order Done is called
	}{
		{"in order", []int{0, 1, 2, 3}},
		{"reversed", []int{3, 2, 1, 0}},
		{"first last", []int{1, 2, 3, 0}},
		{"interleaved", []int{2, 0, 3, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sent []string
			q := NewAckQueue(4, func(id uint16, qos, reason byte) { sent = append(sent, fmt.Sprintf("%d/q%d", id, qos)) })
			seqs := make([]uint64, 4)
			for i := range seqs {
				var ok bool
				if seqs[i], ok = q.Push(uint16(10+i), byte(1+i%2)); !ok {
					t.Fatalf("Push %d refused", i)
				}
			}
			if _, ok := q.Push(99, 1); ok {
				t.Fatal("Push beyond the capacity (the Receive Maximum) accepted")
			}
			for _, i := range tc.finish {
				q.Done(seqs[i], 0)
			}
			want := []string{"10/q1", "11/q2", "12/q1", "13/q2"}
			if !slices.Equal(sent, want) {
				t.Fatalf("sent %v, want %v", sent, want)
			}
			if q.Len() != 0 {
				t.Fatalf("Len = %d after all done", q.Len())
			}
		})
	}
}

func TestAckQueueClosedSendsNothing(t *testing.T) {
	n := 0
	q := NewAckQueue(2, func(uint16, byte, byte) { n++ })
	seq, _ := q.Push(1, 1)
	q.Close()
	q.Done(seq, 0)
	if _, ok := q.Push(2, 1); ok || n != 0 {
		t.Fatalf("closed queue: Push ok=%v, %d acks sent; want nothing", ok, n)
	}
}

func TestAckQueueWrapsAround(t *testing.T) {
	var sent []uint16
	q := NewAckQueue(3, func(id uint16, _, _ byte) { sent = append(sent, id) })
	for i := range 10 {
		a, _ := q.Push(uint16(2*i+1), 1)
		b, _ := q.Push(uint16(2*i+2), 1)
		q.Done(b, 0)
		q.Done(a, 0)
	}
	if len(sent) != 20 || !slices.IsSorted(sent) {
		t.Fatalf("sent %v, want 1..20 in order", sent)
	}
}

func TestIDsReuseOldestLast(t *testing.T) {
	var p IDs
	a, _ := p.Get()
	b, _ := p.Get()
	p.Put(a)
	c, _ := p.Get()
	if c == a || c == b {
		t.Fatalf("got %d right after freeing %d: identifiers must not be reused while unused ones remain", c, a)
	}
	for range 65535 - 3 {
		if _, ok := p.Get(); !ok {
			t.Fatal("ran out of identifiers early")
		}
	}
	if id, ok := p.Get(); !ok || id != a {
		t.Fatalf("Get = %d, %v; want the freed %d once the others are used", id, ok, a)
	}
	if _, ok := p.Get(); ok {
		t.Fatal("Get succeeded with all 65535 in use")
	}
	if p.InUse() != 65535 {
		t.Fatalf("InUse = %d", p.InUse())
	}
}
