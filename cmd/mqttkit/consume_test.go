package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest"
)

// TestConsumeExecRetriesThenDeadLetters runs consume --exec with a command
// that fails for one payload: it is tried 1+2 times, then published to the
// dead-letter topic with the error; the other payload is handled once; and
// SIGTERM ends consume with status 0.
func TestConsumeExecRetriesThenDeadLetters(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		hp := hostPort(srv.Addr())
		dir := t.TempDir()
		attempts := filepath.Join(dir, "attempts")
		script := `p=$(cat); echo "$MQTT_TOPIC $p" >> ` + attempts + `; [ "$p" != bad ]`
		dead := start(t, nil, args([]string{"sub", "-d", "-q", "1", "-t", "jobs-dead", "-F", "%p|%P", "-C", "1", "-W", "20"}, hp)...)
		c := start(t, nil, args([]string{"consume", "-t", "jobs/+", "--group", "workers", "-i", "worker-1", "--exec", script,
			"--retries", "2", "--retry-backoff", "10ms", "--dead-letter", "jobs-dead", "--status-interval", "100ms"}, hp)...)
		for _, m := range []string{"good", "bad"} {
			if r := run(t, "", nil, args([]string{"pub", "-t", "jobs/" + m, "-m", m, "-q", "1"}, hp)...); r.code != 0 {
				t.Fatalf("pub: %s", r.stderr)
			}
		}
		if code := dead.wait(t, 20*time.Second); code != 0 {
			t.Fatalf("no dead letter: sub status %d", code)
		}
		dl := dead.stdout(t)
		if !strings.HasPrefix(dl, "bad|") || !strings.Contains(dl, "mqttkit-original-topic:jobs/bad") || !strings.Contains(dl, "mqttkit-attempts:3") {
			t.Fatalf("dead letter %q lacks the payload, the original topic or the attempts", dl)
		}
		b, err := os.ReadFile(attempts)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(b), "jobs/good good\njobs/bad bad\njobs/bad bad\njobs/bad bad\n"; got != want {
			t.Fatalf("sink calls:\n%swant:\n%s", got, want)
		}
		if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := c.wait(t, 10*time.Second); code != 0 {
			t.Fatalf("consume after SIGTERM: status %d", code)
		}
		if st := c.stderrText(); !strings.Contains(st, "1 ok, 1 dead-lettered, 0 left for redelivery, 0 in flight, 3 sink failures") {
			t.Fatalf("status line missing or wrong in:\n%s", st)
		}
	})
}
