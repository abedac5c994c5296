package broker_test

import (
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
	"github.com/mqttkit/mqttkit/packet"
)

// The broker sends full topic names even to a client that allows topic
// aliases: mochi v2.7.9 would store a repeated QoS 1 message with only its
// alias and resend it so on the client's next connection, where that alias
// means nothing.
func TestNoTopicAliasesTowardsClients(t *testing.T) {
	_, addr := start(t, nil)
	allowAliases := func(c *packet.Connect) { c.Properties.TopicAliasMaximum = 10 }
	c := dialRaw(t, addr, "aliases", 0, true, allowAliases)
	c.subscribe("alias/t", 1)
	pub := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "alias-pub"})
	for range 3 {
		pub.Publish(t, "alias/t", 1, false, []byte("x"))
	}
	check := func(when string) {
		for range 3 {
			p := c.nextPublish(5 * time.Second)
			if p.Topic != "alias/t" || p.Properties.TopicAlias != 0 {
				t.Fatalf("%s: PUBLISH with topic %q and alias %d, want the full topic and no alias", when, p.Topic, p.Properties.TopicAlias)
			}
		}
	}
	check("first delivery")
	_ = c.conn.Close() // unacknowledged: the session resends them
	time.Sleep(100 * time.Millisecond)
	c = dialRaw(t, addr, "aliases", 0, true, allowAliases)
	check("resend on the next connection")
}
