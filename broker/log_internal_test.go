package broker

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/mochi-mqtt/server/v2/packets"
)

// mochi attaches whole packets to some log lines; the broker's log shows
// only their type and id, never a password or a payload.
func TestMochiLogRedactsPackets(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(mochiLog{slog.NewTextHandler(&buf, nil)})
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}}
	pk.Connect.Password = []byte("hunter2-secret")
	pk.Connect.Username = []byte("alice")
	pub := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, PacketID: 9, Payload: []byte("private payload")}
	log.Warn("error processing packet", "error", "x", "pk", pk)
	log.Warn("error processing packet", "client", "c1", "pk", pub)
	out := buf.String()
	for _, secret := range []string{"hunter2-secret", "private payload"} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"pk=\"Connect id=0\"", "pk=\"Publish id=9\"", "client=c1"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}
