package mqttkit_test

import (
	"slices"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// The subscription options of issue 4 reach the server and change what it
// sends: No Local, Retain As Published, Retain Handling, and several
// filters in one SUBSCRIBE.
func TestSubscribeOptions(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		t.Run("NoLocal", func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			c, other := dial(t, srv), dial(t, srv)
			col := newCollector(4)
			if _, err := c.Subscribe(ctx, "nl/t", col, mqttkit.NoLocal()); err != nil {
				t.Fatal(err)
			}
			if err := c.Publish(ctx, "nl/t", []byte("own"), mqttkit.QoS1); err != nil {
				t.Fatal(err)
			}
			if err := other.Publish(ctx, "nl/t", []byte("other"), mqttkit.QoS1); err != nil {
				t.Fatal(err)
			}
			if m := col.next(t); string(m.Payload) != "other" {
				t.Fatalf("got %q first, want only the other client's message: No Local was not honoured", m.Payload)
			}
			col.none(t, 200*time.Millisecond)
		})
		t.Run("RetainAsPublished", func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			kept, cleared := newCollector(1), newCollector(1)
			// DoNotSendRetained: the server looks retained messages up for
			// a new subscription after its SUBACK, so on a loaded machine
			// it found the live publish below already retained, and sent
			// it with Retain set, as a retained message on subscribe.
			noRetained := mqttkit.RetainHandling(mqttkit.DoNotSendRetained)
			if _, err := dial(t, srv).Subscribe(ctx, "rap/t", kept, mqttkit.RetainAsPublished(), noRetained); err != nil {
				t.Fatal(err)
			}
			if _, err := dial(t, srv).Subscribe(ctx, "rap/t", cleared, noRetained); err != nil {
				t.Fatal(err)
			}
			if err := dial(t, srv).Publish(ctx, "rap/t", []byte("live"), mqttkit.QoS1, mqttkit.Retain()); err != nil {
				t.Fatal(err)
			}
			if m := kept.next(t); !m.Retain {
				t.Error("RetainAsPublished: a live retained publish arrived with Retain false")
			}
			if m := cleared.next(t); m.Retain {
				t.Error("without RetainAsPublished: a live publish arrived with Retain true (§3.3.1.3)")
			}
		})
		t.Run("RetainHandling", func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			c := dial(t, srv)
			if err := c.Publish(ctx, "rh/t", []byte("kept"), mqttkit.QoS1, mqttkit.Retain()); err != nil {
				t.Fatal(err)
			}
			never := newCollector(2)
			if _, err := dial(t, srv).Subscribe(ctx, "rh/t", never, mqttkit.RetainHandling(mqttkit.DoNotSendRetained)); err != nil {
				t.Fatal(err)
			}
			first := newCollector(2)
			if _, err := c.Subscribe(ctx, "rh/+", first, mqttkit.RetainHandling(mqttkit.SendRetainedIfNew)); err != nil {
				t.Fatal(err)
			}
			if m := first.next(t); string(m.Payload) != "kept" || !m.Retain {
				t.Fatalf("SendRetainedIfNew on a new subscription: got %q retain=%v, want the retained message", m.Payload, m.Retain)
			}
			// The client refuses a second Subscribe of the same filter, so
			// "not when it already exists" cannot be driven from here.
			never.none(t, 300*time.Millisecond)
		})
		t.Run("AlsoFilters", func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			c := dial(t, srv)
			col := newCollector(4)
			s, err := c.Subscribe(ctx, "af/a", col, mqttkit.AlsoFilters("af/b/+"), mqttkit.AtLeastOnce)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Filters(); !slices.Equal(got, []string{"af/a", "af/b/+"}) {
				t.Errorf("Filters() = %v, want [af/a af/b/+]", got)
			}
			if got := s.Granted(); !slices.Equal(got, []mqttkit.QoS{mqttkit.QoS1, mqttkit.QoS1}) {
				t.Errorf("Granted() = %v, want QoS 1 for each filter", got)
			}
			pub := dial(t, srv)
			for _, topic := range []string{"af/a", "af/b/x", "af/c"} {
				if err := pub.Publish(ctx, topic, []byte(topic), mqttkit.QoS1); err != nil {
					t.Fatal(err)
				}
			}
			got := []string{col.next(t).Topic, col.next(t).Topic}
			slices.Sort(got)
			if !slices.Equal(got, []string{"af/a", "af/b/x"}) {
				t.Fatalf("got %v, want af/a and af/b/x", got)
			}
			col.none(t, 200*time.Millisecond) // af/c matches neither filter
		})
	})
}
