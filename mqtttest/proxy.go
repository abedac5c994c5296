package mqtttest

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// maxProxyConns bounds the connections one Proxy serves at once (two
// goroutines each); more are refused.
const maxProxyConns = 1024

// Proxy is a TCP proxy on a free loopback port that forwards to a target
// address and injects network faults: dropped connections (DropAll), a
// silent network (Blackhole), a refusing server (Refuse) and a stalled one
// (Pause). Everything it starts stops at the end of the test.
type Proxy struct {
	t         testing.TB
	target    string
	ln        net.Listener
	done      chan struct{}
	accepting sync.WaitGroup // the accept loop
	wg        sync.WaitGroup // the pipes

	mu        sync.Mutex
	pairs     map[*proxyPair]bool
	blackhole bool
	refuse    bool
	resume    chan struct{} // non-nil while paused; closed by Resume
}

// proxyPair is one proxied connection: the client side and the target side.
type proxyPair struct {
	client, server net.Conn
	once           sync.Once
	done           chan struct{}
}

func (p *proxyPair) close() {
	p.once.Do(func() {
		close(p.done)
		_ = p.client.Close()
		_ = p.server.Close()
	})
}

// NewProxy starts a proxy to targetAddr (host:port) and stops it when the
// test ends.
func NewProxy(t testing.TB, targetAddr string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mqtttest: proxy cannot listen on loopback: %v", err)
	}
	p := &Proxy{
		t:      t,
		target: targetAddr,
		ln:     ln,
		done:   make(chan struct{}),
		pairs:  map[*proxyPair]bool{},
	}
	p.accepting.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's address, "127.0.0.1:PORT".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is the proxy's address as an MQTT URL, "mqtt://127.0.0.1:PORT".
func (p *Proxy) URL() string { return "mqtt://" + p.Addr() }

// DropAll closes every proxied connection now, on both sides, as a network
// failure or a broker dropping its clients would. New connections are
// still accepted.
func (p *Proxy) DropAll() {
	p.mu.Lock()
	pairs := make([]*proxyPair, 0, len(p.pairs))
	for pp := range p.pairs {
		pairs = append(pairs, pp)
	}
	p.mu.Unlock()
	for _, pp := range pairs {
		pp.close()
	}
}

// Blackhole, while on, keeps connections open but silently discards every
// byte in both directions: a half-open network that only keepalive
// timeouts can detect. A chunk the proxy was already forwarding when
// Blackhole(true) is called may still arrive (one read's worth per
// direction and connection), as on a real network that fails mid-flight;
// tests should not count on the exact packet where the silence begins.
func (p *Proxy) Blackhole(on bool) {
	p.mu.Lock()
	p.blackhole = on
	p.mu.Unlock()
}

// Refuse, while on, closes new connections as soon as they are accepted.
// Existing connections are left alone; combine with DropAll to cut
// everything.
func (p *Proxy) Refuse(on bool) {
	p.mu.Lock()
	p.refuse = on
	p.mu.Unlock()
}

// Pause stops forwarding in both directions, leaving bytes in the kernel's
// buffers, as a stopped broker process would; Resume continues where it
// stopped. New connections are accepted but stall too.
func (p *Proxy) Pause() {
	p.mu.Lock()
	if p.resume == nil {
		p.resume = make(chan struct{})
	}
	p.mu.Unlock()
}

// Resume undoes Pause.
func (p *Proxy) Resume() {
	p.mu.Lock()
	if p.resume != nil {
		close(p.resume)
		p.resume = nil
	}
	p.mu.Unlock()
}

func (p *Proxy) accept() {
	defer p.accepting.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.t.Logf("mqtttest: proxy stopped accepting: %v", err)
			}
			return
		}
		p.mu.Lock()
		refuse := p.refuse || len(p.pairs) >= maxProxyConns
		p.mu.Unlock()
		if refuse {
			_ = c.Close()
			continue
		}
		s, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			_ = c.Close() // target down (e.g. restarting): the client sees a closed connection
			continue
		}
		pp := &proxyPair{client: c, server: s, done: make(chan struct{})}
		p.mu.Lock()
		p.pairs[pp] = true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(pp, s, c)
		go p.pipe(pp, c, s)
	}
}

// pipe copies src to dst until either side fails or the pair is closed,
// honouring Pause and Blackhole.
func (p *Proxy) pipe(pp *proxyPair, dst, src net.Conn) {
	defer p.wg.Done()
	defer func() {
		pp.close()
		p.mu.Lock()
		delete(p.pairs, pp)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		if !p.waitRunning(pp) {
			return
		}
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitRunning(pp) {
				return
			}
			p.mu.Lock()
			discard := p.blackhole
			p.mu.Unlock()
			if !discard {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// waitRunning blocks while the proxy is paused; false means stop.
func (p *Proxy) waitRunning(pp *proxyPair) bool {
	p.mu.Lock()
	resume := p.resume
	p.mu.Unlock()
	if resume == nil {
		return true
	}
	select {
	case <-resume:
		return true
	case <-pp.done:
		return false
	case <-p.done:
		return false
	}
}

// close stops accepting, closes every connection and waits for every
// goroutine of the proxy.
func (p *Proxy) close() {
	close(p.done)
	_ = p.ln.Close()
	p.accepting.Wait()
	p.DropAll()
	p.wg.Wait()
}
