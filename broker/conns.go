package broker

import (
	"net"
	"sync"
	"time"
)

// connTracker knows every open client connection of a server, so that Close
// can end connections mochi does not know yet (no CONNECT read) and wait for
// every goroutine serving one. Adding after close is refused, which keeps
// mochi's own WaitGroup from racing its Wait (mochi issue 541).
type connTracker struct {
	mu     sync.Mutex
	closed map[string]bool                 // listeners that stopped taking connections
	open   map[string]map[*serverConn]bool // listener id -> open connections
	wg     map[string]*sync.WaitGroup      // listener id -> serving goroutines
}

func newConnTracker() *connTracker {
	return &connTracker{
		closed: map[string]bool{},
		open:   map[string]map[*serverConn]bool{},
		wg:     map[string]*sync.WaitGroup{},
	}
}

// add registers conn on listenerID; false means the listener is closing and
// the caller must close conn itself.
func (t *connTracker) add(listenerID string, conn net.Conn) (*serverConn, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed[listenerID] {
		return nil, false
	}
	if t.open[listenerID] == nil {
		t.open[listenerID] = map[*serverConn]bool{}
		t.wg[listenerID] = new(sync.WaitGroup)
	}
	c := &serverConn{Conn: conn, listener: listenerID}
	t.open[listenerID][c] = true
	t.wg[listenerID].Add(1)
	return c, true
}

// done unregisters c once its serving goroutine has finished with it.
func (t *connTracker) done(c *serverConn) {
	c.closeAndWait()
	t.mu.Lock()
	delete(t.open[c.listener], c)
	wg := t.wg[c.listener]
	t.mu.Unlock()
	wg.Done()
}

// closeListener refuses new connections on listenerID, closes the open ones
// and waits until every goroutine serving one has returned.
func (t *connTracker) closeListener(listenerID string) {
	t.mu.Lock()
	t.closed[listenerID] = true
	for c := range t.open[listenerID] {
		_ = c.Conn.Close()
	}
	wg := t.wg[listenerID]
	t.mu.Unlock()
	if wg != nil {
		wg.Wait()
	}
}

// setWriteDeadline sets the write deadline of listenerID's connections.
func (t *connTracker) setWriteDeadline(listenerID string, d time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.open[listenerID] {
		_ = c.Conn.SetWriteDeadline(d)
	}
}
