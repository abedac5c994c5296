package broker

import (
	"fmt"
	"os"
	"strings"

	"github.com/mqttkit/mqttkit/packet"
)

// ACL is a parsed ACL file: which users and client ids may read (subscribe
// and receive) and write (publish) which topics.
//
// The format is line based; '#' starts a comment line, blank lines are
// ignored:
//
//	# rules before any section apply to every client
//	read    public/#
//	readwrite devices/%c/#      # %c is the client id, %u the username
//
//	user alice                  # rules for username alice
//	readwrite sensors/#
//	write   orders/%u/+
//
//	client billing-1            # rules for client id billing-1
//	read    orders/#
//
//	all                         # back to rules for every client
//	read    $SYS/#
//
// A rule is "read", "write" or "readwrite" followed by a topic filter that
// may use + and #. A subscription is allowed when a read rule's filter
// covers every topic the subscription's filter can match (shared
// subscriptions are checked without their $share/<group>/ prefix). A rule
// that uses %u or %c never matches a client whose username or client id is
// empty or contains '/', '+' or '#'. Anything no rule allows is denied.
type ACL struct {
	rules []aclRule
}

type aclRule struct {
	user, client string // the section; both empty for every client
	read, write  bool
	filter       string // may contain %u and %c
}

// LoadACL reads and checks the ACL file at path.
func LoadACL(path string) (*ACL, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("broker: reading ACL file: %w", err)
	}
	return ParseACL(string(data), path)
}

// ParseACL parses ACL text (format in ACL); name is used in errors.
func ParseACL(text, name string) (*ACL, error) {
	a := &ACL{}
	var user, client string
	for i, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) > 2 && strings.HasPrefix(fields[2], "#") {
			fields = fields[:2]
		}
		bad := func(why string) error {
			return fmt.Errorf("broker: ACL %s line %d: %s", name, i+1, why)
		}
		switch fields[0] {
		case "all":
			if len(fields) != 1 {
				return nil, bad(`"all" takes no argument`)
			}
			user, client = "", ""
		case "user", "client":
			if len(fields) != 2 {
				return nil, bad(fmt.Sprintf("%q takes exactly one name", fields[0]))
			}
			user, client = "", ""
			if fields[0] == "user" {
				user = fields[1]
			} else {
				client = fields[1]
			}
		case "read", "write", "readwrite":
			if len(fields) != 2 {
				return nil, bad(fmt.Sprintf("%q takes exactly one topic filter", fields[0]))
			}
			if err := packet.ValidateTopicFilter(fields[1]); err != nil {
				return nil, bad(err.Error())
			}
			a.rules = append(a.rules, aclRule{
				user: user, client: client, filter: fields[1],
				read:  fields[0] != "write",
				write: fields[0] != "read",
			})
		default:
			return nil, bad(fmt.Sprintf("unknown directive %q; use user, client, all, read, write or readwrite", fields[0]))
		}
	}
	return a, nil
}

// Allowed reports whether a client may publish to topic (write) or
// subscribe to / receive from it (read). For reads, topic may be a filter.
func (a *ACL) Allowed(username, clientID, topic string, write bool) bool {
	if !write {
		topic = stripShare(topic)
	}
	for _, r := range a.rules {
		if (r.user != "" && r.user != username) || (r.client != "" && r.client != clientID) {
			continue
		}
		if (write && !r.write) || (!write && !r.read) {
			continue
		}
		if !substitutable(r.filter, "%u", username) || !substitutable(r.filter, "%c", clientID) {
			continue
		}
		f := strings.NewReplacer("%u", username, "%c", clientID).Replace(r.filter)
		if covers(f, topic) {
			return true
		}
	}
	return false
}

// substitutable reports whether value may replace placeholder in filter: a
// rule never matches through an empty name, or one holding '/', '+' or '#',
// which would widen the rule (a client named "#" must not read every
// client's topics).
func substitutable(filter, placeholder, value string) bool {
	return !strings.Contains(filter, placeholder) || (value != "" && !strings.ContainsAny(value, "/+#"))
}

// stripShare removes a "$share/<group>/" prefix.
func stripShare(filter string) string {
	if _, f, err := packet.ParseShared(filter); err == nil {
		return f
	}
	return filter
}

// covers reports whether every topic matched by filter is matched by
// pattern. With a plain topic name as filter it is ordinary matching.
// Topics starting with '$' are only covered by patterns that name the '$'
// level literally.
func covers(pattern, filter string) bool {
	p := strings.Split(pattern, "/")
	f := strings.Split(filter, "/")
	if strings.HasPrefix(filter, "$") && (p[0] == "+" || p[0] == "#") {
		return false
	}
	for i, pl := range p {
		if pl == "#" {
			return true
		}
		if i >= len(f) {
			return false
		}
		switch {
		case pl == "+":
			if f[i] == "#" {
				return false
			}
		case pl != f[i]:
			return false
		}
	}
	return len(p) == len(f)
}
