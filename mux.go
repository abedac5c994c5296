package mqttkit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"github.com/mqttkit/mqttkit/packet"
)

// ErrNoRoute is returned (wrapped, with the topic) by Mux.HandleMessage for a
// message that matches none of its patterns, so that the error policy sees
// it instead of the message being acked silently. Test it with errors.Is.
var ErrNoRoute = errors.New("mqttkit: no Mux pattern matches the topic")

// Mux routes each message to the handler of the most specific pattern that
// matches its topic, like http.ServeMux does for paths, so that one
// subscription can serve many kinds of message.
//
// # Patterns
//
// A pattern is an MQTT topic filter whose wildcard levels may be named:
//
//	sensors/temp          literal levels match themselves
//	sensors/+/temp        + matches exactly one level
//	sensors/{device}/temp {name} matches one level; m.Param("device") returns it
//	sensors/#             # matches the parent and any number of levels below
//	sensors/{rest...}     {name...} is a named #; m.Param("rest") returns the
//	                      matched levels joined by "/" ("" for the parent)
//
// A multi-level wildcard must be the last level. Names are letters, digits
// and underscores, unique within a pattern. A literal level cannot contain
// +, #, { or }; match topics with such levels through a wildcard. As in MQTT
// (§4.7.2), a wildcard in the first level does not match a topic that starts
// with "$".
//
// # Precedence
//
// When several patterns match a topic, levels are compared from the left and
// the first level where the patterns differ decides: a literal level beats a
// single-level wildcard, which beats a multi-level wildcard (a pattern that
// ends there beats one that continues with #). For the topic "a/b/c",
// "a/b/+" beats "a/+/c", which beats "a/#"; for the topic "a/b", "a/b" beats
// "a/b/#". So the order never depends on the order of registration.
//
// Two patterns that differ only in wildcard names ("a/{x}/b", "a/+/b",
// "a/{y}/b") match exactly the same topics; registering the second is an
// error.
//
// # Subscribing
//
// Filter returns one MQTT filter that covers every pattern, for a single
// Subscribe; Filters returns filters that match exactly the patterns' topics,
// for mqttkit.AlsoFilters. A message that matches no pattern fails with
// ErrNoRoute.
//
// A Mux is safe for concurrent use; patterns may be added while it serves.
// Its zero value is an empty Mux ready to use.
type Mux struct {
	mu     sync.Mutex           // serialises Handle
	routes []*route             // in registration order, guarded by mu
	tree   atomic.Pointer[node] // immutable; replaced on every Handle
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return new(Mux) }

// route is one registered pattern.
type route struct {
	pattern string
	levels  []level
	handler Handler
}

// levelKind orders level kinds by precedence: lower wins.
type levelKind uint8

const (
	literal levelKind = iota
	single            // + or {name}
	multi             // # or {name...}, always the last level
)

// level is one parsed pattern level.
type level struct {
	kind  levelKind
	value string // the literal text, for literal levels
	name  string // the parameter name, "" for + and #
}

// node is a trie node; a topic is matched by trying the literal child, then
// the single-level child, then the multi-level route, which is what makes the
// first match the most specific one.
type node struct {
	literals map[string]*node
	single   *node
	multi    *route // a pattern ending in # at this depth
	end      *route // a pattern ending exactly at this depth
}

// Handle registers h for topics that match pattern. It returns an error, and
// registers nothing, when the pattern is malformed, h is nil, or another
// pattern already matches exactly the same topics.
func (mux *Mux) Handle(pattern string, h Handler) error {
	if h == nil {
		return fmt.Errorf("mqttkit: Mux.Handle(%q): the handler is nil; pass a Handler or use HandleFunc", pattern)
	}
	levels, err := parsePattern(pattern)
	if err != nil {
		return err
	}
	r := &route{pattern: pattern, levels: levels, handler: h}

	mux.mu.Lock()
	defer mux.mu.Unlock()
	for _, old := range mux.routes {
		if sameShape(old.levels, levels) {
			return fmt.Errorf("mqttkit: Mux pattern %q conflicts with %q registered before: both match exactly the same topics; register one handler for both", pattern, old.pattern)
		}
	}
	routes := append(mux.routes[:len(mux.routes):len(mux.routes)], r)
	root := new(node)
	for _, r := range routes {
		root.insert(r)
	}
	mux.routes = routes
	mux.tree.Store(root)
	return nil
}

