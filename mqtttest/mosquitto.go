package mqtttest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/internal/procstat"
)

// MosquittoServer is a real mosquitto process started for one test.
type MosquittoServer struct {
	t      testing.TB
	bin    string
	conf   string
	port   int
	log    *testLog
	proxy  *Proxy
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	paused bool
}

var _ Server = (*MosquittoServer)(nil)

// requireMosquitto reports whether a missing mosquitto fails tests rather
// than skipping them.
func requireMosquitto() bool { return os.Getenv("MQTTKIT_REQUIRE_MOSQUITTO") == "1" }

// mosquittoPath finds the mosquitto binary, also in /usr/sbin, which is
// not on every user's PATH.
func mosquittoPath() (string, error) {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err == nil {
		return "/usr/sbin/mosquitto", nil
	}
	return "", errors.New("mosquitto is not installed (apt-get install mosquitto mosquitto-clients)")
}

// Mosquitto starts mosquitto with a config generated in t.TempDir(),
// listening on a free 127.0.0.1 port, waits until it accepts connections
// and stops it when the test ends. Persistence is on (in t.TempDir()) so
// Restart keeps state. It skips the test when mosquitto is not installed,
// unless MQTTKIT_REQUIRE_MOSQUITTO=1, where it fails it.
func Mosquitto(t testing.TB, opts ...Option) *MosquittoServer {
	t.Helper()
	o := buildOptions(opts)
	if o.brokerConfig != nil {
		t.Fatal("mqtttest: WithBrokerConfig applies to the embedded broker only; do not pass it to Mosquitto or EachBroker")
	}
	return launchMosquitto(t, func(dir string, port int) string { return mosquittoConfig(t, o, dir, port) })
}

// launchMosquitto starts mosquitto with the config that config renders for
// a free port (and a directory for its files), skipping or failing the
// test when mosquitto is not installed, and stops it when the test ends.
func launchMosquitto(t testing.TB, config func(dir string, port int) string) *MosquittoServer {
	t.Helper()
	bin, err := mosquittoPath()
	if err != nil {
		if requireMosquitto() {
			t.Fatalf("mqtttest: MQTTKIT_REQUIRE_MOSQUITTO=1 but %v", err)
		}
		t.Skipf("mqtttest: skipping: %v", err)
	}
	dir := t.TempDir()
	m := &MosquittoServer{t: t, bin: bin, log: newTestLog(t, "mosquitto: ")}
	t.Cleanup(m.stop)
	// A free port can be taken between choosing and binding it; try a few.
	for attempt := 0; ; attempt++ {
		m.port = freePort(t)
		m.conf = filepath.Join(dir, "mosquitto.conf")
		if err := os.WriteFile(m.conf, []byte(config(dir, m.port)), 0o600); err != nil {
			t.Fatalf("mqtttest: writing mosquitto config: %v", err)
		}
		err := m.start()
		if err == nil {
			break
		}
		if attempt == 2 {
			t.Fatalf("mqtttest: %v", err)
		}
	}
	m.proxy = NewProxy(t, m.addr())
	return m
}

// mosquittoConfig renders the config file for o.
func mosquittoConfig(t testing.TB, o options, dir string, port int) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "listener %d 127.0.0.1\n", port)
	if os.Geteuid() == 0 {
		// As root, mosquitto drops to user "mosquitto", which cannot write
		// persistence into root's temp dir; it would fail silently.
		b.WriteString("user root\n")
	}
	if len(o.users) > 0 {
		pw := filepath.Join(dir, "passwd")
		for i, u := range o.users {
			args := []string{"-b", pw, u.name, u.password}
			if i == 0 {
				args = append([]string{"-c"}, args...)
			}
			if out, err := exec.Command("mosquitto_passwd", args...).CombinedOutput(); err != nil {
				t.Fatalf("mqtttest: mosquitto_passwd: %v: %s", err, out)
			}
		}
		fmt.Fprintf(&b, "allow_anonymous false\npassword_file %s\n", pw)
	} else {
		b.WriteString("allow_anonymous true\n")
	}
	if !o.noPersistence {
		data := o.dataDir
		if data == "" {
			data = dir
		}
		fmt.Fprintf(&b, "persistence true\npersistence_location %s/\n", strings.TrimSuffix(data, "/"))
	}
	maxQueued := o.maxQueued
	if maxQueued == 0 {
		maxQueued = 8192
	}
	fmt.Fprintf(&b, "max_queued_messages %d\n", maxQueued)
	if o.receiveMaximum != 0 {
		fmt.Fprintf(&b, "max_inflight_messages %d\n", o.receiveMaximum)
	}
	b.WriteString("log_dest stderr\nlog_timestamp_format %H:%M:%S\n")
	if o.debug {
		b.WriteString("log_type all\n")
	} else {
		b.WriteString("log_type error\nlog_type warning\nconnection_messages false\n")
	}
	return b.String()
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mqtttest: no free loopback port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (m *MosquittoServer) addr() string { return "127.0.0.1:" + strconv.Itoa(m.port) }

