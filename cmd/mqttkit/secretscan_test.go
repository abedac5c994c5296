package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const scramSecret = "scr4m-CLI-Secret-5d0c"

// TestCLISecretsNeverShown runs `mqttkit broker` with every kind of
// credential (users file, SCRAM file, client certificates) at debug level,
// and clients through the paths that handle a secret — password from a
// file, the environment and -P, right and wrong; SCRAM right and wrong; an
// encrypted key with the right and a wrong passphrase; --insecure with
// credentials — all with -d, then scans every line any of them printed,
// and the SCRAM file, for the password, the SCRAM password and the key
// passphrase.
func TestCLISecretsNeverShown(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed; it encrypts the key of this test")
	}
	dir := t.TempDir()
	var out []string
	record := func(name string, r result, wantCode int) {
		t.Helper()
		out = append(out, r.stdout, r.stderr)
		if r.code != wantCode {
			t.Errorf("%s: status %d, want %d; stderr %q", name, r.code, wantCode, r.stderr)
		}
	}
	users, scramFile, pwFile, passFile := filepath.Join(dir, "users"), filepath.Join(dir, "scram"), filepath.Join(dir, "pw"), filepath.Join(dir, "pass")
	writeSecret(t, pwFile, secret)
	writeSecret(t, passFile, keyPassphrase)
	record("broker passwd", run(t, "", []string{"MQTTKIT_PASSWORD=" + secret}, "broker", "passwd", users, "alice"), 0)
	record("broker scram-passwd", run(t, "", nil, "broker", "scram-passwd", "--password-file", writeSecret(t, filepath.Join(dir, "scrampw"), scramSecret), scramFile, "bob"), 0)
	certs := brokerCert(t, "carol")
	encKey := filepath.Join(dir, "carol-enc.key")
	if b, err := exec.Command("openssl", "pkey", "-in", certs.ClientKey, "-out", encKey, "-aes-256-cbc", "-passout", "file:"+passFile).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v: %s", err, b)
	}

	brk := start(t, nil, "broker", "-d", "--listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0",
		"--cert", certs.ServerCert, "--key", certs.ServerKey, "--client-cafile", certs.CAFile, "--users", users, "--scram-file", scramFile)
	plain, secure := brokerURLs(t, brk)

	pub := func(url string, extra ...string) []string {
		return append([]string{"pub", "-d", "-L", url, "-t", "secrets/cli", "-m", "x", "-q", "1"}, extra...)
	}
	tlsArgs := []string{"--cafile", certs.CAFile, "--cert", certs.ClientCert, "--key", encKey}
	for _, c := range []struct {
		name string
		env  []string
		args []string
		code int
	}{
		{"password file", nil, pub(plain, "-u", "alice", "--password-file", pwFile), 0},
		{"password env", []string{"MQTTKIT_PASSWORD=" + secret}, pub(plain, "-u", "alice"), 0},
		{"password -P", nil, pub(plain, "-u", "alice", "-P", secret), 0},
		{"wrong password", []string{"MQTTKIT_PASSWORD=x" + secret}, pub(plain, "-u", "alice"), exitConnect},
		{"SCRAM-SHA-256", []string{"MQTTKIT_PASSWORD=" + scramSecret}, pub(plain, "--auth-method", "SCRAM-SHA-256", "-u", "bob"), 0},
		{"SCRAM-SHA-512", nil, pub(plain, "--auth-method", "scram-sha-512", "-u", "bob", "-P", scramSecret), 0},
		{"wrong SCRAM password", []string{"MQTTKIT_PASSWORD=x" + scramSecret}, pub(plain, "--auth-method", "SCRAM-SHA-256", "-u", "bob"), exitConnect},
		{"encrypted key", []string{"MQTTKIT_KEY_PASSPHRASE=" + keyPassphrase, "MQTTKIT_PASSWORD=" + secret}, pub(secure, append(tlsArgs, "-u", "alice")...), 0},
		{"key passphrase file", nil, pub(secure, append(tlsArgs, "--key-passphrase-file", passFile, "-u", "alice", "--password-file", pwFile)...), 0},
		{"wrong key passphrase", []string{"MQTTKIT_KEY_PASSPHRASE=x" + keyPassphrase}, pub(secure, append(tlsArgs, "-u", "alice", "--password-file", pwFile)...), exitConnect},
		{"insecure with credentials", []string{"MQTTKIT_PASSWORD=" + secret}, pub(secure, "--insecure", "--insecure-send-credentials", "-u", "alice"), 0},
	} {
		record(c.name, run(t, "", c.env, c.args...), c.code)
	}
	_ = brk.cmd.Process.Signal(syscall.SIGINT)
	if code := brk.wait(t, 20*time.Second); code != 0 {
		t.Errorf("broker: status %d", code)
	}
	out = append(out, brk.stdout(t), brk.stderrText())
	scram, err := os.ReadFile(scramFile)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(append(out, string(scram)), "\n")
	if !strings.Contains(all, "authentication failed") || !strings.Contains(all, "wrong passphrase") {
		t.Fatalf("the output lacks the refusals the test expects to capture:\n%s", all)
	}
	for _, s := range []string{secret, scramSecret, keyPassphrase} {
		if i := strings.Index(all, s); i >= 0 {
			t.Errorf("secret %q leaked: …%s…", s, all[max(0, i-300):min(len(all), i+100)])
		}
	}
}

func writeSecret(t *testing.T, path, s string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var listening = regexp.MustCompile(`broker: listening on (mqtts?)://(\S+)`)

// brokerURLs waits for the "listening on" lines of a `mqttkit broker` and
// returns its mqtt:// and mqtts:// URLs.
func brokerURLs(t *testing.T, p *proc) (plain, secure string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range listening.FindAllStringSubmatch(p.stdout(t), -1) {
			if m[1] == "mqtt" {
				plain = m[0][len("broker: listening on "):]
			} else {
				secure = m[0][len("broker: listening on "):]
			}
		}
		if plain != "" && secure != "" {
			return plain, secure
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the broker did not print its addresses within 20s:\n%s", p.stderrText())
	return "", ""
}
