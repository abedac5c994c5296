package mqttkit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/packet"
)

// A server DISCONNECT reaches OnConnectionLost as a typed error: here 0x8E
// Session Taken Over, when a second client connects with the same id.
// Mosquitto 2.0.11 closes the connection without a DISCONNECT, so only the
// embedded broker shows the code.
func TestSessionTakenOverSurfaced(t *testing.T) {
	srv := mqtttest.NewBroker(t)
	{
		lost := make(chan error, 10)
		id := "takeover-" + srv.Name()
		first := dial(t, srv, mqttkit.WithClientID(id),
			mqttkit.OnConnectionLost(func(_ *mqttkit.Client, err error) { lost <- err }))
		_ = dial(t, srv, mqttkit.WithClientID(id))
		select {
		case err := <-lost:
			if !errors.Is(err, mqttkit.ErrSessionTakenOver) {
				t.Fatalf("connection lost with %v, want ErrSessionTakenOver", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("first client not told that its session was taken over")
		}
		_ = first
	}
}

// The will message, with its properties, is published when the client
// vanishes without DISCONNECT, and not when it closes normally.
func TestWillMessage(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		watcher := dialURL(t, srv.DirectURL()) // not dropped with the others
		col := newCollector(4)
		if _, err := watcher.Subscribe(ctx, "will/+", col); err != nil {
			t.Fatal(err)
		}
		will := mqttkit.Will{Topic: "will/gone", Payload: []byte("bye"), QoS: mqttkit.QoS1,
			Properties: packet.Properties{ContentType: "text/plain", ResponseTopic: "will/reply", CorrelationData: []byte{7, 0, 7},
				UserProperties: []packet.UserProperty{{Key: "who", Value: "w1"}}}}
		polite := dial(t, srv, mqttkit.WithWill(mqttkit.Will{Topic: "will/polite", Payload: []byte("no")}))
		_ = polite.Close()
		_ = dial(t, srv, mqttkit.WithWill(will))
		srv.DropClients() // the connection vanishes: the will is due
		m := col.next(t)
		if m.Topic != "will/gone" || string(m.Payload) != "bye" {
			t.Fatalf("got %q %q, want the will of the dropped client", m.Topic, m.Payload)
		}
		if p := m.Properties; p.ContentType != "text/plain" || p.ResponseTopic != "will/reply" || string(p.CorrelationData) != "\x07\x00\x07" {
			t.Fatalf("will content type %q, response topic %q, correlation data %q; want the will's", p.ContentType, p.ResponseTopic, p.CorrelationData)
		}
		if len(m.Properties.UserProperties) != 1 {
			t.Fatalf("will user properties %v, want only who=w1", m.Properties.UserProperties)
		}
		if v, _ := m.UserProperty("who"); v != "w1" {
			t.Fatalf("will user property who = %q, want w1", v)
		}
		col.none(t, 200*time.Millisecond) // the polite client's will never comes
	})
}

// Outbound topic aliases (off by default) send each topic name once per
// connection; the subscriber still sees full topic names.
func TestOutboundTopicAliases(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		sub := dial(t, srv)
		col := newCollector(10)
		if _, err := sub.Subscribe(ctx, "alias/#", col); err != nil {
			t.Fatal(err)
		}
		pub := dial(t, srv, mqttkit.WithOutboundTopicAliases())
		for _, topic := range []string{"alias/a", "alias/a", "alias/b", "alias/a"} {
			if err := pub.Publish(ctx, topic, nil, mqttkit.QoS1); err != nil {
				t.Fatal(err)
			}
			if m := col.next(t); m.Topic != topic {
				t.Fatalf("got %q, want %q", m.Topic, topic)
			}
		}
		srv.DropClients() // aliases start over on the new connection
		waitConnected(t, pub)
		waitConnected(t, sub)
		publishUntilReceived(t, pub, col, "alias/a")
	})
}
