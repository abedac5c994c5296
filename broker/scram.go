package broker

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/xdg-go/scram"
)

// SCRAM mechanisms the broker offers when Config.SCRAMFile is set.
const (
	SCRAMSHA256 = "SCRAM-SHA-256"
	SCRAMSHA512 = "SCRAM-SHA-512"
)

// scramIterations is the PBKDF2 iteration count of new credentials, RFC
// 7677's minimum: enough against offline guessing of a leaked file for a
// development broker, cheap enough per login.
const scramIterations = 4096

var scramHashes = map[string]scram.HashGeneratorFcn{SCRAMSHA256: scram.SHA256, SCRAMSHA512: scram.SHA512}

// SCRAMCredential returns one line of a SCRAM file for username: the salted
// keys the server needs (RFC 5802's StoredKey and ServerKey), never the
// password, in the form
//
//	username:MECHANISM:iterations:base64(salt):base64(StoredKey):base64(ServerKey)
//
// A user who may use both mechanisms needs a line for each.
func SCRAMCredential(mechanism, username, password string) (string, error) {
	h, ok := scramHashes[mechanism]
	if !ok {
		return "", fmt.Errorf("broker: SCRAM mechanism %q is not supported; use %s or %s", mechanism, SCRAMSHA256, SCRAMSHA512)
	}
	if username == "" || strings.ContainsAny(username, ":\n") {
		return "", errors.New("broker: a SCRAM user name must be non-empty and contain no ':' or newline")
	}
	c, err := h.NewClient(username, password, "")
	if err != nil {
		return "", errors.New("broker: the user name or password contains characters SASLprep does not allow")
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	sc, err := c.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(salt), Iters: scramIterations})
	if err != nil {
		return "", fmt.Errorf("broker: computing SCRAM credentials: %w", err)
	}
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s:%s:%d:%s:%s:%s", username, mechanism, scramIterations, b64(salt), b64(sc.StoredKey), b64(sc.ServerKey)), nil
}

// scramStore holds the SCRAM credentials of a SCRAM file, by mechanism and
// user, and a server per mechanism.
type scramStore struct {
	creds   map[string]map[string]scram.StoredCredentials
	servers map[string]*scram.Server
	secret  []byte // keys the fake credentials of unknown users
}

// loadSCRAM reads a SCRAM file (lines from SCRAMCredential; '#' comments
// and blank lines are ignored).
func loadSCRAM(path string) (*scramStore, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("broker: reading SCRAMFile: %w", err)
	}
	s := &scramStore{creds: map[string]map[string]scram.StoredCredentials{}, servers: map[string]*scram.Server{}, secret: make([]byte, 32)}
	_, _ = rand.Read(s.secret)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, mech, cred, err := parseSCRAMLine(line)
		if err != nil {
			return nil, fmt.Errorf("broker: SCRAMFile %s line %d: %v; add users with `mqttkit broker scram-passwd` or AddSCRAMUser", path, n, err)
		}
		if s.creds[mech] == nil {
			s.creds[mech] = map[string]scram.StoredCredentials{}
		}
		s.creds[mech][user] = cred
	}
	for mech, h := range scramHashes {
		srv, err := h.NewServer(s.lookup(mech))
		if err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
		s.servers[mech] = srv
	}
	return s, nil
}

func parseSCRAMLine(line string) (user, mech string, cred scram.StoredCredentials, err error) {
	f := strings.Split(line, ":")
	if len(f) != 6 {
		return "", "", cred, errors.New("want 6 ':'-separated fields")
	}
	if _, ok := scramHashes[f[1]]; !ok || f[0] == "" {
		return "", "", cred, fmt.Errorf("mechanism %q is not %s or %s, or the user name is empty", f[1], SCRAMSHA256, SCRAMSHA512)
	}
	iters, err := strconv.Atoi(f[2])
	if err != nil || iters < scramIterations || iters > 1_000_000 {
		return "", "", cred, fmt.Errorf("iteration count %q is not a number between %d and 1000000", f[2], scramIterations)
	}
	var parts [3][]byte
	for i := range parts {
		if parts[i], err = base64.StdEncoding.DecodeString(f[3+i]); err != nil || len(parts[i]) == 0 {
			return "", "", cred, errors.New("salt and keys must be non-empty base64")
		}
	}
	return f[0], f[1], scram.StoredCredentials{KeyFactors: scram.KeyFactors{Salt: string(parts[0]), Iters: iters}, StoredKey: parts[1], ServerKey: parts[2]}, nil
}

// lookup finds a user's credentials for mech. An unknown user gets
// credentials no password matches, with a salt that is the same on every
// try, so that the exchange fails only at the proof, as for a wrong
// password: the broker does not tell which user names exist.
func (s *scramStore) lookup(mech string) scram.CredentialLookup {
	return func(user string) (scram.StoredCredentials, error) {
		if c, ok := s.creds[mech][user]; ok {
			return c, nil
		}
		m := hmac.New(sha256.New, s.secret)
		m.Write([]byte(mech + ":" + user))
		sum := m.Sum(nil)
		return scram.StoredCredentials{KeyFactors: scram.KeyFactors{Salt: string(sum[:16]), Iters: scramIterations}, StoredKey: sum, ServerKey: sum}, nil
	}
}

// AddSCRAMUser adds name to the SCRAM file at path (created with mode 0600
// if missing) with credentials for both SCRAM-SHA-256 and SCRAM-SHA-512,
// replacing the user's previous lines, so that a password change is one
// call.
func AddSCRAMUser(path, name, password string) error {
	if err := validUsername(name); err != nil {
		return err
	}
	var lines []string
	for _, mech := range []string{SCRAMSHA256, SCRAMSHA512} {
		l, err := SCRAMCredential(mech, name, password)
		if err != nil {
			return err
		}
		lines = append(lines, l)
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("broker: reading SCRAM file: %w", err)
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(old))
	for sc.Scan() {
		if n, _, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":"); ok && n == name {
			continue
		}
		out.WriteString(sc.Text())
		out.WriteByte('\n')
	}
	out.WriteString(strings.Join(lines, "\n") + "\n")
	return writeFileAtomic(path, out.Bytes())
}
