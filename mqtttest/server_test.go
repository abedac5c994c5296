package mqtttest_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
)

func TestURLAndAddr(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		if !strings.HasPrefix(srv.Addr(), "127.0.0.1:") || srv.URL() != "mqtt://"+srv.Addr() {
			t.Fatalf("Addr %q URL %q: want 127.0.0.1:PORT and mqtt://127.0.0.1:PORT", srv.Addr(), srv.URL())
		}
		if srv.DirectURL() == srv.URL() {
			t.Fatalf("DirectURL %q equals URL; it should bypass the proxy", srv.DirectURL())
		}
	})
}

func TestPublishSubscribe(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		for _, addr := range []string{srv.Addr(), strings.TrimPrefix(srv.DirectURL(), "mqtt://")} {
			sub := pahotest.MustDial(t, addr, pahotest.Options{})
			sub.Subscribe(t, "a/+/c", 1)
			pub := pahotest.MustDial(t, addr, pahotest.Options{})
			pub.Publish(t, "a/b/c", 1, false, []byte("hello"))
			m := sub.Next(5 * time.Second)
			if m == nil || string(m.Payload) != "hello" || m.Topic != "a/b/c" {
				t.Fatalf("via %s: got %v, want hello on a/b/c", addr, m)
			}
		}
	})
}

func TestReceiveMaximumAnnounced(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		c := pahotest.MustDial(t, srv.Addr(), pahotest.Options{})
		rm := c.Connack.Properties.ReceiveMaximum
		if rm == nil || *rm != 10 {
			t.Fatalf("CONNACK Receive Maximum = %v, want 10", rm)
		}
	}, mqtttest.WithReceiveMaximum(10))
}

func TestUsers(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		pahotest.MustDial(t, srv.Addr(), pahotest.Options{Username: "alice", Password: "s3cret"})
		for _, tc := range []struct {
			name string
			o    pahotest.Options
		}{
			{"wrong password", pahotest.Options{Username: "alice", Password: "nope"}},
			{"unknown user", pahotest.Options{Username: "bob", Password: "s3cret"}},
			{"anonymous", pahotest.Options{}},
		} {
			c, err := pahotest.Dial(t, srv.Addr(), tc.o)
			if err == nil {
				t.Fatalf("%s: connected, want refused", tc.name)
			}
			// Mosquitto answers anonymous clients with 0x87 Not authorized.
			if c == nil || c.Connack == nil || (c.Connack.ReasonCode != 0x86 && c.Connack.ReasonCode != 0x87) {
				t.Fatalf("%s: got %v (err %v), want CONNACK 0x86 or 0x87", tc.name, c, err)
			}
		}
	}, mqtttest.WithUser("alice", "s3cret"))
}

func TestRestartKeepsState(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		o := pahotest.Options{ClientID: "keeper", KeepSession: true}
		sub := pahotest.MustDial(t, srv.Addr(), o)
		sub.Subscribe(t, "q/#", 1)
		sub.Disconnect(&paho.Disconnect{})
		<-sub.Done()

		pub := pahotest.MustDial(t, srv.Addr(), pahotest.Options{})
		pub.Publish(t, "q/1", 1, false, []byte("queued"))
		pub.Publish(t, "r/1", 1, true, []byte("retained"))

		srv.Restart()

		sub = pahotest.MustDial(t, srv.Addr(), o)
		if !sub.Connack.SessionPresent {
			t.Fatal("session not present after restart")
		}
		if m := sub.Next(5 * time.Second); m == nil || string(m.Payload) != "queued" {
			t.Fatalf("after restart got %v, want the queued message", m)
		}
		r := pahotest.MustDial(t, srv.Addr(), pahotest.Options{})
		r.Subscribe(t, "r/1", 1)
		if m := r.Next(5 * time.Second); m == nil || string(m.Payload) != "retained" {
			t.Fatalf("after restart got %v, want the retained message", m)
		}
	})
}

func TestDropClients(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		c := pahotest.MustDial(t, srv.Addr(), pahotest.Options{})
		srv.DropClients()
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("client still connected 5s after DropClients")
		}
		pahotest.MustDial(t, srv.Addr(), pahotest.Options{}) // still accepts new clients
	})
}

func TestPauseResume(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		sub := pahotest.MustDial(t, srv.Addr(), pahotest.Options{})
		sub.Subscribe(t, "p", 0)
		pub := pahotest.MustDial(t, srv.Addr(), pahotest.Options{})
		srv.Pause()
		pub.Publish(t, "p", 0, false, []byte("while paused"))
		if m := sub.Next(300 * time.Millisecond); m != nil {
			t.Fatalf("received %q while the broker was paused", m.Payload)
		}
		srv.Resume()
		if m := sub.Next(5 * time.Second); m == nil || !bytes.Equal(m.Payload, []byte("while paused")) {
			t.Fatalf("after Resume got %v, want the message published while paused", m)
		}
	})
}

func TestBrokers(t *testing.T) {
	servers := mqtttest.Brokers(t)
	if len(servers) == 0 || servers[0].Name() != "embedded" {
		t.Fatalf("Brokers returned %d servers, first %v; want the embedded one first", len(servers), servers)
	}
	for i, srv := range servers {
		c := pahotest.MustDial(t, srv.Addr(), pahotest.Options{ClientID: fmt.Sprint("c", i)})
		c.Subscribe(t, "x", 0)
	}
}

// Mosquitto's CPU time grows while it serves messages.
func TestMosquittoCPU(t *testing.T) {
	m := mqtttest.Mosquitto(t, mqtttest.WithoutPersistence())
	before, err := m.CPU()
	if err != nil {
		t.Fatal(err)
	}
	sub := pahotest.MustDial(t, m.Addr(), pahotest.Options{})
	sub.Subscribe(t, "cpu/t", 1)
	pub := pahotest.MustDial(t, m.Addr(), pahotest.Options{})
	var after time.Duration
	for i := 0; i < 100000 && after <= before; i++ {
		pub.Publish(t, "cpu/t", 1, false, []byte("x"))
		if sub.Next(5*time.Second) == nil {
			t.Fatal("message lost")
		}
		if i%500 == 499 {
			if after, err = m.CPU(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if after <= before {
		t.Fatalf("mosquitto's CPU time stayed at %v over 100000 messages", before)
	}
}

// WithDataDir puts the broker's persistent state where the test says:
// broker.db for the embedded broker, mosquitto.db for Mosquitto (written
// when it stops).
func TestWithDataDir(t *testing.T) {
	dir := t.TempDir()
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		file := map[string]string{"embedded": "broker.db", "mosquitto": "mosquitto.db"}[srv.Name()]
		sub := pahotest.MustDial(t, srv.Addr(), pahotest.Options{ClientID: "kept-" + srv.Name(), KeepSession: true})
		sub.Subscribe(t, "kept", 1)
		srv.Restart() // Mosquitto writes its state when it stops
		if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
			t.Fatalf("the broker's state is not in the data dir: %v", err)
		}
	}, mqtttest.WithDataDir(dir))
}
