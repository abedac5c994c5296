package session

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mqttkit/mqttkit/packet"
	"github.com/mqttkit/mqttkit/store"
)

func pub(id uint16, topic, payload string, qos packet.QoS) *packet.Publish {
	p := &packet.Publish{Topic: topic, Payload: []byte(payload), QoS: qos, PacketID: id}
	p.Properties.UserProperties = []packet.UserProperty{{Key: "k", Value: payload}}
	return p
}

// A Durable's records, reopened, give back exactly the session that was
// recorded: the client id, the outbound messages not complete (in order,
// with their packet ids and PUBREL markers), the inbound QoS 2 ids and the
// subscriptions; completed ones are gone.
func TestDurableLoadGivesBackTheSession(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) (store.Store, func() store.Store)
	}{
		{"memory", func(t *testing.T) (store.Store, func() store.Store) {
			m := store.NewMemory()
			return m, func() store.Store { return m }
		}},
		{"file", func(t *testing.T) (store.Store, func() store.Store) {
			dir := t.TempDir()
			f, err := store.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			return f, func() store.Store {
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
				g, err := store.Open(dir)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = g.Close() })
				return g
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, reopen := tc.open(t)
			d := NewDurable(st)
			if r, err := d.Load(); err != nil || r.ClientID != "" || len(r.Outbound)+len(r.InboundQoS2)+len(r.Subscriptions) != 0 {
				t.Fatalf("empty store: Load = %+v, %v", r, err)
			}
			d.SetClientID("c-1")
			for i, p := range []*packet.Publish{pub(7, "a", "one", 1), pub(8, "b", "two", 2), pub(9, "c", "three", 2), pub(3, "d", "four", 1)} {
				if cm := d.AddOutbound(uint64(i+1), p); cm.Err() != nil {
					t.Fatal(cm.Err())
				}
			}
			d.ReleaseOutbound(2, true)
			d.ReleaseOutbound(3, true)
			d.ReleaseOutbound(4, true)
			d.ReleaseOutbound(4, false) // the server lost its session: published again
			d.RemoveOutbound(3)         // complete after its PUBREL
			d.RemoveOutbound(1)
			d.AddInboundQoS2(40)
			d.AddInboundQoS2(41)
			d.AddInboundQoS2(42)
			if cm := d.HandledInboundQoS2(42); cm == nil || cm.Err() != nil {
				t.Fatalf("HandledInboundQoS2 = %v: want a Commit to wait for", cm)
			}
			d.RemoveInboundQoS2(40)
			subs := []packet.Subscription{{Filter: "x/+", QoS: 1}, {Filter: "$share/g/y", QoS: 2, RetainAsPublished: true}}
			d.AddSubscription(5, subs)
			d.AddSubscription(6, []packet.Subscription{{Filter: "z"}})
			d.RemoveSubscription(6)
			if err := st.Apply().Wait(context.Background()); err != nil {
				t.Fatal(err)
			}

			r, err := NewDurable(reopen()).Load()
			if err != nil {
				t.Fatal(err)
			}
			if r.ClientID != "c-1" {
				t.Errorf("client id %q, want c-1", r.ClientID)
			}
			var got []string
			for _, o := range r.Outbound {
				got = append(got, strings.Join([]string{o.Publish.Topic, string(o.Publish.Payload), o.Publish.Properties.UserProperties[0].Value}, "/"))
				if o.Publish.Dup {
					t.Errorf("seq %d recorded with DUP", o.Seq)
				}
			}
			if want := []string{"b/two/two", "d/four/four"}; !slices.Equal(got, want) {
				t.Errorf("outbound %v, want %v", got, want)
			}
			if len(r.Outbound) == 2 && (r.Outbound[0].Publish.PacketID != 8 || !r.Outbound[0].Released || r.Outbound[1].Publish.PacketID != 3 || r.Outbound[1].Released || r.Outbound[0].Seq != 2 || r.Outbound[1].Seq != 4) {
				t.Errorf("outbound ids/markers/seqs wrong: %+v", r.Outbound)
			}
			if !slices.Equal(r.InboundQoS2, []uint16{41}) || !slices.Equal(r.HandledQoS2, []uint16{42}) {
				t.Errorf("inbound QoS 2 %v and handled %v, want [41] and [42]", r.InboundQoS2, r.HandledQoS2)
			}
			if len(r.Subscriptions) != 1 || !slices.Equal(r.Subscriptions[5], subs) {
				t.Errorf("subscriptions %v, want 5: %v", r.Subscriptions, subs)
			}
		})
	}
}

