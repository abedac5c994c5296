package broker_test

import (
	"bufio"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/packet"
)

func quietConfig() broker.Config {
	return broker.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)}
}

func TestCloseIsIdempotent(t *testing.T) {
	s, err := broker.New(quietConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatalf("Close after Close: %v", err)
	}
	if err := s.Start(); !errors.Is(err, broker.ErrClosed) {
		t.Fatalf("Start after Close: %v, want ErrClosed", err)
	}
}

func TestCloseBeforeStart(t *testing.T) {
	s, err := broker.New(quietConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); !errors.Is(err, broker.ErrClosed) {
		t.Fatalf("Start after Close: %v, want ErrClosed", err)
	}
}

// TestCloseRacingConnections closes brokers while clients keep connecting,
// for the race detector (mochi issue 541: its client WaitGroup's Add raced
// Wait) and to show Close returns and leaves no goroutine behind.
func TestCloseRacingConnections(t *testing.T) {
	var acked atomic.Int64
	for round := range 20 {
		s, err := broker.New(quietConfig())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		addr := s.Addr()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for i := 0; i < 200; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if connectOnce(addr) {
						acked.Add(1)
					}
				}
			})
		}
		time.Sleep(time.Duration(round%5) * time.Millisecond)
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Fatalf("round %d: Close: %v", round, err)
			}
		case <-time.After(10 * time.Second):
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("round %d: Close did not return within 10s\n%s", round, buf[:n])
		}
		close(stop)
		wg.Wait()
	}
	if acked.Load() == 0 {
		t.Fatal("no connection got a CONNACK: the race this test is for never happened")
	}
	t.Logf("%d connections answered while brokers were closing", acked.Load())
}

// connectOnce connects, sends CONNECT and reports whether a CONNACK came;
// errors are expected, the broker may be closing.
func connectOnce(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write(connectBytes(packet.V5, "")); err != nil {
		return false
	}
	p, _ := packet.ReadPacket(bufio.NewReader(conn), packet.V5, 0)
	_, ok := p.(*packet.Connack)
	return ok
}

// TestCloseWithSilentConnection: a connection that never sends CONNECT must
// not hold Close up (plain mochi waits for it forever: no read deadline
// before CONNECT, and it is not yet a client it can disconnect).
func TestCloseWithSilentConnection(t *testing.T) {
	s, err := broker.New(quietConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(50 * time.Millisecond) // let the broker accept it
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited more than 5s for a connection that never sent CONNECT")
	}
}

func TestConnectTimeout(t *testing.T) {
	cfg := quietConfig()
	cfg.Limits.ConnectTimeout = 100 * time.Millisecond
	s, err := broker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("read data from a connection that never sent CONNECT")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the broker kept a connection without CONNECT open past Limits.ConnectTimeout")
	}
}

func TestPortZeroReportsAddress(t *testing.T) {
	s, err := broker.New(quietConfig())
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr() != "" {
		t.Fatalf("Addr before Start = %q, want empty", s.Addr())
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr = %q, want 127.0.0.1 and the chosen port", s.Addr())
	}
	// The address is taken: a second broker on it says what to do.
	cfg := quietConfig()
	cfg.Addr = s.Addr()
	s2, err := broker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Start(); err == nil {
		t.Fatal("a second broker started on a taken address")
	}
}
