package broker_test

import (
	"bufio"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
	"github.com/mqttkit/mqttkit/packet"
)

func TestDroppedMessagesAreCountedAndLogged(t *testing.T) {
	t.Run("session queue full", func(t *testing.T) {
		var logs mqtttest.LogBuffer
		b, addr := start(t, func(c *broker.Config) {
			c.Limits.MaxQueuedMessages = 5
			c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		})
		sub := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "slow", KeepSession: true})
		sub.Subscribe(t, "q", 1)
		sub.Disconnect(&paho.Disconnect{})
		<-sub.Done()
		waitFor(t, "the subscriber gone", func() bool { return b.Server().Stats().ClientsConnected == 0 })

		pub := pahotest.MustDial(t, addr, pahotest.Options{})
		for range 20 {
			pub.Publish(t, "q", 1, false, []byte("x"))
		}
		// mochi acknowledges a publish before it fans it out, so the last
		// drops may trail the last PUBACK a little.
		const line = "message dropped: the session's queue is full"
		waitFor(t, "15 drops counted and logged", func() bool {
			return b.Server().Stats().MessagesDropped >= 15 && strings.Count(logs.String(), line) >= 15
		})
		if got := b.Server().Stats().MessagesDropped; got != 15 {
			t.Fatalf("Stats.MessagesDropped = %d, want 15 (20 published, queue of 5)", got)
		}
		if n := strings.Count(logs.String(), line); n != 15 {
			t.Fatalf("%d log lines about the full queue, want 15:\n%s", n, logs.String())
		}
		sub = pahotest.MustDial(t, addr, pahotest.Options{ClientID: "slow", KeepSession: true})
		for i := range 5 {
			if m := sub.Next(5 * time.Second); m == nil {
				t.Fatalf("got %d of the 5 queued messages", i)
			}
		}
	})

	t.Run("pending writes full", func(t *testing.T) {
		var logs mqtttest.LogBuffer
		b, addr := start(t, func(c *broker.Config) {
			c.Limits.MaxPendingWrites = 1
			c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		})
		stuck := stuckSubscriber(t, addr, "flood")
		defer stuck.Close()
		pub := pahotest.MustDial(t, addr, pahotest.Options{})
		payload := make([]byte, 16<<10)
		// Bounded: the socket buffers of a reader that never reads fill
		// within a few tens of megabytes.
		for i := 0; i < 4000 && b.Server().Stats().MessagesDropped == 0; i++ {
			pub.Publish(t, "flood", 0, false, payload)
		}
		waitFor(t, "a dropped message", func() bool { return b.Server().Stats().MessagesDropped > 0 })
		// mochi counts the drop before it calls the hook that logs it.
		waitFor(t, "a log line about the dropped message", func() bool {
			return strings.Contains(logs.String(), "pending-write queue is full")
		})
	})
}

// stuckSubscriber connects a client that subscribes to topic and then never
// reads, so the broker's writes to it back up.
func stuckSubscriber(t *testing.T, addr, topic string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	sub, _ := (&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: topic}}}).Append(nil, packet.V5)
	if _, err := conn.Write(append(connectBytes(packet.V5, "stuck"), sub...)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	for range 2 { // CONNACK, SUBACK
		if _, err := packet.ReadPacket(r, packet.V5, 0); err != nil {
			t.Fatal(err)
		}
	}
	return conn
}