// A PUBREL marker whose message record is gone (a crash between the two
// deletes) is ignored and cleaned up; a subscription of the same filters
// replaces the record a previous process left.
func TestDurableLoadCleansUp(t *testing.T) {
	st := store.NewMemory()
	st.Put(store.Key{Kind: store.Released, ID: 9}, nil)
	d := NewDurable(st)
	old := []packet.Subscription{{Filter: "a/#", QoS: 1}}
	d.AddSubscription(3, old)
	d = NewDurable(st)
	r, err := d.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Outbound) != 0 {
		t.Fatalf("orphan marker loaded as a message: %+v", r.Outbound)
	}
	d.AddSubscription(4, old)
	var keys []store.Key
	_ = st.Load(func(k store.Key, _ []byte) error { keys = append(keys, k); return nil })
	if want := []store.Key{{Kind: store.Subscription, ID: 4}}; !slices.Equal(keys, want) {
		t.Fatalf("records %v, want %v", keys, want)
	}
}

// A record that is not what its kind says is an error naming it, not a
// panic or a silently wrong session.
func TestDurableLoadRefusesForeignRecords(t *testing.T) {
	for _, tc := range []struct {
		name  string
		key   store.Key
		value []byte
	}{
		{"garbage outbound", store.Key{Kind: store.Outbound, ID: 1}, []byte{0x30, 0x7f, 1}},
		{"subscribe as outbound", store.Key{Kind: store.Outbound, ID: 1}, mustAppend(t, &packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "a"}}})},
		{"publish as subscription", store.Key{Kind: store.Subscription, ID: 1}, mustAppend(t, pub(1, "a", "b", 1))},
		{"inbound id out of range", store.Key{Kind: store.InboundQoS2, ID: 70000}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := store.NewMemory()
			st.Put(tc.key, tc.value)
			_, err := NewDurable(st).Load()
			if err == nil || !strings.Contains(err.Error(), tc.key.Kind.String()) || !strings.Contains(err.Error(), "move the session directory aside") {
				t.Fatalf("Load = %v, want an error naming the %s record and what to do", err, tc.key.Kind)
			}
		})
	}
}

func mustAppend(t *testing.T, p interface {
	Append([]byte, packet.Version) ([]byte, error)
}) []byte {
	b, err := p.Append(nil, packet.V5)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Take reserves the identifiers of a resumed session; Get then never hands
// them out while they are in use.
func TestIDsTake(t *testing.T) {
	var ids IDs
	for _, id := range []uint16{5, 2, 9} {
		if !ids.Take(id) {
			t.Fatalf("Take(%d) refused on fresh IDs", id)
		}
	}
	if ids.Take(5) || ids.Take(0) {
		t.Fatal("Take accepted an identifier in use, or 0")
	}
	seen := map[uint16]bool{}
	for range 65535 - 3 {
		id, ok := ids.Get()
		if !ok {
			t.Fatal("ran out of identifiers early")
		}
		if id == 5 || id == 2 || id == 9 || seen[id] {
			t.Fatalf("Get returned %d, taken or seen", id)
		}
		seen[id] = true
	}
	if _, ok := ids.Get(); ok {
		t.Fatal("Get handed out more than 65535 identifiers")
	}
}
