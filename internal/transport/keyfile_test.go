package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testPassphrase = "correct horse battery staple"

// keyPair writes a self-signed certificate and its unencrypted PKCS #8 key.
func keyPair(t *testing.T) (dir, certFile, keyFile string, key *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	writeFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return dir, certFile, keyFile, key
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// opensslEncrypt encrypts keyFile with OpenSSL's PKCS #8 (PBES2) or legacy
// (-traditional) encryption.
func opensslEncrypt(t *testing.T, keyFile, out string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed; it writes the encrypted keys this test reads")
	}
	pass := filepath.Join(filepath.Dir(out), "pass")
	writeFile(t, pass, []byte(testPassphrase))
	cmd := exec.Command("openssl", append(append([]string{"pkey", "-in", keyFile, "-out", out, "-passout", "file:" + pass}, args...), "-aes-256-cbc")...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v: %s", err, b)
	}
}

func TestLoadKeyPairEncrypted(t *testing.T) {
	dir, certFile, keyFile, key := keyPair(t)
	pkcs8 := filepath.Join(dir, "pkcs8.key")
	opensslEncrypt(t, keyFile, pkcs8)
	legacy := filepath.Join(dir, "legacy.key")
	opensslEncrypt(t, keyFile, legacy, "-traditional")
	for _, tc := range []struct {
		name, keyFile, passphrase, wantErr string
	}{
		{"plain", keyFile, "", ""},
		{"PKCS 8", pkcs8, testPassphrase, ""},
		{"legacy PEM", legacy, testPassphrase, ""},
		{"PKCS 8 wrong passphrase", pkcs8, "wrong", "wrong passphrase"},
		{"legacy wrong passphrase", legacy, "wrong", "wrong passphrase"},
		{"PKCS 8 no passphrase", pkcs8, "", "is encrypted: give its passphrase"},
		{"missing key file", certFile + "x", "", "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cert, err := LoadKeyPair(certFile, tc.keyFile, []byte(tc.passphrase))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), testPassphrase) {
					t.Fatalf("error %q shows the passphrase", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, ok := cert.PrivateKey.(*ecdsa.PrivateKey)
			if !ok || !got.Equal(key) {
				t.Fatalf("loaded key %T is not the key written", cert.PrivateKey)
			}
		})
	}
}
