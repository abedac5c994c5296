package mqttkit_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/packet"
)

// fakeServer is a tiny fake MQTT server for what neither Mosquitto 2.0.11
// nor mochi can send (a Server Reference, a DISCONNECT for a client that
// did nothing wrong, an oversized packet): it reads CONNECT, writes the
// packets reply returns, reports on got the packets the client sends back
// within 200 ms, then closes the connection.
func fakeServer(t *testing.T, reply func(url string) []packet.Packet) (url string, got chan packet.Packet) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url = "mqtt://" + ln.Addr().String()
	got = make(chan packet.Packet, 64)
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(nc)
			_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := packet.ReadPacket(br, packet.V5, 0); err == nil {
				var out []byte
				for _, p := range reply(url) {
					out, _ = p.Append(out, packet.V5)
				}
				_, _ = nc.Write(out)
				_ = nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				for {
					p, err := packet.ReadPacket(br, packet.V5, 0)
					if err != nil {
						break
					}
					select {
					case got <- p:
					default:
					}
				}
			}
			_ = nc.Close()
		}
	}()
	return url, got
}

func connack(code packet.ReasonCode, ref string) *packet.Connack {
	return &packet.Connack{ReasonCode: code, Properties: packet.Properties{ServerReference: ref}}
}

// A CONNACK 0x9D Server Moved or 0x9C Use Another Server with a Server
// Reference makes Dial connect to the referenced server; a DISCONNECT with
// one moves a live client there; servers that only refer to each other end
// Dial with an error that says so.
func TestServerRedirect(t *testing.T) {
	srv := mqtttest.NewBroker(t)
	for _, code := range []packet.ReasonCode{packet.ServerMoved, packet.UseAnotherServer} {
		t.Run("CONNACK "+code.String(), func(t *testing.T) {
			fake, _ := fakeServer(t, func(string) []packet.Packet { return []packet.Packet{connack(code, srv.URL())} })
			var server string
			c := dialURL(t, fake, mqttkit.WithDialOnce(),
				mqttkit.OnConnect(func(_ *mqttkit.Client, ci mqttkit.ConnectInfo) { server = ci.Server }))
			if server != srv.URL() {
				t.Fatalf("connected to %q, want the referenced %q", server, srv.URL())
			}
			roundTrip(t, c, "redirect/t")
		})
	}
	t.Run("DISCONNECT while connected", func(t *testing.T) {
		fake, _ := fakeServer(t, func(string) []packet.Packet {
			return []packet.Packet{&packet.Connack{}, &packet.Disconnect{ReasonCode: packet.UseAnotherServer,
				Properties: packet.Properties{ServerReference: srv.URL()}}}
		})
		servers := make(chan string, 4)
		lost := make(chan error, 4)
		c := dialURL(t, fake,
			mqttkit.OnConnect(func(_ *mqttkit.Client, ci mqttkit.ConnectInfo) { servers <- ci.Server }),
			mqttkit.OnConnectionLost(func(_ *mqttkit.Client, err error) { lost <- err }))
		if got := <-servers; got != fake {
			t.Fatalf("first connection to %q, want the fake %q", got, fake)
		}
		if err := <-lost; !errors.Is(err, mqttkit.ErrUseAnotherServer) {
			t.Fatalf("connection lost with %v, want ErrUseAnotherServer", err)
		}
		select {
		case got := <-servers:
			if got != srv.URL() {
				t.Fatalf("reconnected to %q, want the referenced %q", got, srv.URL())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the client did not follow the DISCONNECT's Server Reference")
		}
		roundTrip(t, c, "redirect/t")
	})
	t.Run("loop", func(t *testing.T) {
		fake, _ := fakeServer(t, func(self string) []packet.Packet { return []packet.Packet{connack(packet.ServerMoved, self)} })
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := mqttkit.Dial(ctx, fake, mqttkit.WithDialOnce(), mqttkit.WithLogger(testLogger(t)))
		if err == nil || !strings.Contains(err.Error(), "more than 3 server redirects") || !errors.Is(err, mqttkit.ErrServerMoved) {
			t.Fatalf("Dial to a server that refers to itself = %v; want an error about too many redirects", err)
		}
	})
	t.Run("other scheme not followed", func(t *testing.T) {
		fake, _ := fakeServer(t, func(string) []packet.Packet {
			return []packet.Packet{connack(packet.ServerMoved, strings.Replace(srv.URL(), "mqtt://", "ws://", 1))}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := mqttkit.Dial(ctx, fake, mqttkit.WithDialOnce(), mqttkit.WithLogger(testLogger(t)))
		if !errors.Is(err, mqttkit.ErrServerMoved) {
			t.Fatalf("Dial = %v; want the 0x9D refusal itself, the ws:// reference not followed", err)
		}
	})
}
