package mqttkit_test

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/packet"
)

// A consumer whose process hangs keeps its TCP connection open and stops
// reading; with no keepalive the broker never times it out. When it is
// restarted under the same client id, the new connection must get its
// session at once, with every message queued in it, even though the broker's
// writes to the old connection are stuck on a full socket.
func TestTakeoverOfStalledConnection(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		const (
			id    = "stall-sub"
			topic = "stall/t"
			n     = 64
		)
		addr := strings.TrimPrefix(srv.DirectURL(), "mqtt://")
		stalled, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer stalled.Close()
		connect := &packet.Connect{ProtocolVersion: packet.V5, ClientID: id, KeepAlive: 0}
		connect.Properties.SessionExpiryInterval = 600
		subscribe := &packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: topic, QoS: packet.QoS1}}}
		var out []byte
		for _, p := range []packet.Packet{connect, subscribe} {
			if out, err = p.Append(out, packet.V5); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := stalled.Write(out); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(stalled)
		_ = stalled.SetReadDeadline(time.Now().Add(10 * time.Second))
		for _, want := range []packet.Type{packet.CONNACK, packet.SUBACK} {
			p, err := packet.ReadPacket(br, packet.V5, 0)
			if err != nil || p.Type() != want {
				t.Fatalf("stalled consumer: read %v, %v; want %v", p, err, want)
			}
		}
		// From here on it reads nothing: 64 messages of 256 KB are more than
		// the loopback socket buffers hold, so the broker's writes block.
		pub := dialURL(t, srv.DirectURL())
		ctx := testCtx(t, 60*time.Second)
		payload := make([]byte, 256<<10)
		for i := range n {
			copy(payload, strconv.Itoa(i)+" ")
			if err := pub.Publish(ctx, topic, payload, mqttkit.QoS1); err != nil {
				t.Fatalf("publish %d: %v", i, err)
			}
		}
		got := make(chan int, 2*n)
		h := mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
			i, _ := strconv.Atoi(strings.Fields(string(m.Payload[:16]))[0])
			got <- i
			return nil
		})
		start := time.Now()
		restarted := dialURL(t, srv.DirectURL(), mqttkit.WithClientID(id), mqttkit.WithCleanStart(false), mqttkit.WithSessionExpiry(10*time.Minute),
			mqttkit.WithSubscription(topic, h, mqttkit.AtLeastOnce))
		t.Logf("the restarted consumer connected after %v", time.Since(start).Round(time.Millisecond))
		seen := map[int]bool{}
		deadline := time.After(30 * time.Second)
		for len(seen) < n {
			select {
			case i := <-got:
				seen[i] = true
			case <-deadline:
				t.Fatalf("the restarted consumer got %d of %d messages in 30 s", len(seen), n)
			}
		}
		_ = restarted
	})
}