// HandleFunc registers f for topics that match pattern, like Handle.
func (mux *Mux) HandleFunc(pattern string, f func(ctx context.Context, m *Message) error) error {
	if f == nil {
		return fmt.Errorf("mqttkit: Mux.HandleFunc(%q): the function is nil", pattern)
	}
	return mux.Handle(pattern, HandlerFunc(f))
}

// HandleMessage calls the handler of the most specific pattern that matches
// m.Topic, with m.Param set to that pattern's named wildcards. A message that
// matches nothing returns an error that wraps ErrNoRoute.
func (mux *Mux) HandleMessage(ctx context.Context, m *Message) error {
	root := mux.tree.Load()
	var r *route
	if root != nil && m.Topic != "" {
		r = root.match(m.Topic, true)
	}
	if r == nil {
		return fmt.Errorf("%w %q; add a pattern for it or narrow the subscription filter", ErrNoRoute, m.Topic)
	}
	m.params = r.params(m.Topic, m.params[:0])
	return r.handler.HandleMessage(ctx, m)
}

// Filter returns one MQTT topic filter that matches every topic any pattern
// matches, for subscribing the Mux with a single Subscribe: the levels all
// patterns agree on are kept, the others become +, and patterns of different
// lengths or with # end in #. It can be broader than the patterns ("a/b" and
// "c/d" give "+/+", which also matches "a/d"); such extra messages fail with
// ErrNoRoute, so subscribe to Filters when that matters. Filter returns ""
// when no pattern is registered.
func (mux *Mux) Filter() string {
	mux.mu.Lock()
	defer mux.mu.Unlock()
	if len(mux.routes) == 0 {
		return ""
	}
	first := mux.routes[0].levels
	fixed := len(first) // levels before any #, common to all patterns
	sameLen, anyMulti := true, false
	for _, r := range mux.routes {
		n := len(r.levels)
		if r.levels[n-1].kind == multi {
			anyMulti = true
			n--
		}
		fixed = min(fixed, n)
		sameLen = sameLen && len(r.levels) == len(first)
	}
	parts := make([]string, 0, fixed+1)
	for i := range fixed {
		part := first[i].filterLevel()
		for _, r := range mux.routes {
			if r.levels[i].filterLevel() != part {
				part = "+"
				break
			}
		}
		parts = append(parts, part)
	}
	if anyMulti || !sameLen {
		parts = append(parts, "#")
	}
	return strings.Join(parts, "/")
}

// Filters returns the MQTT topic filters of the patterns, with named
// wildcards written as + and #, in registration order, leaving out a filter
// when another one matches every topic it matches ("a/b/c" under "a/#"):
// subscribing to all of them delivers exactly the messages the Mux can route.
// Filters that still overlap ("a/+/c" and "a/b/+") can make the server send a
// message once per matching filter (MQTT v5 §3.3.4); subscribe to Filter
// instead when that matters.
func (mux *Mux) Filters() []string {
	mux.mu.Lock()
	defer mux.mu.Unlock()
	filters := make([]string, 0, len(mux.routes))
	for i, r := range mux.routes {
		covered := false
		for j, other := range mux.routes {
			covered = covered || (i != j && covers(other.levels, r.levels))
		}
		if covered {
			continue
		}
		filters = append(filters, filterOf(r.levels))
	}
	return filters
}

// covers reports whether every topic that pattern b matches also matches
// pattern a. Registered patterns never have the same shape, so two patterns
// never cover each other.
func covers(a, b []level) bool {
	for i, l := range a {
		if l.kind == multi {
			// # covers whatever follows, unless it is the first level and b's
			// first level is a literal "$…" topic level it must not match.
			return i > 0 || b[0].kind != literal || !strings.HasPrefix(b[0].value, "$")
		}
		if i >= len(b) || b[i].kind == multi {
			return false
		}
		switch {
		case l.kind == literal && (b[i].kind != literal || b[i].value != l.value):
			return false
		case l.kind == single && i == 0 && b[0].kind == literal && strings.HasPrefix(b[0].value, "$"):
			return false
		}
	}
	return len(a) == len(b)
}

// filterOf is the MQTT topic filter of a pattern.
func filterOf(levels []level) string {
	parts := make([]string, len(levels))
	for i, l := range levels {
		parts[i] = l.filterLevel()
	}
	return strings.Join(parts, "/")
}

// filterLevel is the level as it appears in an MQTT topic filter.
func (l level) filterLevel() string {
	switch l.kind {
	case single:
		return "+"
	case multi:
		return "#"
	}
	return l.value
}

// sameShape reports whether two patterns match exactly the same topics.
func sameShape(a, b []level) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].kind != b[i].kind || a[i].value != b[i].value {
			return false
		}
	}
	return true
}

