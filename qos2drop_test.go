package mqttkit_test

import (
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// QoS 2 while the broker's connections are dropped every 200 ms: every
// message arrives. With persistent sessions on both sides (in-flight
// PUBLISH/PUBREL resent with DUP, inbound PUBREC state kept) each arrives
// exactly once; a publisher without a session re-publishes what was in
// flight, which may duplicate (the server forgot that it had it). Before
// 2026-11-26 both halves failed: the embedded broker's PUBCOMP 0x92 for a
// PUBREL sent again failed the publish, a Mosquitto session lost between
// PUBREC and PUBREL lost the message (Mosquitto delivers QoS 2 at PUBREL),
// and the embedded broker routed a message twice when the connection being
// taken over was still processing it (docs/BROKER.md, item 14). Until
// 2026-11-26 (session 4) the embedded broker also lost hundreds of the
// publisher-without-session case's messages on a loaded machine, when two
// connections of the subscriber took its session over at once
// (docs/BROKER.md, item 15).
func TestQoS2WhileConnectionsDrop(t *testing.T) {
	const n = 2000
	for _, tc := range []struct {
		name      string
		pubExpiry time.Duration
		exactly   bool
	}{
		{"persistent sessions", time.Minute, true},
		{"publisher without session", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
				ctx := testCtx(t, 90*time.Second)
				sub := dial(t, srv, mqttkit.WithClientID("q2drop-sub"), mqttkit.WithSessionExpiry(time.Minute))
				pub := dial(t, srv, mqttkit.WithClientID("q2drop-pub"), mqttkit.WithSessionExpiry(tc.pubExpiry))
				l := newLedger()
				if _, err := sub.Subscribe(ctx, "q2drop/t", l, mqttkit.ExactlyOnce); err != nil {
					t.Fatal(err)
				}
				ids, drops := publishWhileDropping(t, ctx, srv, pub, "q2drop/t", n, mqttkit.QoS2)
				missing, dups := l.waitAll(t, ids, 30*time.Second)
				time.Sleep(300 * time.Millisecond) // room for a late duplicate
				_, dups = l.waitAll(t, ids, time.Second)
				t.Logf("%d QoS 2 messages, %d drops, %d publisher and %d subscriber reconnects, %d duplicates",
					n, drops, pub.Stats().Connects-1, sub.Stats().Connects-1, dups)
				if len(missing) > 0 {
					t.Fatalf("%d of %d messages lost, e.g. %v", len(missing), n, missing[:min(10, len(missing))])
				}
				if drops == 0 || sub.Stats().Connects < 2 {
					t.Fatal("no connection was dropped: the test proves nothing")
				}
				if tc.exactly && dups > 0 {
					t.Fatalf("%d duplicates at QoS 2 with persistent sessions, want 0:%s", dups, l.duplicated(5))
				}
			})
		})
	}
}
