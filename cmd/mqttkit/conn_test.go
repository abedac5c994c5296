package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest"
)

// TestConfigProfile connects with the broker address and credentials of a
// profile in a --config file, and checks that a password in the file is
// refused.
func TestConfigProfile(t *testing.T) {
	srv := mqtttest.NewBroker(t, mqtttest.WithUser("bob", secret))
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	cfg := filepath.Join(dir, "config")
	h, p, _ := strings.Cut(srv.Addr(), ":")
	write := func(name, text string) {
		if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(pw, secret)
	write(cfg, "# test profiles\n[default]\nhost = 192.0.2.1\n\n[test]\nhost = "+h+"\nport = "+p+"\nusername = bob\npassword-file = "+pw+"\nqos = 1\n")
	s := start(t, nil, "sub", "-d", "--config", cfg, "--profile", "test", "-t", "cfg/t", "-C", "1", "-W", "15")
	if r := run(t, "", nil, "pub", "--config", cfg, "--profile", "test", "-t", "cfg/t", "-m", "from profile"); r.code != 0 {
		t.Fatalf("pub: status %d: %s", r.code, r.stderr)
	}
	if code := s.wait(t, 20*time.Second); code != 0 || s.stdout(t) != "from profile\n" {
		t.Fatalf("sub: status %d, printed %q", code, s.stdout(t))
	}
	for name, text := range map[string]string{
		"password in file": "[test]\npassword = x\n",
		"unknown key":      "[test]\ncolour = red\n",
	} {
		write(cfg, text)
		r := run(t, "", nil, "pub", "--config", cfg, "--profile", "test", "-t", "a", "-m", "x")
		if r.code != exitUsage || !strings.Contains(r.stderr, cfg+":2") {
			t.Errorf("%s: status %d, stderr %q; want %d naming %s:2", name, r.code, r.stderr, exitUsage, cfg)
		}
	}
	if r := run(t, "", nil, "pub", "--config", cfg, "--profile", "missing", "-t", "a", "-m", "x"); r.code != exitUsage {
		t.Errorf("missing profile: status %d, want %d", r.code, exitUsage)
	}
}

// TestWill kills a client that set will flags and checks that the broker
// publishes its will.
func TestWill(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		hp := hostPort(srv.Addr())
		w := start(t, nil, args([]string{"sub", "-d", "-t", "will/w", "-C", "1", "-W", "15"}, hp)...)
		victim := start(t, nil, args([]string{"sub", "-d", "-t", "will/other", "--will-topic", "will/w", "--will-payload", "gone", "--will-qos", "1"}, hp)...)
		if err := victim.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		if code := w.wait(t, 20*time.Second); code != 0 || w.stdout(t) != "gone\n" {
			t.Fatalf("will subscriber: status %d, printed %q", code, w.stdout(t))
		}
	})
}
