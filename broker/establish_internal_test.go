package broker

import (
	"testing"
	"time"
)

// One connection per client id takes the session over at a time: a second
// connection of the same client waits until the first releases (its
// CONNACK, or its end), another client's does not wait, and a release by a
// connection that does not hold the lock changes nothing.
func TestEstablishLocksOnePerClient(t *testing.T) {
	var l establishLocks
	a, b, other, stranger := &serverConn{}, &serverConn{}, &serverConn{}, &serverConn{}
	if !l.acquire("c", a) {
		t.Fatal("first acquire gave up")
	}
	if !l.acquire("d", other) {
		t.Fatal("another client id waited for this one's lock")
	}
	got := make(chan bool, 1)
	go func() { got <- l.acquire("c", b) }()
	select {
	case <-got:
		t.Fatal("a second connection of the client took the session over while the first was doing so")
	case <-time.After(50 * time.Millisecond):
	}
	l.release(stranger) // holds nothing
	l.release(b)        // waiting, holds nothing yet
	select {
	case <-got:
		t.Fatal("a release by a connection that does not hold the lock let the waiter in")
	case <-time.After(50 * time.Millisecond):
	}
	l.release(a)
	select {
	case ok := <-got:
		if !ok {
			t.Fatal("the waiter gave up instead of taking the lock")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter did not get the lock after the holder released it")
	}
	l.release(a) // released twice: no effect on b's hold
	l.mu.Lock()
	holder := l.holders["c"]
	l.mu.Unlock()
	if holder == nil || holder.conn != b {
		t.Fatalf("after a's second release the holder of c is %v, want b", holder)
	}
	l.release(b)
	l.release(other)
	if len(l.holders) != 0 {
		t.Fatalf("%d client ids still locked after every release", len(l.holders))
	}
}
