package transport

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestWebSocketDial checks the upgrade request against a WebSocket server
// that echoes bytes: the path, the subprotocol, the extra headers, and that
// MQTT credentials in the URL are not sent as HTTP basic authentication.
func TestWebSocketDial(t *testing.T) {
	type seen struct {
		path, protocol, tenant, auth string
	}
	got := make(chan seen, 1)
	up := websocket.Upgrader{Subprotocols: []string{"mqtt"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.URL.Path, r.Header.Get("Sec-WebSocket-Protocol"), r.Header.Get("X-Tenant"), r.Header.Get("Authorization")}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := WebSocketConn(ws)
		defer c.Close()
		_, _ = io.Copy(c, c)
	}))
	defer srv.Close()
	c := dialWS(t, strings.Replace(srv.URL, "http://", "ws://user:hunter2@", 1)+"/mqtt", &Options{Header: http.Header{"X-Tenant": {"t1"}}})
	s := <-got
	if want := (seen{"/mqtt", "mqtt", "t1", ""}); s != want {
		t.Fatalf("upgrade request %+v, want %+v", s, want)
	}
	// Two writes, read back as one stream.
	for _, p := range []string{"\x10\x02", "ab"} {
		if _, err := c.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "\x10\x02ab" {
		t.Fatalf("read %q, %v; want the bytes written", buf, err)
	}
}

func TestWebSocketDialErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	u, _ := url.Parse(strings.Replace(srv.URL, "http://", "ws://", 1) + "/wrong")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, _ := ForScheme("ws", nil)
	_, err := d.Dial(ctx, u)
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") || !strings.Contains(err.Error(), "path") {
		t.Fatalf("Dial to a non-WebSocket path: %v, want an error naming the HTTP status and the path", err)
	}
}

// A write deadline set while another goroutine's write is stuck (the peer
// reads nothing) ends that write: the broker's Close relies on it to let go
// of a client that stopped reading.
func TestWebSocketWriteDeadlineEndsStuckWrite(t *testing.T) {
	up := websocket.Upgrader{Subprotocols: []string{"mqtt"}}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		<-release // reads nothing until the test ends
	}))
	defer srv.Close()
	defer close(release)
	c := dialWS(t, strings.Replace(srv.URL, "http://", "ws://", 1), &Options{})
	stuck := make(chan error, 1)
	go func() {
		chunk := make([]byte, 1<<20)
		for range 256 { // bounded: far more than the socket buffers hold
			if _, err := c.Write(chunk); err != nil {
				stuck <- err
				return
			}
		}
		stuck <- nil
	}()
	time.Sleep(200 * time.Millisecond) // let the writes fill the buffers
	if err := c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-stuck:
		if err == nil {
			t.Fatal("256 MiB written to a peer that reads nothing")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the write deadline did not end a write stuck on a peer that reads nothing")
	}
}

// dialWS dials the WebSocket URL raw with opts and closes the connection
// at the end of the test.
func dialWS(t *testing.T, raw string, opts *Options) net.Conn {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := ForScheme("ws", opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Dial(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
