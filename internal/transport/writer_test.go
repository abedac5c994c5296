package transport

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/packet"
)

// countingConn counts Write calls, i.e. syscalls on a real socket.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// Packets queued while the writer is busy leave in one write.
func TestWriterCoalesces(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	cc := &countingConn{Conn: a}
	w := NewWriter(cc, time.Second)
	for range 100 {
		if err := w.Append(&packet.Pingreq{}, packet.V5, 0); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error)
	go func() { done <- w.Run() }()
	buf := make([]byte, 200)
	if _, err := io.ReadFull(b, buf); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := cc.writes.Load(); n != 1 {
		t.Fatalf("%d writes for 100 queued packets, want 1", n)
	}
}

// A packet over the peer's Maximum Packet Size is refused and not queued.
func TestWriterMaxPacketSize(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	w := NewWriter(a, time.Second)
	err := w.Append(&packet.Publish{Topic: "t", Payload: make([]byte, 100)}, packet.V5, 50)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Max != 50 {
		t.Fatalf("err = %v, want *TooLargeError with Max 50", err)
	}
	w.Close()
	if err := w.Run(); err != nil {
		t.Fatalf("Run after Close: %v (nothing should have been written)", err)
	}
	if err := w.Append(&packet.Pingreq{}, packet.V5, 0); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("Append after Close: %v, want ErrWriterClosed", err)
	}
}

// After a failed write, Append reports ErrWriterClosed so that the caller
// sends the packet again on the next connection.
func TestWriterFailedWriteIsClosed(t *testing.T) {
	a, b := net.Pipe()
	b.Close()
	w := NewWriter(a, time.Second)
	if err := w.Append(&packet.Pingreq{}, packet.V5, 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Run(); err == nil {
		t.Fatal("Run: want the write error")
	}
	if err := w.Append(&packet.Pingreq{}, packet.V5, 0); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("Append after a failed write: %v, want ErrWriterClosed", err)
	}
}
