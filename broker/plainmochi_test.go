package broker_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/mqttkit/mqttkit/packet"
)

// TestPlainMochiPanicsOnIssue501 shows that the first malformed input (MQTT v5) of
// TestMalformedPacketsCloseOnlyThatConnection kills a process running plain
// mochi v2.7.9, so that table would fail without the validating reader. It
// runs plain mochi in a child process, which is expected to crash.
func TestPlainMochiPanicsOnIssue501(t *testing.T) {
	if os.Getenv("MQTTKIT_PLAIN_MOCHI_CHILD") == "1" {
		runPlainMochiChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPlainMochiPanicsOnIssue501$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MQTTKIT_PLAIN_MOCHI_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "panic: runtime error: index out of range") {
		t.Fatalf("plain mochi survived the issue-501 SUBSCRIBE (err %v); if upstream fixed it, update docs/BROKER.md. Output:\n%s", err, out)
	}
}

// runPlainMochiChild starts plain mochi and sends it the issue-501 packet;
// reaching the end means mochi survived.
func runPlainMochiChild(t *testing.T) {
	s := mqtt.New(&mqtt.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := s.AddHook(new(allowAll), nil); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if err := s.AddListener(listeners.NewTCP(listeners.Config{ID: "t", Address: addr})); err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(connectBytes(packet.V5, "victim")); err != nil {
		t.Fatal(err)
	}
	if _, err := packet.ReadPacket(bufio.NewReader(conn), packet.V5, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(hexb("82 06 00 01 00 00 01 61")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the panic happens on mochi's goroutine
}

// allowAll lets every client connect and use every topic.
type allowAll struct{ mqtt.HookBase }

func (allowAll) ID() string { return "allow-all" }
func (allowAll) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}
func (allowAll) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }
func (allowAll) OnACLCheck(*mqtt.Client, string, bool) bool              { return true }
