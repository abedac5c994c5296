package broker_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
)

// TestPersistenceAcrossRestart checks that sessions, subscriptions,
// retained messages and queued QoS 1 and 2 messages survive a restart on
// the same data directory, with real fsyncs.
func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	open := func() *broker.Server {
		s, err := broker.New(broker.Config{Addr: "127.0.0.1:0", DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	o := pahotest.Options{ClientID: "durable", KeepSession: true}
	sub := pahotest.MustDial(t, s.Addr(), o)
	sub.Subscribe(t, "q1/#", 1)
	sub.Subscribe(t, "q2/#", 2)
	sub.Disconnect(&paho.Disconnect{})
	<-sub.Done()
	pub := pahotest.MustDial(t, s.Addr(), pahotest.Options{})
	pub.Publish(t, "q1/a", 1, false, []byte("one"))
	pub.Publish(t, "q2/a", 2, false, []byte("two"))
	pub.Publish(t, "status", 1, true, []byte("retained"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open()
	defer s.Close()
	if st := s.Stats(); st.Sessions != 1 || st.Subscriptions != 2 || st.Retained != 1 {
		t.Fatalf("after restart Stats = %+v, want 1 session, 2 subscriptions, 1 retained", st)
	}
	sub = pahotest.MustDial(t, s.Addr(), o)
	if !sub.Connack.SessionPresent {
		t.Fatal("CONNACK after restart: session not present")
	}
	got := map[string]string{}
	for range 2 {
		m := sub.Next(5 * time.Second)
		if m == nil {
			t.Fatalf("after restart got only %v of the 2 queued messages", got)
		}
		got[m.Topic] = string(m.Payload)
		if m.QoS == 0 {
			t.Fatalf("queued message %s arrived at QoS 0", m.Topic)
		}
	}
	if got["q1/a"] != "one" || got["q2/a"] != "two" {
		t.Fatalf("queued messages after restart: %v", got)
	}
	// The subscriptions themselves survived, not only the queue.
	pub = pahotest.MustDial(t, s.Addr(), pahotest.Options{})
	pub.Publish(t, "q1/b", 1, false, []byte("after"))
	if m := sub.Next(5 * time.Second); m == nil || string(m.Payload) != "after" {
		t.Fatalf("new message on a restored subscription: got %v", m)
	}
	r := pahotest.MustDial(t, s.Addr(), pahotest.Options{})
	r.Subscribe(t, "status", 1)
	if m := r.Next(5 * time.Second); m == nil || string(m.Payload) != "retained" {
		t.Fatalf("retained message after restart: got %v", m)
	}
}

func TestDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	cfg := broker.Config{Addr: "127.0.0.1:0", DataDir: dir, Logger: slog.New(slog.DiscardHandler)}
	s, err := broker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := broker.New(cfg); err == nil {
		t.Fatal("a second broker opened a data directory in use")
	}
}