// start runs mosquitto and waits until it accepts connections.
func (m *MosquittoServer) start() error {
	cmd := exec.Command(m.bin, "-c", m.conf)
	cmd.Stdout = m.log
	cmd.Stderr = m.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting mosquitto: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	m.cmd, m.exited = cmd, exited
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", m.addr(), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("mosquitto exited at start (%v); its log above says why", cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			m.kill()
			return fmt.Errorf("mosquitto did not accept connections on %s within 10s", m.addr())
		}
	}
}

// terminate stops mosquitto with SIGTERM, which makes it save its
// persistence file, and waits; after 10s it kills it.
func (m *MosquittoServer) terminate() {
	if m.cmd == nil {
		return
	}
	if m.paused {
		_ = m.cmd.Process.Signal(syscall.SIGCONT)
		m.paused = false
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		m.t.Errorf("mqtttest: mosquitto ignored SIGTERM for 10s; killing it")
		m.kill()
	}
	m.cmd = nil
}

func (m *MosquittoServer) kill() {
	_ = m.cmd.Process.Kill()
	<-m.exited
}

func (m *MosquittoServer) stop() { m.terminate() }

// Name is "mosquitto".
func (m *MosquittoServer) Name() string { return "mosquitto" }

// URL is "mqtt://127.0.0.1:PORT" through the proxy.
func (m *MosquittoServer) URL() string { return m.proxy.URL() }

// Addr is "127.0.0.1:PORT" through the proxy.
func (m *MosquittoServer) Addr() string { return m.proxy.Addr() }

// DirectURL reaches mosquitto without the proxy.
func (m *MosquittoServer) DirectURL() string { return "mqtt://" + m.addr() }

// Proxy is the proxy in front of mosquitto.
func (m *MosquittoServer) Proxy() *Proxy { return m.proxy }

// DropClients closes every client connection made through URL (mosquitto
// offers no clean way to drop clients from outside).
func (m *MosquittoServer) DropClients() { m.proxy.DropAll() }

// Restart stops mosquitto with SIGTERM (it writes its persistence file) and
// starts it again on the same port with the same config.
func (m *MosquittoServer) Restart() {
	m.t.Helper()
	m.terminate()
	if err := m.start(); err != nil {
		m.t.Fatalf("mqtttest: restarting mosquitto: %v", err)
	}
}

// Pause stops the mosquitto process (SIGSTOP): connections stay open, bytes
// wait in kernel buffers, nothing is processed until Resume.
func (m *MosquittoServer) Pause() {
	if m.cmd != nil && !m.paused {
		_ = m.cmd.Process.Signal(syscall.SIGSTOP)
		m.paused = true
	}
}

// CPU returns the CPU time (user + system) the running mosquitto process
// has used: benchmarks report it beside the clients' figures, because a
// single-threaded broker at a full core is then the limit of the run.
// Like Pause and Restart it is not safe for concurrent use with them.
func (m *MosquittoServer) CPU() (time.Duration, error) {
	if m.cmd == nil {
		return 0, errors.New("mqtttest: mosquitto is not running")
	}
	return procstat.CPU(m.cmd.Process.Pid)
}

// Resume continues a paused mosquitto (SIGCONT).
func (m *MosquittoServer) Resume() {
	if m.cmd != nil && m.paused {
		_ = m.cmd.Process.Signal(syscall.SIGCONT)
		m.paused = false
	}
}
