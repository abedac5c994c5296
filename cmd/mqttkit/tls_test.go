package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest"
)

const keyPassphrase = "k3y-Pa55phrase-77aa"

// brokerCert runs `mqttkit broker cert` into a new directory and returns
// the files as mqtttest.Certs.
func brokerCert(t *testing.T, clients ...string) *mqtttest.Certs {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "certs")
	a := []string{"broker", "cert", "--dir", dir, "--host", "127.0.0.1", "--host", "localhost"}
	for _, c := range clients {
		a = append(a, "--client", c)
	}
	r := run(t, "", nil, a...)
	if r.code != 0 {
		t.Fatalf("broker cert: status %d: %s", r.code, r.stderr)
	}
	c := &mqtttest.Certs{Dir: dir, CAFile: filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server.pem"), ServerKey: filepath.Join(dir, "server.key")}
	if len(clients) > 0 {
		c.ClientCert, c.ClientKey = filepath.Join(dir, clients[0]+".pem"), filepath.Join(dir, clients[0]+".key")
	}
	return c
}

func TestBrokerCert(t *testing.T) {
	certs := brokerCert(t, "alice")
	for name, mode := range map[string]os.FileMode{"ca.pem": 0o644, "ca.key": 0o600, "server.pem": 0o644, "server.key": 0o600, "alice.pem": 0o644, "alice.key": 0o600} {
		st, err := os.Stat(filepath.Join(certs.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", name, st.Mode().Perm(), mode)
		}
	}
	caBefore, _ := os.ReadFile(certs.CAFile)
	r := run(t, "", nil, "broker", "cert", "--dir", certs.Dir, "--client", "bob")
	if r.code != 0 || !strings.Contains(r.stdout, "bob.pem") || strings.Contains(r.stdout, "ca.pem") {
		t.Fatalf("second run: status %d, stdout %q, stderr %q; want only bob's files written", r.code, r.stdout, r.stderr)
	}
	caAfter, _ := os.ReadFile(certs.CAFile)
	if !bytes.Equal(caBefore, caAfter) {
		t.Fatal("the second run replaced the CA")
	}
	again := run(t, "", nil, "broker", "cert", "--dir", certs.Dir, "--client", "bob")
	if again.code == 0 || !strings.Contains(again.stderr, "never overwritten") {
		t.Fatalf("issuing bob twice: status %d, stderr %q; want a refusal to overwrite", again.code, again.stderr)
	}
}

// tlsTarget is a TLS broker for the CLI tests, started with the files of
// `mqttkit broker cert`, requiring client certificates as identity.
type tlsTarget struct {
	name  string
	start func(t *testing.T, certs *mqtttest.Certs) string // returns the mqtts:// URL
}

var tlsTargets = []tlsTarget{
	{"embedded", func(t *testing.T, certs *mqtttest.Certs) string {
		return mqtttest.NewBroker(t, mqtttest.WithoutPersistence(), mqtttest.WithUser("nobody", "x"), mqtttest.WithTLS(certs, func(c *broker.Config) {
			c.RequireClientCertificate, c.CertificateIdentityAsUsername = true, true
		})).TLSURL()
	}},
	{"mosquitto", func(t *testing.T, certs *mqtttest.Certs) string {
		return mqtttest.MosquittoTLS(t, certs, mqtttest.MosquittoTLSConfig{RequireCertificate: true, IdentityAsUsername: true}).TLSURL()
	}},
}

// TestCLIMutualTLS runs sub and pub with the certificates of `broker cert`
// against both brokers, one of them with an encrypted key whose passphrase
// comes from a file and from MQTTKIT_KEY_PASSPHRASE.
func TestCLIMutualTLS(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed; it encrypts the key of this test")
	}
	for _, target := range tlsTargets {
		t.Run(target.name, func(t *testing.T) {
			certs := brokerCert(t, "alice")
			url := target.start(t, certs)
			encKey := filepath.Join(certs.Dir, "alice-enc.key")
			passFile := filepath.Join(certs.Dir, "pass")
			if err := os.WriteFile(passFile, []byte(keyPassphrase+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("openssl", "pkey", "-in", certs.ClientKey, "-out", encKey, "-aes-256-cbc", "-passout", "file:"+passFile).CombinedOutput(); err != nil {
				t.Fatalf("openssl: %v: %s", err, out)
			}
			tlsArgs := []string{"-L", url, "--cafile", certs.CAFile, "--cert", certs.ClientCert}
			s := start(t, nil, args([]string{"sub", "-d", "-t", "mtls/cli", "-C", "1", "-W", "15", "--key", encKey, "--key-passphrase-file", passFile}, tlsArgs)...)
			r := run(t, "", []string{"MQTTKIT_KEY_PASSPHRASE=" + keyPassphrase}, args([]string{"pub", "-d", "-t", "mtls/cli", "-m", "over mTLS", "-q", "1", "--key", encKey}, tlsArgs)...)
			if r.code != 0 {
				t.Fatalf("pub: status %d: %s", r.code, r.stderr)
			}
			if code := s.wait(t, 20*time.Second); code != 0 {
				t.Fatalf("sub: status %d: %s", code, s.stderrText())
			}
			if out := s.stdout(t); !strings.Contains(out, "over mTLS") {
				t.Fatalf("sub printed %q", out)
			}
			wrong := run(t, "", []string{"MQTTKIT_KEY_PASSPHRASE=wrong-" + keyPassphrase}, args([]string{"pub", "-t", "mtls/cli", "-m", "x", "--key", encKey}, tlsArgs)...)
			if wrong.code == 0 || !strings.Contains(wrong.stderr, "wrong passphrase") {
				t.Fatalf("wrong passphrase: status %d, stderr %q", wrong.code, wrong.stderr)
			}
			noCert := run(t, "", nil, "pub", "-L", url, "--cafile", certs.CAFile, "-t", "mtls/cli", "-m", "x")
			if noCert.code != exitConnect || !strings.Contains(noCert.stderr, "client certificate") {
				t.Fatalf("without a client certificate: status %d, stderr %q; want %d and a message about the client certificate", noCert.code, noCert.stderr, exitConnect)
			}
			noCA := run(t, "", nil, "pub", "-L", url, "-t", "mtls/cli", "-m", "x")
			if noCA.code != exitConnect || !strings.Contains(noCA.stderr, "--cafile") {
				t.Fatalf("without the CA: status %d, stderr %q; want %d and a hint to use --cafile", noCA.code, noCA.stderr, exitConnect)
			}
			for name, text := range map[string]string{"pub": r.stdout + r.stderr, "sub": s.stdout(t) + s.stderrText(), "wrong": wrong.stdout + wrong.stderr} {
				if strings.Contains(text, keyPassphrase) {
					t.Fatalf("the key passphrase appears in the output of %s", name)
				}
			}
		})
	}
}

func TestCLIInsecure(t *testing.T) {
	certs := brokerCert(t)
	b := mqtttest.NewBroker(t, mqtttest.WithoutPersistence(), mqtttest.WithTLS(certs, nil))
	url := b.TLSURL()
	r := run(t, "", nil, "pub", "--quiet", "-L", url, "--insecure", "-t", "insecure/t", "-m", "x")
	if r.code != 0 || !strings.Contains(r.stderr, "not verified") {
		t.Fatalf("--insecure --quiet: status %d, stderr %q; want success and a warning even with --quiet", r.code, r.stderr)
	}
	creds := run(t, "", []string{"MQTTKIT_PASSWORD=" + secret}, "pub", "-L", url, "--insecure", "-u", "alice", "-t", "insecure/t", "-m", "x")
	if creds.code != exitUsage || !strings.Contains(creds.stderr, "--insecure-send-credentials") {
		t.Fatalf("--insecure with credentials: status %d, stderr %q; want %d naming --insecure-send-credentials", creds.code, creds.stderr, exitUsage)
	}
	forced := run(t, "", []string{"MQTTKIT_PASSWORD=" + secret}, "pub", "-L", url, "--insecure", "--insecure-send-credentials", "-u", "alice", "-t", "insecure/t", "-m", "x")
	if forced.code != 0 || !strings.Contains(forced.stderr, "not verified") || strings.Contains(forced.stderr, secret) {
		t.Fatalf("--insecure-send-credentials: status %d, stderr %q; want success with a warning", forced.code, forced.stderr)
	}
}

func TestCLITLSFlagErrors(t *testing.T) {
	certs := brokerCert(t, "alice")
	empty := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"cafile with mqtt URL", []string{"-L", "mqtt://127.0.0.1:1883", "--cafile", certs.CAFile}, "need a TLS server"},
		{"old TLS version", []string{"-L", "mqtts://127.0.0.1:1", "--tls-version", "tlsv1.0"}, "use tlsv1.2 or tlsv1.3"},
		{"cert without key", []string{"-L", "mqtts://127.0.0.1:1", "--cert", certs.ClientCert}, "--cert and --key go together"},
		{"empty capath", []string{"-L", "mqtts://127.0.0.1:1", "--capath", empty}, "no *.pem, *.crt or c_rehash"},
		{"ws header without ws URL", []string{"-L", "mqtts://127.0.0.1:1", "--ws-header", "X: y"}, "needs a ws:// or wss://"},
		{"malformed ws header", []string{"-L", "ws://127.0.0.1:1/mqtt", "--ws-header", "no colon"}, `"Name: value"`},
		{"unknown scheme", []string{"-L", "http://127.0.0.1:1"}, "not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", nil, args([]string{"pub", "-t", "x", "-m", "y"}, tc.args)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("status %d, stderr %q; want %d and %q", r.code, r.stderr, exitUsage, tc.want)
			}
		})
	}
}