// insert adds r under n; the caller has ruled out conflicts.
func (n *node) insert(r *route) {
	for _, l := range r.levels {
		switch l.kind {
		case literal:
			if n.literals == nil {
				n.literals = make(map[string]*node)
			}
			child := n.literals[l.value]
			if child == nil {
				child = new(node)
				n.literals[l.value] = child
			}
			n = child
		case single:
			if n.single == nil {
				n.single = new(node)
			}
			n = n.single
		case multi: // always the last level
			n.multi = r
			return
		}
	}
	n.end = r
}

// match returns the most specific route for topic, the part of the topic
// below n; first is true at the topic's first level, where wildcards do not
// match a leading "$".
func (n *node) match(topic string, first bool) *route {
	head, rest, more := strings.Cut(topic, "/")
	if child := n.literals[head]; child != nil {
		if r := child.next(rest, more); r != nil {
			return r
		}
	}
	wild := !first || !strings.HasPrefix(head, "$")
	if wild && n.single != nil {
		if r := n.single.next(rest, more); r != nil {
			return r
		}
	}
	if wild && n.multi != nil {
		return n.multi
	}
	return nil
}

// next continues matching below n: with the rest of the topic when there are
// more levels, or at the end of the topic, where a pattern ending here wins
// over one that continues with #.
func (n *node) next(rest string, more bool) *route {
	if more {
		return n.match(rest, false)
	}
	if n.end != nil {
		return n.end
	}
	return n.multi // "a/#" also matches "a"
}

// params appends the name, value pairs of r's named wildcards in topic to dst.
func (r *route) params(topic string, dst []string) []string {
	for _, l := range r.levels {
		head, rest, more := strings.Cut(topic, "/")
		if l.kind == multi {
			if l.name != "" {
				dst = append(dst, l.name, topic)
			}
			break
		}
		if l.kind == single && l.name != "" {
			dst = append(dst, l.name, head)
		}
		if !more {
			// The pattern has a # here that matched the parent level.
			if last := r.levels[len(r.levels)-1]; last.kind == multi && last.name != "" {
				dst = append(dst, last.name, "")
			}
			break
		}
		topic = rest
	}
	return dst
}

// parsePattern checks a Mux pattern and splits it into levels.
func parsePattern(pattern string) ([]level, error) {
	bad := func(why string) error {
		return fmt.Errorf("mqttkit: Mux pattern %q: %s", pattern, why)
	}
	switch {
	case pattern == "":
		return nil, bad("empty; a pattern needs at least one level, e.g. \"sensors/+/temp\"")
	case strings.HasPrefix(pattern, "$share/") || pattern == "$share":
		return nil, bad("starts with $share; messages arrive with their plain topic, so match the plain topic and put the group in the subscription (mqttkit.Group)")
	}
	parts := strings.Split(pattern, "/")
	levels := make([]level, len(parts))
	for i, p := range parts {
		last := i == len(parts)-1
		switch {
		case p == "+":
			levels[i] = level{kind: single}
		case p == "#":
			levels[i] = level{kind: multi}
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			name, isMulti := strings.CutSuffix(p[1:len(p)-1], "...")
			if !validParamName(name) {
				return nil, bad(fmt.Sprintf("wildcard %q: a name is letters, digits and underscores, as in {device} or {rest...}", p))
			}
			for _, l := range levels[:i] {
				if l.name == name {
					return nil, bad(fmt.Sprintf("the name %q is used twice; give each wildcard its own name", name))
				}
			}
			if isMulti {
				levels[i] = level{kind: multi, name: name}
			} else {
				levels[i] = level{kind: single, name: name}
			}
		case strings.ContainsAny(p, "+#{}"):
			return nil, bad(fmt.Sprintf("level %q mixes text with +, #, { or }; a wildcard must fill a whole level, e.g. \"a/+/b\" or \"a/{name}/b\"", p))
		default:
			levels[i] = level{kind: literal, value: p}
		}
		if levels[i].kind == multi && !last {
			return nil, bad("a multi-level wildcard (# or {name...}) must be the last level")
		}
	}
	// The string rules (UTF-8, no U+0000, length) are those of the filter
	// the pattern is subscribed with.
	if err := packet.ValidateTopicFilter(filterOf(levels)); err != nil {
		return nil, fmt.Errorf("mqttkit: Mux pattern %.100q: %w", pattern, err)
	}
	return levels, nil
}

// validParamName reports whether s can name a wildcard.
func validParamName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c != '_' && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}
