package mqttkit_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xdg-go/scram"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/packet"
)

const scramPassword = "scr4m-Pa55word-3e1d"

// scramBroker starts an embedded broker with a SCRAM file for alice (both
// mechanisms) and refuses anonymous clients.
func scramBroker(t *testing.T) *mqtttest.Broker {
	t.Helper()
	var lines []string
	for _, mech := range []string{broker.SCRAMSHA256, broker.SCRAMSHA512} {
		l, err := broker.SCRAMCredential(mech, "alice", scramPassword)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	file := filepath.Join(t.TempDir(), "scram")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return mqtttest.NewBroker(t, mqtttest.WithoutPersistence(), mqtttest.WithBrokerConfig(func(c *broker.Config) { c.SCRAMFile = file }))
}

func mustSCRAM(t *testing.T, mech, user, password string) mqttkit.Authenticator {
	t.Helper()
	a, err := mqttkit.SCRAM(mech, user, password)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSCRAM(t *testing.T) {
	b := scramBroker(t)
	for _, mech := range []string{mqttkit.SCRAMSHA256, mqttkit.SCRAMSHA512} {
		t.Run(mech, func(t *testing.T) {
			c := dialURL(t, b.URL(), mqttkit.WithAuthenticator(mustSCRAM(t, mech, "alice", scramPassword)))
			roundTrip(t, c, "scram/"+mech)
			for _, tc := range []struct {
				name, user, password string
				want                 error
			}{
				{"wrong password", "alice", "wrong-" + scramPassword, mqttkit.ErrBadCredentials},
				{"unknown user", "mallory", scramPassword, mqttkit.ErrBadCredentials},
			} {
				t.Run(tc.name, func(t *testing.T) {
					err := dialFail(t, b.URL(), mqttkit.WithAuthenticator(mustSCRAM(t, mech, tc.user, tc.password)))
					if !errors.Is(err, tc.want) {
						t.Fatalf("Dial: %v, want %v", err, tc.want)
					}
				})
			}
		})
	}
	t.Run("anonymous refused", func(t *testing.T) {
		if err := dialFail(t, b.URL()); !errors.Is(err, mqttkit.ErrBadCredentials) {
			t.Fatalf("Dial without credentials: %v, want %v", err, mqttkit.ErrBadCredentials)
		}
	})
}

// TestSCRAMUnsupported: a broker without SCRAM (the embedded one without a
// SCRAM file, and Mosquitto 2.0.11, which has no SCRAM without a plugin)
// answers CONNACK 0x8C, Bad authentication method, and Dial stops at once.
func TestSCRAMUnsupported(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		err := dialFail(t, srv.URL(), mqttkit.WithAuthenticator(mustSCRAM(t, mqttkit.SCRAMSHA256, "alice", scramPassword)))
		var re *mqttkit.ReasonError
		if !errors.As(err, &re) || re.Code != packet.BadAuthenticationMethod {
			t.Fatalf("Dial: %v, want CONNACK 0x8C", err)
		}
	}, mqtttest.WithoutPersistence())
}

// flipAuth authenticates with good for its first exchange and bad after.
type flipAuth struct {
	good, bad mqttkit.Authenticator
	starts    int
}

func (f *flipAuth) Method() string { return f.good.Method() }

func (f *flipAuth) Start() (mqttkit.AuthExchange, []byte, error) {
	f.starts++
	if f.starts == 1 {
		return f.good.Start()
	}
	return f.bad.Start()
}

func TestSCRAMReauthenticate(t *testing.T) {
	b := scramBroker(t)
	c := dialURL(t, b.URL(), mqttkit.WithAuthenticator(mustSCRAM(t, mqttkit.SCRAMSHA256, "alice", scramPassword)))
	for i := range 3 {
		if err := c.Reauthenticate(testCtx(t, 10*time.Second)); err != nil {
			t.Fatalf("Reauthenticate #%d: %v", i+1, err)
		}
	}
	roundTrip(t, c, "scram/reauth")

	t.Run("after a reconnect", func(t *testing.T) {
		reconnected := make(chan struct{}, 1)
		c := dialURL(t, b.URL(), mqttkit.WithAuthenticator(mustSCRAM(t, mqttkit.SCRAMSHA512, "alice", scramPassword)),
			mqttkit.OnReconnect(func(*mqttkit.Client, mqttkit.ConnectInfo) { reconnected <- struct{}{} }))
		b.DropClients()
		select {
		case <-reconnected:
		case <-time.After(10 * time.Second):
			t.Fatal("no reconnect within 10s: the SCRAM exchange of the new connection failed")
		}
		if err := c.Reauthenticate(testCtx(t, 10*time.Second)); err != nil {
			t.Fatalf("Reauthenticate on the new connection: %v", err)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		f := &flipAuth{good: mustSCRAM(t, mqttkit.SCRAMSHA256, "alice", scramPassword), bad: mustSCRAM(t, mqttkit.SCRAMSHA256, "alice", "wrong")}
		c := dialURL(t, b.URL(), mqttkit.WithAuthenticator(f))
		err := c.Reauthenticate(testCtx(t, 10*time.Second))
		if !errors.Is(err, mqttkit.ErrNotAuthorized) {
			t.Fatalf("Reauthenticate with a wrong password: %v, want %v", err, mqttkit.ErrNotAuthorized)
		}
	})
	t.Run("without authenticator", func(t *testing.T) {
		plain := dialURL(t, mqtttest.NewBroker(t, mqtttest.WithoutPersistence()).URL())
		if err := plain.Reauthenticate(testCtx(t, 5*time.Second)); !errors.Is(err, mqttkit.ErrNoAuthenticator) {
			t.Fatalf("Reauthenticate: %v, want ErrNoAuthenticator", err)
		}
	})
}

// TestSCRAMServerProof runs the client's side against a SCRAM server
// conversation (the library's, not a broker) and checks that a final
// message without the server's proof is refused.
func TestSCRAMServerProof(t *testing.T) {
	cl, _ := scram.SHA256.NewClient("alice", scramPassword, "")
	stored := cl.GetStoredCredentials(scram.KeyFactors{Salt: "0123456789abcdef", Iters: 4096})
	srv, _ := scram.SHA256.NewServer(func(string) (scram.StoredCredentials, error) { return stored, nil })
	for _, tc := range []struct {
		name    string
		tamper  func(string) string
		wantErr bool
	}{
		{"genuine", func(s string) string { return s }, false},
		{"forged proof", func(string) string { return "v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" }, true},
		{"empty", func(string) string { return "" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := mustSCRAM(t, mqttkit.SCRAMSHA256, "alice", scramPassword)
			ex, first, err := a.Start()
			if err != nil {
				t.Fatal(err)
			}
			conv := srv.NewConversation()
			s1, err := conv.Step(string(first))
			if err != nil {
				t.Fatal(err)
			}
			c2, err := ex.Continue([]byte(s1))
			if err != nil {
				t.Fatal(err)
			}
			s2, err := conv.Step(string(c2))
			if err != nil {
				t.Fatal(err)
			}
			err = ex.Finish([]byte(tc.tamper(s2)))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Finish: %v, want error %v", err, tc.wantErr)
			}
		})
	}
	a := mustSCRAM(t, mqttkit.SCRAMSHA512, "alice", scramPassword)
	for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%+v", a), fmt.Sprintf("%#v", a)} {
		if strings.Contains(s, scramPassword) {
			t.Fatalf("the authenticator prints its password: %s", s)
		}
	}
}
