package mqttkit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/packet"
)

// Overlapping subscriptions of one client each get a message exactly once:
// routed by the Subscription Identifiers the server attaches.
func TestOverlappingSubscriptions(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		c := dial(t, srv)
		pub := dial(t, srv)
		multi, single, shared, plain := newCollector(10), newCollector(10), newCollector(10), newCollector(10)
		for _, s := range []struct {
			filter string
			col    *collector
			opts   []mqttkit.SubscribeOption
		}{
			{"ov/#", multi, nil},
			{"ov/+", single, nil},
			{"ov/x", shared, []mqttkit.SubscribeOption{mqttkit.Group("g1")}},
			{"ov/x", plain, nil},
		} {
			if _, err := c.Subscribe(ctx, s.filter, s.col, s.opts...); err != nil {
				t.Fatalf("Subscribe(%q): %v", s.filter, err)
			}
		}
		if err := pub.Publish(ctx, "ov/x", []byte("1"), mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(ctx, "ov/x/deep", []byte("2"), mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
		// ov/x and ov/x/deep may be handled in either order: order is kept
		// per topic only.
		if a, b := multi.next(t).Topic, multi.next(t).Topic; !(a == "ov/x" && b == "ov/x/deep" || a == "ov/x/deep" && b == "ov/x") {
			t.Fatalf("ov/#: got %q and %q, want ov/x and ov/x/deep", a, b)
		}
		for name, col := range map[string]*collector{"ov/+": single, "$share/g1/ov/x": shared, "ov/x": plain} {
			if m := col.next(t); m.Topic != "ov/x" {
				t.Fatalf("%s: got %q, want ov/x", name, m.Topic)
			}
		}
		for _, col := range []*collector{multi, single, shared, plain} {
			col.none(t, 100*time.Millisecond)
		}
	})
}

// A filter starting with a wildcard does not match $SYS topics (§4.7.2).
func TestSysTopicsNotMatchedByWildcard(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		c := dial(t, srv)
		all := newCollector(1000)
		if _, err := c.Subscribe(ctx, "#", all); err != nil {
			t.Fatal(err)
		}
		sys := newCollector(1000)
		if _, err := c.Subscribe(ctx, "$SYS/#", sys); err != nil {
			t.Fatal(err)
		}
		if err := c.Publish(ctx, "plain/topic", nil, mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(3 * time.Second)
		gotPlain := false
		for !gotPlain {
			select {
			case m := <-all.ch:
				if strings.HasPrefix(m.Topic, "$") {
					t.Fatalf("# received %q", m.Topic)
				}
				gotPlain = m.Topic == "plain/topic"
			case <-deadline:
				t.Fatal("# did not receive plain/topic")
			}
		}
		select {
		case m := <-sys.ch:
			if !strings.HasPrefix(m.Topic, "$SYS/") {
				t.Fatalf("$SYS/# received %q", m.Topic)
			}
		case <-time.After(15 * time.Second):
			t.Log("the broker published no $SYS topic within 15s; only the negative half was checked")
		}
	})
}

// Messages of one topic reach the handler in publish order, with many
// workers and several topics interleaved.
func TestPerTopicOrder(t *testing.T) {
	const topics, perTopic = 5, 200
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 30*time.Second)
		c := dial(t, srv)
		var mu sync.Mutex
		last := map[string]int{}
		var bad atomic.Value
		done := make(chan struct{})
		var n atomic.Int64
		h := mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
			var seq int
			fmt.Sscan(string(m.Payload), &seq)
			mu.Lock()
			if prev, ok := last[m.Topic]; ok && seq != prev+1 {
				bad.CompareAndSwap(nil, fmt.Sprintf("%s: %d after %d", m.Topic, seq, prev))
			}
			last[m.Topic] = seq
			mu.Unlock()
			time.Sleep(time.Duration(seq%3) * 100 * time.Microsecond) // uneven handler times
			if n.Add(1) == topics*perTopic {
				close(done)
			}
			return nil
		})
		if _, err := c.Subscribe(ctx, "order/+", h, mqttkit.Workers(8)); err != nil {
			t.Fatal(err)
		}
		pub := dial(t, srv)
		var rs []*mqttkit.PublishResult
		for i := range perTopic {
			for tp := range topics {
				rs = append(rs, pub.PublishAsync(ctx, fmt.Sprintf("order/%d", tp), []byte(fmt.Sprint(i)), mqttkit.QoS1))
			}
		}
		for _, r := range rs {
			if err := r.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-done:
		case <-ctx.Done():
			t.Fatalf("only %d of %d messages handled", n.Load(), topics*perTopic)
		}
		if s, _ := bad.Load().(string); s != "" {
			t.Fatalf("order broken: %s", s)
		}
	})
}

