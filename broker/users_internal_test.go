package broker

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// The hash compared for unknown users has the file's highest cost, so a
// failed login for an unknown name takes as long as for a known one.
func TestUnknownUserDummyHashMatchesFileCost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	h4, _ := bcrypt.GenerateFromPassword([]byte("a"), 4)
	h6, _ := bcrypt.GenerateFromPassword([]byte("b"), 6)
	if err := os.WriteFile(path, []byte("# users\nalice:"+string(h4)+"\nbob:"+string(h6)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := loadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost(u.dummy()); err != nil || cost != 6 {
		t.Fatalf("dummy hash cost %d (err %v), want 6, the file's highest", cost, err)
	}
	for _, tc := range []struct {
		name, pwd string
		want      bool
	}{
		{"alice", "a", true}, {"bob", "b", true}, {"alice", "b", false}, {"carol", "a", false},
	} {
		if got := u.check(tc.name, []byte(tc.pwd)); got != tc.want {
			t.Errorf("check(%q, %q) = %v, want %v", tc.name, tc.pwd, got, tc.want)
		}
	}
}
