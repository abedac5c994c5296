package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest"
)

const secret = "s3cret-Pa55-9f1c"

// TestPasswordNeverShown runs authenticated clients with the password from
// MQTTKIT_PASSWORD and from --password-file, with -d, and checks that the
// password is in no process's argv (ps), in no output, and that a wrong
// password fails with status 3 and the broker's reason.
func TestPasswordNeverShown(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		pwFile := filepath.Join(t.TempDir(), "pw")
		if err := os.WriteFile(pwFile, []byte(secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		hp := hostPort(srv.Addr())
		s := start(t, nil, args([]string{"sub", "-d", "-u", "alice", "--password-file", pwFile, "-t", "sec/t", "-C", "1", "-W", "15"}, hp)...)
		ps, err := exec.Command("ps", "-eo", "args").Output()
		if err != nil {
			t.Fatalf("ps: %v", err)
		}
		if strings.Contains(string(ps), secret) {
			t.Fatal("the password is visible in ps output")
		}
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/cmdline")
		if err == nil && strings.Contains(string(cmdline), secret) {
			t.Fatal("the password is in /proc/PID/cmdline")
		}
		r := run(t, "", []string{"MQTTKIT_PASSWORD=" + secret}, args([]string{"pub", "-d", "-u", "alice", "-t", "sec/t", "-m", "ok", "-q", "1"}, hp)...)
		if r.code != 0 {
			t.Fatalf("pub with MQTTKIT_PASSWORD: status %d: %s", r.code, r.stderr)
		}
		if code := s.wait(t, 20*time.Second); code != 0 {
			t.Fatalf("sub with --password-file: status %d", code)
		}
		for name, text := range map[string]string{"pub stdout": r.stdout, "pub stderr": r.stderr, "sub stdout": s.stdout(t), "sub stderr": s.stderrText()} {
			if strings.Contains(text, secret) {
				t.Fatalf("the password appears in %s: %q", name, text)
			}
		}
		bad := run(t, "", []string{"MQTTKIT_PASSWORD=wrong-" + secret}, args([]string{"pub", "-d", "-u", "alice", "-t", "sec/t", "-m", "x"}, hp)...)
		if bad.code != exitConnect || !(strings.Contains(bad.stderr, "0x86") || strings.Contains(bad.stderr, "0x87")) {
			t.Fatalf("wrong password: status %d, stderr %q; want %d and reason 0x86 or 0x87 (Mosquitto)", bad.code, bad.stderr, exitConnect)
		}
		if strings.Contains(bad.stderr, secret) {
			t.Fatalf("the wrong password appears in stderr: %q", bad.stderr)
		}
		warn := run(t, "", nil, args([]string{"pub", "-u", "alice", "-P", secret, "-t", "sec/t", "-m", "x"}, hp)...)
		if warn.code != 0 || !strings.Contains(warn.stderr, "visible to other users") || strings.Contains(warn.stderr, secret) {
			t.Fatalf("-P: status %d, stderr %q; want 0 and a warning without the password", warn.code, warn.stderr)
		}
	}, mqtttest.WithUser("alice", secret))
}
