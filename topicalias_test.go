package mqttkit_test

import (
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// Inbound topic aliases: with WithTopicAliasMaximum the embedded broker
// (mochi v2.7.9, server.go publishToClient) replaces the topic of a repeated
// PUBLISH by an alias; handlers still see full topic names, also once the
// broker's aliases are used up (maximum 2 for 3 topics) and after a
// reconnect, where aliases start over. A wrong mapping shows up as a wrong
// topic, a missing one as a protocol-error disconnect. Mosquitto 2.0.11
// sends no aliases to clients. The subscription is QoS 0: mochi v2.7.9
// resends an unacknowledged QoS 1 message after a reconnect with the alias
// of the old connection and no topic, which the client must refuse
// (protocol error 0x82) — a broker bug reported to its owner.
func TestInboundTopicAliases(t *testing.T) {
	srv := mqtttest.NewBroker(t)
	ctx := testCtx(t, 20*time.Second)
	lost := make(chan error, 4)
	sub := dial(t, srv, mqttkit.WithTopicAliasMaximum(2),
		mqttkit.OnConnectionLost(func(_ *mqttkit.Client, err error) {
			select {
			case lost <- err:
			default:
			}
		}))
	col := newCollector(16)
	if _, err := sub.Subscribe(ctx, "ta/#", col, mqttkit.AtMostOnce); err != nil {
		t.Fatal(err)
	}
	pub := dial(t, srv)
	send := func(topics ...string) {
		t.Helper()
		for _, topic := range topics {
			if err := pub.Publish(ctx, topic, []byte(topic), mqttkit.QoS1); err != nil {
				t.Fatal(err)
			}
			m := col.next(t)
			for m.Topic == "ta/probe" { // a late copy of the reconnect probe
				m = col.next(t)
			}
			if m.Topic != topic || string(m.Payload) != topic {
				t.Fatalf("got %q (payload %q), want %q", m.Topic, m.Payload, topic)
			}
		}
	}
	send("ta/one", "ta/two", "ta/one", "ta/three", "ta/two", "ta/three", "ta/one")
	select {
	case err := <-lost:
		t.Fatalf("connection lost while resolving aliases: %v", err)
	default:
	}
	srv.DropClients()
	<-lost
	waitConnected(t, sub)
	waitConnected(t, pub)
	publishUntilReceived(t, pub, col, "ta/probe")
	send("ta/one", "ta/two", "ta/one")
}
