package broker_test

import (
	"testing"

	"github.com/mqttkit/mqttkit/broker"
)

func TestParseACLErrors(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"unknown directive", "allow a/b"},
		{"rule without filter", "read"},
		{"rule with two filters", "read a b"},
		{"bad wildcard", "read a/b#"},
		{"hash not last", "read a/#/b"},
		{"user without name", "user"},
		{"all with argument", "all x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := broker.ParseACL(tc.text, "test"); err == nil {
				t.Fatalf("ParseACL(%q) accepted it", tc.text)
			}
		})
	}
}

func TestACLAllowed(t *testing.T) {
	acl, err := broker.ParseACL(`
read    public/#     # trailing comment
readwrite devices/%c/#
read    users/%u/inbox
user alice
write   orders/+
client c9
read    $SYS/#
all
write   log/%u
`, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                string
		user, client, topic string
		write, want         bool
	}{
		{"everyone reads public", "", "x", "public/a/b", false, true},
		{"public filter", "", "x", "public/+", false, true},
		{"nobody writes public", "alice", "x", "public/a", true, false},
		{"own device", "", "d1", "devices/d1/t", true, true},
		{"other device", "", "d1", "devices/d2/t", true, false},
		{"device wildcard covers others", "", "d1", "devices/+/t", false, false},
		{"own inbox", "bob", "x", "users/bob/inbox", false, true},
		{"anonymous never matches %u", "", "x", "users//inbox", false, false},
		{"wildcard username does not widen %u", "#", "x", "users/bob/inbox", false, false},
		{"plus username does not widen %u", "+", "x", "users/bob/inbox", false, false},
		{"client id with slash does not widen %c", "", "d1/x", "devices/d1/x/t", true, false},
		{"wildcard client id does not widen %c", "", "#", "devices/d2/t", true, false},
		{"alice writes orders", "alice", "x", "orders/1", true, true},
		{"bob does not", "bob", "x", "orders/1", true, false},
		{"alice reads no orders", "alice", "x", "orders/1", false, false},
		{"client section", "", "c9", "$SYS/broker/uptime", false, true},
		{"$SYS not covered by #", "", "x", "$SYS/broker/uptime", false, false},
		{"after all", "carol", "x", "log/carol", true, true},
		{"shared subscription", "", "x", "$share/g/public/#", false, true},
		{"hash filter not covered by plus", "", "d1", "devices/d1/#", false, true},
		{"root hash denied", "", "x", "#", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := acl.Allowed(tc.user, tc.client, tc.topic, tc.write); got != tc.want {
				t.Fatalf("Allowed(%q, %q, %q, write=%v) = %v, want %v", tc.user, tc.client, tc.topic, tc.write, got, tc.want)
			}
		})
	}
}
