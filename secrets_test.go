package mqttkit_test

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/packet"
)

// The test secrets: each is unique enough that finding it anywhere in the
// output means it leaked.
const (
	secretPassword   = "pw-Secret-71c2e9"
	secretSCRAM      = "scram-Secret-48ad1f"
	secretPassphrase = "pass-Secret-93be07"
)

var testSecrets = []string{secretPassword, secretSCRAM, secretPassphrase}

// TestSecretsNeverShown runs the client and the embedded broker, both
// logging everything (debug level) into one buffer, through every path
// that handles a secret — password login right and wrong, SCRAM right and
// wrong and re-authentication, an encrypted client key with the right and
// a wrong passphrase — and prints every error, client and packet that held
// one with %v, %+v, %s and %#v. None of the secrets may appear anywhere.
func TestSecretsNeverShown(t *testing.T) {
	logs := &mqtttest.LogBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dir := t.TempDir()
	certs := mqtttest.NewCerts(t)

	hash, err := bcrypt.GenerateFromPassword([]byte(secretPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(dir, "users")
	writeTestFile(t, users, "alice:"+string(hash)+"\n")
	scramFile := filepath.Join(dir, "scram")
	if err := broker.AddSCRAMUser(scramFile, "bob", secretSCRAM); err != nil {
		t.Fatal(err)
	}
	encKey := encryptKey(t, certs.ClientKey, filepath.Join(dir, "client-enc.key"), secretPassphrase)

	srv, err := broker.New(broker.Config{
		Addr: "127.0.0.1:0", TLSAddr: "127.0.0.1:0", TLSCertFile: certs.ServerCert, TLSKeyFile: certs.ServerKey,
		ClientCAFile: certs.CAFile, UsersFile: users, SCRAMFile: scramFile, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	plain, secure := "mqtt://"+srv.Addr(), "mqtts://"+srv.TLSAddr()

	var shown []string
	show := func(vs ...any) {
		for _, v := range vs {
			shown = append(shown, fmt.Sprintf("%v|%+v|%s|%#v", v, v, v, v))
		}
	}
	dialOK := func(url string, opts ...mqttkit.Option) *mqttkit.Client {
		t.Helper()
		c := dialURL(t, url, append([]mqttkit.Option{mqttkit.WithLogger(logger)}, opts...)...)
		show(c)
		return c
	}
	dialErr := func(url string, opts ...mqttkit.Option) {
		t.Helper()
		show(dialFail(t, url, append([]mqttkit.Option{mqttkit.WithLogger(logger)}, opts...)...))
	}

	roundTrip(t, dialOK(plain, mqttkit.WithCredentials("alice", secretPassword)), "secrets/password")
	dialErr(plain, mqttkit.WithCredentials("alice", "x"+secretPassword))
	dialErr("mqtt://alice:" + secretPassword + "x@" + srv.Addr())

	scramOK, err := mqttkit.SCRAM(mqttkit.SCRAMSHA256, "bob", secretSCRAM)
	if err != nil {
		t.Fatal(err)
	}
	show(scramOK)
	c := dialOK(plain, mqttkit.WithAuthenticator(scramOK))
	if err := c.Reauthenticate(testCtx(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "secrets/scram")
	scramBad, _ := mqttkit.SCRAM(mqttkit.SCRAMSHA512, "bob", "x"+secretSCRAM)
	dialErr(plain, mqttkit.WithAuthenticator(scramBad))
	flip := &flipAuth{good: scramOK, bad: scramBad}
	fc := dialOK(plain, mqttkit.WithAuthenticator(flip))
	show(fc.Reauthenticate(testCtx(t, 10*time.Second)))

	tlsOpts := []mqttkit.Option{mqttkit.WithCAFile(certs.CAFile), mqttkit.WithClientCertificate(certs.ClientCert, encKey), mqttkit.WithCredentials("alice", secretPassword)}
	roundTrip(t, dialOK(secure, append(tlsOpts, mqttkit.WithKeyPassphrase(secretPassphrase))...), "secrets/tls")
	ctx := testCtx(t, 5*time.Second)
	_, err = mqttkit.Dial(ctx, secure, append(tlsOpts, mqttkit.WithKeyPassphrase("x"+secretPassphrase), mqttkit.WithLogger(logger))...)
	if err == nil {
		t.Fatal("Dial with a wrong key passphrase succeeded")
	}
	show(err)

	show(
		packet.Connect{ClientID: "c", Username: "alice", HasUsername: true, Password: []byte(secretPassword), HasPassword: true},
		&packet.Connect{Password: []byte(secretPassword), HasPassword: true, Will: &packet.Will{Topic: "w"}},
		packet.Auth{ReasonCode: packet.ContinueAuthentication, Properties: packet.Properties{AuthenticationMethod: "SCRAM-SHA-256", AuthenticationData: []byte(secretSCRAM)}},
		&packet.Connack{Properties: packet.Properties{AuthenticationData: []byte(secretSCRAM)}},
	)

	_ = srv.Close()
	out := logs.String() + strings.Join(shown, "\n")
	if !strings.Contains(out, "alice") || !strings.Contains(strings.ToLower(out), "bad user") || !strings.Contains(out, "wrong passphrase") {
		t.Fatalf("the captured output lacks what the test expects to capture (user name, refusals): %.2000s", out)
	}
	for _, s := range testSecrets {
		if i := strings.Index(out, s); i >= 0 {
			t.Errorf("secret %q leaked: …%s…", s, out[max(0, i-300):min(len(out), i+100)])
		}
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// encryptKey writes keyFile encrypted with passphrase (legacy PEM
// encryption, which Go can still write; OpenSSL's PKCS #8 form is tested in
// internal/transport).
func encryptKey(t *testing.T, keyFile, out, passphrase string) string {
	t.Helper()
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	enc, err := x509.EncryptPEMBlock(rand.Reader, "PRIVATE KEY", block.Bytes, []byte(passphrase), x509.PEMCipherAES256) //nolint:staticcheck // test data for the legacy reader
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, out, string(pem.EncodeToMemory(enc)))
	return out
}