// TestCLIWebSocket publishes over ws:// with an extra header and
// subscribes over wss:// trusting a --capath directory.
func TestCLIWebSocket(t *testing.T) {
	certs := brokerCert(t)
	b := mqtttest.NewBroker(t, mqtttest.WithoutPersistence(), mqtttest.WithTLS(certs, nil))
	// A c_rehash-style directory, as Mosquitto's capath expects.
	hashed := t.TempDir()
	if err := os.Symlink(certs.CAFile, filepath.Join(hashed, "0a1b2c3d.0")); err != nil {
		t.Fatal(err)
	}
	s := start(t, nil, "sub", "-d", "-L", b.SecureWebSocketURL(), "--capath", hashed, "-t", "ws/cli", "-C", "1", "-W", "15")
	r := run(t, "", nil, "pub", "-L", b.WebSocketURL(), "--ws-header", "X-Tenant: t1", "-t", "ws/cli", "-m", "over websocket", "-q", "1")
	if r.code != 0 {
		t.Fatalf("pub over ws: status %d: %s", r.code, r.stderr)
	}
	if code := s.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("sub over wss: status %d: %s", code, s.stderrText())
	}
	if out := s.stdout(t); !strings.Contains(out, "over websocket") {
		t.Fatalf("sub printed %q", out)
	}
}
