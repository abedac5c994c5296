package broker_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
	"golang.org/x/crypto/bcrypt"
)

func TestUsersFileAuthentication(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users")
	if err := broker.AddUser(users, "alice", "wonderland"); err != nil {
		t.Fatal(err)
	}
	if err := broker.AddUser(users, "bob", "old"); err != nil {
		t.Fatal(err)
	}
	if err := broker.AddUser(users, "bob", "builder"); err != nil { // replaces
		t.Fatal(err)
	}
	if fi, err := os.Stat(users); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("users file mode %v (err %v), want 0600", fi.Mode().Perm(), err)
	}
	_, addr := start(t, func(c *broker.Config) { c.UsersFile = users })

	for _, tc := range []struct {
		name      string
		user, pwd string
		wantCode  byte
	}{
		{"right password", "alice", "wonderland", 0},
		{"replaced password", "bob", "builder", 0},
		{"old password after replacement", "bob", "old", 0x86},
		{"wrong password", "alice", "nope", 0x86},
		{"unknown user", "mallory", "wonderland", 0x86},
		{"anonymous", "", "", 0x86},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := pahotest.Dial(t, addr, pahotest.Options{Username: tc.user, Password: tc.pwd})
			if c == nil || c.Connack == nil {
				t.Fatalf("no CONNACK: %v", err)
			}
			if c.Connack.ReasonCode != tc.wantCode {
				t.Fatalf("CONNACK reason 0x%02X, want 0x%02X", c.Connack.ReasonCode, tc.wantCode)
			}
		})
	}
}

func TestAddUserRejectsBadInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	for _, tc := range []struct{ name, user, pwd string }{
		{"empty name", "", "x"},
		{"colon in name", "a:b", "x"},
		{"space in name", "a b", "x"},
		{"empty password", "alice", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := broker.AddUser(path, tc.user, tc.pwd); err == nil {
				t.Fatal("AddUser accepted it")
			}
		})
	}
}

func TestBadUsersFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte("alice:not-a-hash\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := broker.New(broker.Config{UsersFile: path}); err == nil {
		t.Fatal("New accepted a users file without a bcrypt hash")
	}
	if _, err := broker.New(broker.Config{UsersFile: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Fatal("New accepted a missing users file")
	}
}

func TestAnonymousOnlyOnLoopbackByDefault(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     broker.Config
		wantErr bool
	}{
		{"default address", broker.Config{}, false},
		{"loopback v4", broker.Config{Addr: "127.0.0.1:0"}, false},
		{"loopback v6", broker.Config{Addr: "[::1]:0"}, false},
		{"localhost", broker.Config{Addr: "localhost:0"}, false},
		{"all interfaces", broker.Config{Addr: "0.0.0.0:0"}, true},
		{"empty host", broker.Config{Addr: ":1883"}, true},
		{"websocket on all interfaces", broker.Config{Addr: "127.0.0.1:0", WebSocketAddr: ":0"}, true},
		{"all interfaces, anonymous allowed", broker.Config{Addr: "0.0.0.0:0", AllowAnonymous: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := broker.New(tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Fatalf("New: %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestACLCodes(t *testing.T) {
	acl := filepath.Join(t.TempDir(), "acl")
	if err := os.WriteFile(acl, []byte(`
# everyone
read public/#
readwrite devices/%c/#

user alice
readwrite alice/#
write orders/%u/+
`), 0o600); err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(t.TempDir(), "users")
	if err := broker.AddUser(users, "alice", "pw"); err != nil {
		t.Fatal(err)
	}
	_, addr := start(t, func(c *broker.Config) { c.UsersFile = users; c.ACLFile = acl })
	c := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "dev1", Username: "alice", Password: "pw"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	t.Run("subscribe", func(t *testing.T) {
		for _, tc := range []struct {
			filter string
			want   byte
		}{
			{"public/news", 1},
			{"public/#", 1},
			{"alice/x/y", 1},
			{"devices/dev1/state", 1},
			{"$share/g/public/+", 1},
			{"private/x", 0x87},
			{"#", 0x87},
			{"devices/dev2/state", 0x87},
			{"devices/+/state", 0x87},
			{"orders/alice/1", 0x87}, // write only
			{"$share/g/private/x", 0x87},
		} {
			sa, err := c.Client.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: tc.filter, QoS: 1}}})
			if err != nil && sa == nil {
				t.Fatalf("%s: %v", tc.filter, err)
			}
			if len(sa.Reasons) != 1 || sa.Reasons[0] != tc.want {
				t.Errorf("SUBSCRIBE %s: SUBACK %v, want [0x%02X]", tc.filter, sa.Reasons, tc.want)
			}
		}
	})
	t.Run("publish", func(t *testing.T) {
		for _, tc := range []struct {
			topic string
			qos   byte
			want  byte
		}{
			{"alice/x", 1, 0},
			{"orders/alice/7", 1, 0},
			{"devices/dev1/state", 2, 0},
			{"public/news", 1, 0x87},
			{"orders/bob/7", 1, 0x87},
			{"orders/alice/7/extra", 1, 0x87},
			{"private/x", 2, 0x87},
		} {
			r, err := c.Client.Publish(ctx, &paho.Publish{Topic: tc.topic, QoS: tc.qos, Payload: []byte("x")})
			if r == nil {
				t.Fatalf("PUBLISH %s: no response: %v", tc.topic, err)
			}
			if r.ReasonCode != tc.want {
				t.Errorf("PUBLISH %s QoS %d: reason 0x%02X, want 0x%02X", tc.topic, tc.qos, r.ReasonCode, tc.want)
			}
		}
	})
}

func TestHashPassword(t *testing.T) {
	if broker.ShippedHashCost != bcrypt.DefaultCost {
		t.Fatalf("HashPassword uses cost %d, want bcrypt's default %d", broker.ShippedHashCost, bcrypt.DefaultCost)
	}
	h, err := broker.HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("pw")) != nil {
		t.Fatal("hash does not verify its password")
	}
	if _, err := broker.HashPassword(""); err == nil {
		t.Fatal("HashPassword accepted an empty password")
	}
}