// Every PUBLISH property reaches the handler.
func TestPublishPropertiesDelivered(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		c := dial(t, srv)
		col := newCollector(2)
		if _, err := c.Subscribe(ctx, "props/t", col, mqttkit.ExactlyOnce); err != nil {
			t.Fatal(err)
		}
		err := c.Publish(ctx, "props/t", []byte("héllo"), mqttkit.QoS2,
			mqttkit.ContentType("text/plain"), mqttkit.UTF8Payload(), mqttkit.ResponseTopic("props/reply"),
			mqttkit.CorrelationData([]byte{1, 2, 3}), mqttkit.MessageExpiry(time.Hour),
			mqttkit.WithUserProperty("k", "v1"), mqttkit.WithUserProperty("k", "v2"))
		if err != nil {
			t.Fatal(err)
		}
		m := col.next(t)
		p := m.Properties
		switch {
		case p.ContentType != "text/plain":
			t.Errorf("ContentType = %q", p.ContentType)
		case p.PayloadFormatIndicator != 1:
			t.Errorf("PayloadFormatIndicator = %d", p.PayloadFormatIndicator)
		case p.ResponseTopic != "props/reply":
			t.Errorf("ResponseTopic = %q", p.ResponseTopic)
		case !bytes.Equal(p.CorrelationData, []byte{1, 2, 3}):
			t.Errorf("CorrelationData = %v", p.CorrelationData)
		case p.MessageExpiryInterval == 0 || p.MessageExpiryInterval > 3600:
			t.Errorf("MessageExpiryInterval = %d", p.MessageExpiryInterval)
		case len(p.UserProperties) != 2 || p.UserProperties[1] != (packet.UserProperty{Key: "k", Value: "v2"}):
			t.Errorf("UserProperties = %v", p.UserProperties)
		case m.QoS != mqttkit.QoS2 || string(m.Payload) != "héllo":
			t.Errorf("QoS %d payload %q", m.QoS, m.Payload)
		}
		err = c.Publish(ctx, "props/t", []byte{0xff, 0xfe}, mqttkit.QoS1, mqttkit.UTF8Payload())
		if !errors.Is(err, mqttkit.ErrPayloadFormat) {
			t.Fatalf("invalid UTF-8 marked as UTF-8: err = %v, want ErrPayloadFormat", err)
		}
	})
}

// A retained message is kept and delivered to a later subscriber.
func TestRetain(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		c := dial(t, srv)
		if err := c.Publish(ctx, "ret/t", []byte("kept"), mqttkit.QoS1, mqttkit.Retain()); err != nil {
			t.Fatal(err)
		}
		col := newCollector(1)
		if _, err := c.Subscribe(ctx, "ret/t", col); err != nil {
			t.Fatal(err)
		}
		if m := col.next(t); string(m.Payload) != "kept" || !m.Retain {
			t.Fatalf("got %q retain=%v, want the retained message", m.Payload, m.Retain)
		}
	})
}

// Each delivered message keeps the Subscription Identifier it arrived with,
// however many messages the client decodes after it: the reader reuses its
// decoding buffers, never the ones handed to handlers.
func TestSubscriptionIdentifierKeptPerMessage(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx := testCtx(t, 20*time.Second)
		c := dial(t, srv)
		pub := dial(t, srv)
		col := newCollector(40)
		for _, f := range []string{"sid/a", "sid/b"} {
			if _, err := c.Subscribe(ctx, f, col, mqttkit.AtLeastOnce); err != nil {
				t.Fatalf("Subscribe(%q): %v", f, err)
			}
		}
		for i := range 40 {
			if err := pub.Publish(ctx, []string{"sid/a", "sid/b"}[i%2], nil, mqttkit.QoS1); err != nil {
				t.Fatal(err)
			}
		}
		var got []*mqttkit.Message
		for range 40 {
			got = append(got, col.next(t))
		}
		ids := map[string]uint32{}
		for _, m := range got {
			sids := m.Properties.SubscriptionIdentifiers
			if len(sids) != 1 {
				t.Fatalf("message on %q carries identifiers %v, want one", m.Topic, sids)
			}
			if id, seen := ids[m.Topic]; seen && id != sids[0] {
				t.Fatalf("messages on %q carry identifiers %d and %d: a later message overwrote an earlier one's", m.Topic, id, sids[0])
			}
			ids[m.Topic] = sids[0]
		}
		if ids["sid/a"] == ids["sid/b"] {
			t.Fatalf("both subscriptions have identifier %d", ids["sid/a"])
		}
	})
}

// Receiving a QoS 1 message and acknowledging it allocates the message, its
// payload and its acknowledgement record, nothing more: at 50k messages a
// second every further allocation shows up as garbage-collection CPU.
// Against Mosquitto, so that the broker's allocations are not counted; the
// publisher's Publish allocates nothing.
func TestReceiveAllocations(t *testing.T) {
	srv := mqtttest.Mosquitto(t, mqtttest.WithoutPersistence())
	ctx := testCtx(t, 30*time.Second)
	const n = 2000
	var got atomic.Int64
	done := make(chan struct{})
	h := mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error {
		if got.Add(1) == n {
			close(done)
		}
		return nil
	})
	sub := dial(t, srv)
	if _, err := sub.Subscribe(ctx, "allocs", h, mqttkit.AtLeastOnce); err != nil {
		t.Fatal(err)
	}
	pub := dial(t, srv)
	payload := make([]byte, 64)
	if err := pub.Publish(ctx, "allocs", payload, mqttkit.QoS1); err != nil { // warm up buffers
		t.Fatal(err)
	}
	for got.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	got.Store(0)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		if err := pub.Publish(ctx, "allocs", payload, mqttkit.QoS1); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("%d of %d messages arrived", got.Load(), n)
	}
	runtime.ReadMemStats(&after)
	perMsg := float64(after.Mallocs-before.Mallocs) / n
	t.Logf("%.2f allocations per message", perMsg)
	// 3.0 in a plain build; the race detector adds about half of one.
	if perMsg > 4 {
		t.Fatalf("%.2f allocations per received message, want 3 (message, payload, acknowledgement record)", perMsg)
	}
}
