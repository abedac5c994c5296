package mqttkit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/packet"
	"github.com/mqttkit/mqttkit/store"
)

// openStore opens a file store in dir and closes it at the end of the test
// (closing twice is harmless).
func openStore(t *testing.T, dir string) *store.File {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// outboundRecords counts the outbound messages and PUBREL markers a store
// holds.
func outboundRecords(t *testing.T, dir string) int {
	t.Helper()
	st := openStore(t, dir)
	defer st.Close()
	n := 0
	if err := st.Load(func(k store.Key, _ []byte) error {
		if k.Kind == store.Outbound || k.Kind == store.Released {
			n++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// Messages that were stored but never reached the server are sent by the
// next client on the store, with their completion in Resumed; the store is
// empty once they are acknowledged.
func TestDurableResumesUnacknowledgedMessages(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 30*time.Second)
		dir := t.TempDir()
		col := newCollector(20)
		dial(t, srv, mqttkit.WithClientID("durable-sub-"+srv.Name()), mqttkit.WithSessionExpiry(time.Hour),
			mqttkit.WithSubscription("durable/t", col))

		st := openStore(t, dir)
		pub := dial(t, srv, mqttkit.WithClientID("durable-pub-"+srv.Name()), mqttkit.WithStore(st))
		srv.Proxy().Blackhole(true)
		var results []*mqttkit.PublishResult
		for i := range 10 {
			results = append(results, pub.PublishAsync(ctx, "durable/t", fmt.Appendf(nil, "m%d", i), mqttkit.QoS1))
		}
		for i, r := range results {
			if err := r.WaitStored(ctx); err != nil {
				t.Fatalf("message %d: WaitStored: %v", i, err)
			}
		}
		// The process "dies": the client ends without its acknowledgements.
		_ = pub.Close()
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		// A message written while the black hole was being switched on
		// can have slipped through, with its PUBACK; every other one
		// failed with ErrClosed and must come back, in order.
		var unacked []string
		for i, r := range results {
			if r.Err() != nil {
				unacked = append(unacked, fmt.Sprintf("m%d", i))
			}
		}
		if len(unacked) < 9 {
			t.Fatalf("only %d of 10 messages unacknowledged behind the black hole", len(unacked))
		}
		srv.Proxy().Blackhole(false)

		st = openStore(t, dir)
		again := dial(t, srv, mqttkit.WithClientID("durable-pub-"+srv.Name()), mqttkit.WithStore(st))
		resumed := again.Resumed()
		if len(resumed) != len(unacked) {
			t.Fatalf("Resumed() has %d messages, want the %d unacknowledged ones", len(resumed), len(unacked))
		}
		for i, r := range resumed {
			if string(r.Message.Payload) != unacked[i] || r.Message.Topic != "durable/t" {
				t.Fatalf("resumed[%d] = %q on %q, want %q on durable/t (in publish order)", i, r.Message.Payload, r.Message.Topic, unacked[i])
			}
			if err := r.Result.Wait(ctx); err != nil {
				t.Fatalf("resumed[%d]: %v", i, err)
			}
		}
		got := map[string]bool{}
		for len(got) < 10 {
			got[string(col.next(t).Payload)] = true
		}
		_ = again.Close()
		_ = st.Close()
		if n := outboundRecords(t, dir); n != 0 {
			t.Fatalf("%d outbound records left after every message was acknowledged", n)
		}
	})
}

// Without WithClientID, the identifier is generated once and kept in the
// store; a subscriber restarted on its store resumes its session (Clean
// Start 0, session kept across Close) and gets what was published meanwhile.
func TestDurableSubscriberKeepsIdentityAndSession(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 30*time.Second)
		dir := t.TempDir()
		st := openStore(t, dir)
		first := dial(t, srv, mqttkit.WithStore(st))
		if _, err := first.Subscribe(ctx, "durable/sub", newCollector(1)); err != nil {
			t.Fatal(err)
		}
		id := first.ClientID()
		_ = first.Close()
		_ = st.Close()

		pub := dial(t, srv)
		for i := range 5 {
			if err := pub.Publish(ctx, "durable/sub", []byte(itoa(i)), mqttkit.QoS1); err != nil {
				t.Fatal(err)
			}
		}
		col := newCollector(10)
		again := dial(t, srv, mqttkit.WithStore(openStore(t, dir)), mqttkit.WithSubscription("durable/sub", col))
		if again.ClientID() != id {
			t.Fatalf("client id %q after restart, want the stored %q", again.ClientID(), id)
		}
		got := map[string]bool{}
		for range 5 {
			got[string(col.next(t).Payload)] = true
		}
		if len(got) != 5 {
			t.Fatalf("got %v, want 0..4", got)
		}
	})
}

// Publish at QoS 1 and 2 with a store completes normally and leaves no
// record behind; the records of concurrent publishes share fsyncs.
func TestDurablePublishCompletes(t *testing.T) {
	srv := mqtttest.Mosquitto(t)
	ctx := testCtx(t, 30*time.Second)
	dir := t.TempDir()
	st := openStore(t, dir)
	c := dial(t, srv, mqttkit.WithStore(st))
	errs := make(chan error, 64)
	for w := range 8 {
		go func() {
			for i := range 8 {
				errs <- c.Publish(ctx, "durable/p", []byte(itoa(w*8+i)), mqttkit.QoS(1+i%2))
			}
		}()
	}
	for range 64 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if s := st.Stats(); s.Syncs >= s.Ops {
		t.Errorf("%d fsyncs for %d store operations: concurrent publishes did not share them", s.Syncs, s.Ops)
	}
	_ = c.Close()
	_ = st.Close()
	if n := outboundRecords(t, dir); n != 0 {
		t.Fatalf("%d outbound records left", n)
	}
}

// A store left by a process that died in the middle of a QoS 2 exchange:
// one message the server had received (PUBREL marker) and one it had not.
// The server has no session for the client any more, so both are published
// again, in their order: a broker that hands QoS 2 on only at PUBREL
// (Mosquitto) lost the first with the session. Both results complete and
// the store ends up empty.
func TestDurableResumesQoS2(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		dir := t.TempDir()
		st := openStore(t, dir)
		for i, id := range []uint16{7, 8} {
			p := &packet.Publish{Topic: "durable/q2", QoS: 2, PacketID: id, Payload: []byte(itoa(i))}
			b, err := p.Append(nil, packet.V5)
			if err != nil {
				t.Fatal(err)
			}
			st.Put(store.Key{Kind: store.Outbound, ID: uint64(i + 1)}, b)
		}
		st.Put(store.Key{Kind: store.Released, ID: 1}, nil)
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		col := newCollector(10)
		dial(t, srv, mqttkit.WithSubscription("durable/q2", col, mqttkit.ExactlyOnce))

		st = openStore(t, dir)
		c := dial(t, srv, mqttkit.WithClientID("durable-q2-"+srv.Name()), mqttkit.WithStore(st))
		resumed := c.Resumed()
		if len(resumed) != 2 {
			t.Fatalf("Resumed() has %d messages, want 2", len(resumed))
		}
		for i, r := range resumed {
			if err := r.Result.Wait(ctx); err != nil {
				t.Fatalf("resumed[%d]: %v", i, err)
			}
		}
		for _, want := range []string{"0", "1"} {
			if m := col.next(t); string(m.Payload) != want {
				t.Fatalf("subscriber got %q, want %q", m.Payload, want)
			}
		}
		col.none(t, 200*time.Millisecond)
		_ = c.Close()
		_ = st.Close()
		if n := outboundRecords(t, dir); n != 0 {
			t.Fatalf("%d outbound records left", n)
		}
	})
}
