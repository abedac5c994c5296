package mqtttest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mqttkit/mqttkit/broker"
	"golang.org/x/crypto/bcrypt"
)

// Broker is an embedded broker (package broker) started for one test.
type Broker struct {
	t     testing.TB
	cfg   broker.Config
	srv   *broker.Server
	addr  string // the broker's own address, kept across restarts
	proxy *Proxy
}

var _ Server = (*Broker)(nil)

// NewBroker starts an embedded broker on a free 127.0.0.1 port, logging to
// t.Log, and closes it when the test ends. Its state lives in t.TempDir()
// (without fsync) so that Restart keeps it.
func NewBroker(t testing.TB, opts ...Option) *Broker {
	t.Helper()
	o := buildOptions(opts)
	log := newTestLog(t, "broker: ")
	cfg := broker.Config{
		Addr:   "127.0.0.1:0",
		Logger: log.logger(o.debug),
		NoSync: true,
		Limits: broker.Limits{
			ReceiveMaximum:    o.receiveMaximum,
			MaxQueuedMessages: o.maxQueued,
		},
	}
	if !o.noPersistence {
		cfg.DataDir = o.dataDir
		if cfg.DataDir == "" {
			cfg.DataDir = t.TempDir()
		}
	}
	if len(o.users) > 0 {
		cfg.UsersFile = writeUsersFile(t, o.users)
	}
	if o.brokerConfig != nil {
		o.brokerConfig(&cfg)
	}
	b := &Broker{t: t, cfg: cfg}
	b.start()
	b.addr = b.srv.Addr()
	b.cfg.Addr = b.addr
	b.proxy = NewProxy(t, b.addr)
	t.Cleanup(b.close)
	return b
}

func (b *Broker) start() {
	b.t.Helper()
	srv, err := broker.New(b.cfg)
	if err != nil {
		b.t.Fatalf("mqtttest: %v", err)
	}
	if err := srv.Start(); err != nil {
		b.t.Fatalf("mqtttest: %v", err)
	}
	b.srv = srv
}

func (b *Broker) close() {
	if err := b.srv.Close(); err != nil {
		b.t.Errorf("mqtttest: closing broker: %v", err)
	}
}

// Name is "embedded".
func (b *Broker) Name() string { return "embedded" }

// URL is "mqtt://127.0.0.1:PORT" through the proxy.
func (b *Broker) URL() string { return b.proxy.URL() }

// Addr is "127.0.0.1:PORT" through the proxy.
func (b *Broker) Addr() string { return b.proxy.Addr() }

// DirectURL reaches the broker without the proxy.
func (b *Broker) DirectURL() string { return "mqtt://" + b.addr }

// Proxy is the proxy in front of the broker.
func (b *Broker) Proxy() *Proxy { return b.proxy }

// Server is the running broker.Server, e.g. for Stats. It changes on
// Restart.
func (b *Broker) Server() *broker.Server { return b.srv }

// DropClients closes every client connection made through URL.
func (b *Broker) DropClients() { b.proxy.DropAll() }

// Restart closes the broker (clients get DISCONNECT 0x8B) and starts a new
// one on the same port and the same data directory, so persistent state
// survives; with WithoutPersistence it starts empty.
func (b *Broker) Restart() {
	b.t.Helper()
	b.close()
	b.start()
}

// Pause stalls every connection made through URL (the embedded broker has
// no process to stop): nothing is forwarded either way until Resume.
func (b *Broker) Pause() { b.proxy.Pause() }

// Resume undoes Pause.
func (b *Broker) Resume() { b.proxy.Resume() }

// writeUsersFile writes a users file in broker's format ("name:bcrypt-hash"
// lines) at bcrypt's minimum cost: broker.AddUser's default cost takes about
// a second per hash and per login under the race detector, which tests do
// not need.
func writeUsersFile(t testing.TB, users []user) string {
	t.Helper()
	var b strings.Builder
	for _, u := range users {
		h, err := bcrypt.GenerateFromPassword([]byte(u.password), bcrypt.MinCost)
		if err != nil {
			t.Fatalf("mqtttest: hashing the password of %q: %v", u.name, err)
		}
		fmt.Fprintf(&b, "%s:%s\n", u.name, h)
	}
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatalf("mqtttest: writing users file: %v", err)
	}
	return path
}
