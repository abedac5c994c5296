package mqttkit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/packet"
)

// nextDisconnect waits for the DISCONNECT that Close sends to r.
func nextDisconnect(t *testing.T, r *recorder) *packet.Disconnect {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case p := <-r.got:
			if d, ok := p.(*packet.Disconnect); ok {
				return d
			}
		case <-deadline:
			t.Fatal("no DISCONNECT within 5s of Close")
			return nil
		}
	}
}

// closeExpiry waits for the DISCONNECT that Close sends to r and returns the
// Session Expiry Interval the server applies from then on: the DISCONNECT's
// when it carries one, else the CONNECT's. A DISCONNECT that raises a
// CONNECT's 0 is a protocol error (MQTT v5 §3.14.2.2.2) and fails the test.
func closeExpiry(t *testing.T, r *recorder, con *packet.Connect) uint32 {
	t.Helper()
	d := nextDisconnect(t, r)
	if !d.Properties.Present.Has(packet.PropSessionExpiryInterval) {
		return con.Properties.SessionExpiryInterval
	}
	if con.Properties.SessionExpiryInterval == 0 && d.Properties.SessionExpiryInterval != 0 {
		t.Fatalf("DISCONNECT raises the CONNECT's session expiry 0 to %d: a protocol error", d.Properties.SessionExpiryInterval)
	}
	return d.Properties.SessionExpiryInterval
}

// A consumer group member's session is kept an hour after Close unless the
// user chose an expiry (docs/MIGRATING.md "Sessions"), whether the Group
// subscription is made at Dial or after: a WithSubscription's Group is in
// the first CONNECT; a Group subscribed after Dial finds a CONNECT of 60 s,
// which Close's DISCONNECT raises to the hour. Read on the wire: what the
// server is told decides how long it keeps the session.
func TestGroupSessionExpiryOnTheWire(t *testing.T) {
	group := []mqttkit.SubscribeOption{mqttkit.Group("g")}
	for _, tc := range []struct {
		name        string
		opts        []mqttkit.Option
		subOpts     []mqttkit.SubscribeOption // Subscribe after Dial with these, unless nil
		wantClean   bool                      // Clean Start of the first CONNECT
		wantConnect uint32                    // its Session Expiry Interval
		wantKept    uint32                    // the expiry the server applies after Close
	}{
		{name: "Group at Dial", opts: []mqttkit.Option{mqttkit.WithSubscription("jobs/+", newCollector(1), group...)},
			wantConnect: 3600, wantKept: 3600},
		{name: "Group after Dial", subOpts: group,
			wantClean: true, wantConnect: 60, wantKept: 3600},
		{name: "no Group", subOpts: []mqttkit.SubscribeOption{},
			wantClean: true, wantConnect: 60, wantKept: 0},
		{name: "chosen expiry wins at Dial", opts: []mqttkit.Option{mqttkit.WithSessionExpiry(5 * time.Minute),
			mqttkit.WithSubscription("jobs/+", newCollector(1), group...)},
			wantConnect: 300, wantKept: 300},
		{name: "chosen expiry wins after Dial", opts: []mqttkit.Option{mqttkit.WithSessionExpiry(5 * time.Minute)}, subOpts: group,
			wantClean: true, wantConnect: 300, wantKept: 300},
		{name: "chosen expiry 0 at Dial", opts: []mqttkit.Option{mqttkit.WithSessionExpiry(0),
			mqttkit.WithSubscription("jobs/+", newCollector(1), group...)},
			wantConnect: 0, wantKept: 0},
		{name: "chosen expiry 0 after Dial", opts: []mqttkit.Option{mqttkit.WithSessionExpiry(0)}, subOpts: group,
			wantClean: true, wantConnect: 0, wantKept: 0},
		{name: "chosen Clean Start with Group at Dial", opts: []mqttkit.Option{mqttkit.WithCleanStart(true),
			mqttkit.WithSubscription("jobs/+", newCollector(1), group...)},
			wantClean: true, wantConnect: 3600, wantKept: 3600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder(t, acceptAll)
			c := dialURL(t, r.url, append([]mqttkit.Option{mqttkit.WithClientID("member-1")}, tc.opts...)...)
			con := r.nextConnect(t)
			if con.CleanStart != tc.wantClean || con.Properties.SessionExpiryInterval != tc.wantConnect {
				t.Fatalf("first CONNECT: Clean Start %v, session expiry %d s; want %v and %d s",
					con.CleanStart, con.Properties.SessionExpiryInterval, tc.wantClean, tc.wantConnect)
			}
			if tc.subOpts != nil {
				if _, err := c.Subscribe(testCtx(t, 5*time.Second), "jobs/+", newCollector(1), tc.subOpts...); err != nil {
					t.Fatal(err)
				}
			}
			_ = c.Close()
			if got := closeExpiry(t, r, con); got != tc.wantKept {
				t.Fatalf("session expiry after Close = %d s (CONNECT said %d s), want %d s", got, con.Properties.SessionExpiryInterval, tc.wantKept)
			}
		})
	}
}

// A consumer group member that Closes keeps its session on both brokers: a
// message published while it is away arrives when it comes back with the
// same client id, whether it joined the group at Dial or after (where
// Close's DISCONNECT raises the expiry). A client without a Group, whose
// session ends on Close, gets nothing: what the test looks for does fail
// when the session is gone. How long the session lasts (an hour, not 60 s)
// is checked on the wire by TestGroupSessionExpiryOnTheWire, not by waiting.
func TestGroupSessionSurvivesClose(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		for _, tc := range []struct {
			name    string
			atDial  bool
			subOpts []mqttkit.SubscribeOption
			kept    bool
		}{
			{"Group at Dial", true, []mqttkit.SubscribeOption{mqttkit.Group("g")}, true},
			{"Group after Dial", false, []mqttkit.SubscribeOption{mqttkit.Group("g")}, true},
			{"no Group", false, nil, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := testCtx(t, 20*time.Second)
				id := fmt.Sprintf("gsess-%s-%v-%v", srv.Name(), tc.atDial, tc.kept)
				topic := "gsess/" + id
				first := newCollector(1)
				var m *mqttkit.Client
				if tc.atDial {
					m = dial(t, srv, mqttkit.WithClientID(id), mqttkit.WithSubscription(topic, first, tc.subOpts...))
				} else {
					m = dial(t, srv, mqttkit.WithClientID(id))
					if _, err := m.Subscribe(ctx, topic, first, tc.subOpts...); err != nil {
						t.Fatal(err)
					}
				}
				if err := m.Close(); err != nil {
					t.Fatal(err)
				}
				pub := dial(t, srv)
				if err := pub.Publish(ctx, topic, []byte("while away"), mqttkit.QoS1); err != nil {
					t.Fatal(err)
				}
				back := newCollector(1)
				again := dial(t, srv, mqttkit.WithClientID(id), mqttkit.WithCleanStart(false),
					mqttkit.WithSubscription(topic, back, tc.subOpts...))
				if !tc.kept {
					back.none(t, groupSettle)
					return
				}
				if got := back.next(t); string(got.Payload) != "while away" {
					t.Fatalf("got %q, want the message published while the member was away", got.Payload)
				}
				if n := again.Stats().Unrouted; n != 0 {
					t.Fatalf("%d messages acknowledged without a handler", n)
				}
			})
		}
	})
}
