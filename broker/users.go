package broker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// hashCost is bcrypt's work factor for new hashes; tests lower it.
var hashCost = bcrypt.DefaultCost

// HashPassword returns the bcrypt hash of password, the form a users file
// stores, so that a leaked users file does not leak passwords.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("broker: empty password; choose a non-empty password")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), hashCost)
	if err != nil {
		return "", fmt.Errorf("broker: hashing password: %w", err)
	}
	return string(h), nil
}

// AddUser adds name with password to the users file at path, replacing an
// existing entry of the same name and creating the file (mode 0600) when it
// does not exist. It is the one tool to create users-file entries; the file
// is replaced atomically so a running broker never reads half of it.
func AddUser(path, name, password string) error {
	if err := validUsername(name); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("broker: reading users file: %w", err)
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(old))
	for sc.Scan() {
		line := sc.Text()
		if n, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && n == name {
			continue
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	fmt.Fprintf(&out, "%s:%s\n", name, hash)
	return writeFileAtomic(path, out.Bytes())
}

// writeFileAtomic replaces path with data through a temporary file and a
// rename in the same directory.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".users-*")
	if err != nil {
		return fmt.Errorf("broker: writing users file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("broker: writing users file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("broker: writing users file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return fmt.Errorf("broker: writing users file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("broker: writing users file: %w", err)
	}
	return nil
}

// validUsername rejects names a users file line cannot hold.
func validUsername(name string) error {
	if name == "" || strings.ContainsAny(name, ": \t\r\n#") {
		return fmt.Errorf("broker: username %q is empty or contains ':', '#' or whitespace; choose another name", name)
	}
	return nil
}

// users holds the hashes of a users file.
type users struct {
	hashes map[string][]byte
	// dummy is compared against for unknown users, at the file's highest
	// cost, so the time a login takes does not reveal whether the name
	// exists. It is made on first use.
	dummy func() []byte
}

// loadUsers reads a users file: one "name:bcrypt-hash" per line; blank
// lines and lines starting with '#' are ignored.
func loadUsers(path string) (*users, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("broker: reading users file: %w; create it with broker.AddUser", err)
	}
	u := &users{hashes: map[string][]byte{}}
	maxCost := bcrypt.MinCost
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		if !ok || validUsername(name) != nil {
			return nil, fmt.Errorf("broker: users file %s line %d: want name:bcrypt-hash; create entries with broker.AddUser", path, i+1)
		}
		cost, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			return nil, fmt.Errorf("broker: users file %s line %d: user %q has no valid bcrypt hash; recreate it with broker.AddUser", path, i+1, name)
		}
		maxCost = max(maxCost, cost)
		u.hashes[name] = []byte(hash)
	}
	u.dummy = sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte("mqttkit-unknown-user"), maxCost)
		return h
	})
	return u, nil
}

// check reports whether password is name's password. Unknown users cost the
// same bcrypt work as known ones.
func (u *users) check(name string, password []byte) bool {
	hash, known := u.hashes[name]
	if !known {
		hash = u.dummy()
	}
	return bcrypt.CompareHashAndPassword(hash, password) == nil && known
}
