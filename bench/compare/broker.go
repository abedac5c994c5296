package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// mosquittoConfig is the fixed broker configuration of the comparison:
// no queue limit (max_queued_messages 0), so that no client loses messages
// to the broker; 1000 messages in flight per client each way; Nagle off, as
// every client here sets TCP_NODELAY; root, so that the broker keeps running
// as the user that started it.
func mosquittoConfig(port int) string {
	return fmt.Sprintf(`listener %d 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_inflight_messages 1000
set_tcp_nodelay true
user root
log_dest stderr
log_type error
log_type warning
`, port)
}

// broker is a running Mosquitto.
type broker struct {
	cmd  *exec.Cmd
	port int
}

// startMosquitto starts bin with the fixed configuration on a free port in
// dir and waits until it accepts connections.
func startMosquitto(bin, dir string) (*broker, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(mosquittoConfig(port)), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-c", conf)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w (install it with apt-get install mosquitto, or give -mosquitto)", bin, err)
	}
	b := &broker{cmd: cmd, port: port}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", b.addr()); err == nil {
			c.Close()
			return b, nil
		}
	}
	b.stop()
	return nil, fmt.Errorf("mosquitto did not listen on %s within 5 s", b.addr())
}

func (b *broker) addr() string { return "127.0.0.1:" + strconv.Itoa(b.port) }

func (b *broker) stop() {
	_ = b.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-done
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// loadAverage returns the first line of /proc/loadavg, for the record.
func loadAverage() string {
	f, err := os.Open("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Scan()
	return s.Text()
}
