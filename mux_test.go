package mqttkit_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// routed is what a test handler saw.
type routed struct {
	pattern string
	params  map[string]string
}

// newTestMux registers every pattern with a handler that reports the pattern
// and the values of names through got.
func newTestMux(t *testing.T, patterns []string, names []string, got *routed) *mqttkit.Mux {
	t.Helper()
	mux := mqttkit.NewMux()
	for _, p := range patterns {
		err := mux.HandleFunc(p, func(_ context.Context, m *mqttkit.Message) error {
			got.pattern = p
			got.params = map[string]string{}
			for _, n := range names {
				if v := m.Param(n); v != "" {
					got.params[n] = v
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Handle(%q): %v", p, err)
		}
	}
	return mux
}

func TestMuxRouting(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		topic    string
		want     string            // the pattern that must handle topic; "" for no route
		params   map[string]string // the non-empty params
	}{
		{name: "literal", patterns: []string{"a/b"}, topic: "a/b", want: "a/b"},
		{name: "literal mismatch", patterns: []string{"a/b"}, topic: "a/c"},
		{name: "longer topic", patterns: []string{"a/b"}, topic: "a/b/c"},
		{name: "shorter topic", patterns: []string{"a/b"}, topic: "a"},
		{name: "plus", patterns: []string{"a/+/c"}, topic: "a/x/c", want: "a/+/c"},
		{name: "named single", patterns: []string{"sensors/{device}/temp"}, topic: "sensors/d7/temp",
			want: "sensors/{device}/temp", params: map[string]string{"device": "d7"}},
		{name: "two names", patterns: []string{"{site}/{device}/temp"}, topic: "s1/d7/temp",
			want: "{site}/{device}/temp", params: map[string]string{"site": "s1", "device": "d7"}},
		{name: "single matches an empty level", patterns: []string{"a/{x}/c"}, topic: "a//c", want: "a/{x}/c"},
		{name: "hash below", patterns: []string{"a/#"}, topic: "a/b/c", want: "a/#"},
		{name: "hash matches the parent", patterns: []string{"a/#"}, topic: "a", want: "a/#"},
		{name: "named multi", patterns: []string{"logs/{rest...}"}, topic: "logs/x/y/z",
			want: "logs/{rest...}", params: map[string]string{"rest": "x/y/z"}},
		{name: "named multi on the parent is empty", patterns: []string{"logs/{rest...}"}, topic: "logs", want: "logs/{rest...}"},
		{name: "single then named multi", patterns: []string{"{dev}/{rest...}"}, topic: "d1/a/b",
			want: "{dev}/{rest...}", params: map[string]string{"dev": "d1", "rest": "a/b"}},
		{name: "root hash", patterns: []string{"#"}, topic: "x/y", want: "#"},
		{name: "root hash skips $ topics", patterns: []string{"#"}, topic: "$SYS/uptime"},
		{name: "root plus skips $ topics", patterns: []string{"+/uptime"}, topic: "$SYS/uptime"},
		{name: "literal $ level", patterns: []string{"$SYS/+"}, topic: "$SYS/uptime", want: "$SYS/+"},
		{name: "$ below the first level is ordinary", patterns: []string{"a/+"}, topic: "a/$x", want: "a/+"},
		{name: "empty topic", patterns: []string{"#"}, topic: ""},

		// Precedence: the first level where patterns differ decides.
		{name: "literal beats plus", patterns: []string{"a/+", "a/b"}, topic: "a/b", want: "a/b"},
		{name: "plus beats hash", patterns: []string{"a/#", "a/+"}, topic: "a/b", want: "a/+"},
		{name: "literal beats hash", patterns: []string{"a/#", "a/b"}, topic: "a/b", want: "a/b"},
		{name: "earlier literal beats later literal", patterns: []string{"a/+/c", "a/b/+"}, topic: "a/b/c", want: "a/b/+"},
		{name: "ending beats hash at the parent", patterns: []string{"a/b/#", "a/b"}, topic: "a/b", want: "a/b"},
		{name: "deeper literal after a literal beats plus", patterns: []string{"a/+", "a/b/#"}, topic: "a/b", want: "a/b/#"},
		{name: "backtracks from a dead literal branch", patterns: []string{"a/b/c", "a/+/d"}, topic: "a/b/d", want: "a/+/d"},
		{name: "backtracks to hash", patterns: []string{"a/b/c", "#"}, topic: "a/b/x", want: "#"},
		{name: "fallback keeps its own params", patterns: []string{"s/{d}/temp", "s/{rest...}"}, topic: "s/d1/hum",
			want: "s/{rest...}", params: map[string]string{"rest": "d1/hum"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got routed
			mux := newTestMux(t, tt.patterns, []string{"device", "site", "dev", "rest", "d", "x"}, &got)
			err := mux.HandleMessage(context.Background(), &mqttkit.Message{Topic: tt.topic})
			if tt.want == "" {
				if !errors.Is(err, mqttkit.ErrNoRoute) {
					t.Fatalf("HandleMessage(%q) = %v (handled by %q), want ErrNoRoute", tt.topic, err, got.pattern)
				}
				return
			}
			if err != nil {
				t.Fatalf("HandleMessage(%q): %v", tt.topic, err)
			}
			if got.pattern != tt.want {
				t.Errorf("topic %q handled by %q, want %q", tt.topic, got.pattern, tt.want)
			}
			want := tt.params
			if want == nil {
				want = map[string]string{}
			}
			if fmt.Sprint(got.params) != fmt.Sprint(want) {
				t.Errorf("params = %v, want %v", got.params, want)
			}
		})
	}
}

// Registration order must not change which pattern wins.
func TestMuxPrecedenceIgnoresOrder(t *testing.T) {
	patterns := []string{"a/b/c", "a/b/+", "a/+/c", "a/+/+", "a/#", "+/b/c", "#", "a/b/#"}
	topics := map[string]string{"a/b/c": "a/b/c", "a/b/x": "a/b/+", "a/x/c": "a/+/c", "a/x/y": "a/+/+",
		"a/x/y/z": "a/#", "x/b/c": "+/b/c", "x/y": "#", "a/b/c/d": "a/b/#", "a/b": "a/b/#", "a": "a/#"}
	for _, order := range [][]string{patterns, reversed(patterns)} {
		var got routed
		mux := newTestMux(t, order, nil, &got)
		for topic, want := range topics {
			if err := mux.HandleMessage(context.Background(), &mqttkit.Message{Topic: topic}); err != nil {
				t.Fatalf("order %v, topic %q: %v", order, topic, err)
			}
			if got.pattern != want {
				t.Errorf("order %v: topic %q handled by %q, want %q", order, topic, got.pattern, want)
			}
		}
	}
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

func TestMuxRejectsConflicts(t *testing.T) {
	tests := []struct {
		name, first, second string
	}{
		{"same literal", "a/b", "a/b"},
		{"named and plus", "a/{x}/b", "a/+/b"},
		{"plus and named", "a/+/b", "a/{x}/b"},
		{"different names", "a/{x}/b", "a/{y}/b"},
		{"hash and named multi", "a/#", "a/{rest...}"},
		{"root", "#", "{all...}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := mqttkit.NewMux()
			nop := func(context.Context, *mqttkit.Message) error { return nil }
			if err := mux.HandleFunc(tt.first, nop); err != nil {
				t.Fatalf("first Handle(%q): %v", tt.first, err)
			}
			err := mux.HandleFunc(tt.second, nop)
			if err == nil {
				t.Fatalf("Handle(%q) after %q succeeded, want a conflict error", tt.second, tt.first)
			}
			for _, want := range []string{tt.first, tt.second, "conflicts"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if got := mux.Filters(); len(got) != 1 {
				t.Errorf("Filters() = %q after a rejected pattern, want only the first", got)
			}
		})
	}
}

func TestMuxAcceptsOverlaps(t *testing.T) {
	mux := mqttkit.NewMux()
	for _, p := range []string{"a/+/b", "a/b/+", "a/+/c", "a/#", "a/+/#", "a/+", "a/b", "a"} {
		if err := mux.HandleFunc(p, func(context.Context, *mqttkit.Message) error { return nil }); err != nil {
			t.Errorf("Handle(%q): %v; overlapping but different patterns must be accepted", p, err)
		}
	}
}

func TestMuxRejectsBadPatterns(t *testing.T) {
	tests := []struct {
		name, pattern, mention string
	}{
		{"empty", "", "empty"},
		{"hash not last", "a/#/b", "last level"},
		{"named multi not last", "a/{rest...}/b", "last level"},
		{"plus inside a level", "a/b+/c", "whole level"},
		{"hash inside a level", "a/b#", "whole level"},
		{"unclosed brace", "a/{x/b", "whole level"},
		{"empty name", "a/{}/b", "name"},
		{"empty multi name", "a/{...}", "name"},
		{"bad name", "a/{x-y}/b", "name"},
		{"repeated name", "{x}/{x}", "used twice"},
		{"share prefix", "$share/g/a/b", "Group"},
		{"nul", "a/\x00", "U+0000"},
		{"invalid utf-8", "a/\xff", "UTF-8"},
		{"too long", strings.Repeat("a", 65536), "65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mqttkit.NewMux().HandleFunc(tt.pattern, func(context.Context, *mqttkit.Message) error { return nil })
			if err == nil {
				t.Fatalf("Handle(%.40q) succeeded, want an error", tt.pattern)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
		})
	}
}

func TestMuxRejectsNilHandler(t *testing.T) {
	mux := mqttkit.NewMux()
	if err := mux.Handle("a", nil); err == nil {
		t.Error("Handle with a nil Handler succeeded")
	}
	if err := mux.HandleFunc("a", nil); err == nil {
		t.Error("HandleFunc with a nil func succeeded")
	}
}

func TestMuxFilter(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		want     string
		filters  []string
	}{
		{name: "none", want: "", filters: []string{}},
		{name: "one literal", patterns: []string{"a/b"}, want: "a/b", filters: []string{"a/b"}},
		{name: "names become wildcards", patterns: []string{"s/{d}/t/{r...}"}, want: "s/+/t/#", filters: []string{"s/+/t/#"}},
		{name: "differing level", patterns: []string{"s/{d}/temp", "s/{d}/hum"}, want: "s/+/+",
			filters: []string{"s/+/temp", "s/+/hum"}},
		{name: "different lengths", patterns: []string{"a/b", "a/b/c"}, want: "a/b/#", filters: []string{"a/b", "a/b/c"}},
		{name: "hash and shorter", patterns: []string{"a/b/#", "a/c"}, want: "a/+/#", filters: []string{"a/b/#", "a/c"}},
		{name: "hash absorbs", patterns: []string{"a/b/c", "a/#"}, want: "a/#", filters: []string{"a/#"}},
		{name: "hash absorbs the parent", patterns: []string{"a", "a/#"}, want: "a/#", filters: []string{"a/#"}},
		{name: "deeper hash does not absorb the parent", patterns: []string{"a", "a/b/#"}, want: "a/#", filters: []string{"a", "a/b/#"}},
		{name: "root hash", patterns: []string{"#", "a"}, want: "#", filters: []string{"#"}},
		{name: "root hash leaves $ topics", patterns: []string{"#", "$SYS/x"}, want: "#", filters: []string{"#", "$SYS/x"}},
		{name: "plus absorbs a literal", patterns: []string{"a/b", "+/b"}, want: "+/b", filters: []string{"+/b"}},
		{name: "plus leaves $ topics", patterns: []string{"$SYS/b", "+/b"}, want: "+/b", filters: []string{"$SYS/b", "+/b"}},
		{name: "partial overlap keeps both", patterns: []string{"a/+/c", "a/b/+"}, want: "a/+/+", filters: []string{"a/+/c", "a/b/+"}},
		{name: "hash absorbs plus", patterns: []string{"a/+", "a/#"}, want: "a/#", filters: []string{"a/#"}},
		{name: "disjoint", patterns: []string{"a/b", "c/d"}, want: "+/+", filters: []string{"a/b", "c/d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got routed
			mux := newTestMux(t, tt.patterns, nil, &got)
			if f := mux.Filter(); f != tt.want {
				t.Errorf("Filter() = %q, want %q", f, tt.want)
			}
			if fs := mux.Filters(); !slices.Equal(fs, tt.filters) {
				t.Errorf("Filters() = %q, want %q", fs, tt.filters)
			}
		})
	}
}

// Every topic a pattern matches must also match Filter() and one of
// Filters(), or subscribing to them would not serve the Mux.
func TestMuxFiltersCoverEveryPattern(t *testing.T) {
	patterns := []string{"a/b", "a/{x}/c", "a/b/c/{rest...}", "d", "a/b/c/d", "+/c/{x}"}
	topics := []string{"a/b", "a/q/c", "a/b/c", "a/b/c/d", "a/b/c/d/e", "d", "q/c/r"}
	var got routed
	mux := newTestMux(t, patterns, nil, &got)
	filter, filters := mux.Filter(), mux.Filters()
	for _, f := range append([]string{filter}, filters...) {
		if err := packet.ValidateTopicFilter(f); err != nil {
			t.Fatalf("Filter or Filters gave an invalid filter: %v", err)
		}
	}
	for _, topic := range topics {
		if err := mux.HandleMessage(context.Background(), &mqttkit.Message{Topic: topic}); err != nil {
			t.Fatalf("topic %q: %v", topic, err)
		}
		if !packet.MatchTopic(filter, topic) {
			t.Errorf("topic %q matches %q but not Filter() = %q", topic, got.pattern, filter)
		}
		if !slices.ContainsFunc(filters, func(f string) bool { return packet.MatchTopic(f, topic) }) {
			t.Errorf("topic %q matches %q but none of Filters() = %q", topic, got.pattern, filters)
		}
	}
	if fs := mux.Filters(); len(fs) != 5 {
		t.Errorf("Filters() = %q, want a/b/c/d left out under a/b/c/#", fs)
	}
}

func TestMuxNoRouteErrorNamesTopic(t *testing.T) {
	mux := mqttkit.NewMux()
	err := mux.HandleMessage(context.Background(), &mqttkit.Message{Topic: "nobody/home"})
	if !errors.Is(err, mqttkit.ErrNoRoute) || !strings.Contains(err.Error(), "nobody/home") {
		t.Fatalf("empty Mux: err = %v, want ErrNoRoute naming the topic", err)
	}
}

func TestMuxReturnsHandlerError(t *testing.T) {
	mux := mqttkit.NewMux()
	boom := errors.New("boom")
	if err := mux.HandleFunc("a", func(context.Context, *mqttkit.Message) error { return boom }); err != nil {
		t.Fatal(err)
	}
	if err := mux.HandleMessage(context.Background(), &mqttkit.Message{Topic: "a"}); err != boom {
		t.Fatalf("err = %v, want the handler's error unchanged", err)
	}
}

// A message routed twice (say, by Retry around the Mux) must not keep the
// params of the first pass.
func TestMuxResetsParams(t *testing.T) {
	mux := mqttkit.NewMux()
	var seen []string
	record := func(_ context.Context, m *mqttkit.Message) error {
		seen = append(seen, m.Param("x")+"|"+m.Param("rest"))
		return nil
	}
	for _, p := range []string{"a/{x}", "b/{rest...}"} {
		if err := mux.HandleFunc(p, record); err != nil {
			t.Fatal(err)
		}
	}
	m := &mqttkit.Message{Topic: "a/1"}
	if err := mux.HandleMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	m.Topic = "b/2"
	if err := mux.HandleMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if want := []string{"1|", "|2"}; !slices.Equal(seen, want) {
		t.Fatalf("params seen = %q, want %q", seen, want)
	}
}

// Handle may run while messages are being routed; -race checks the swap.
func TestMuxHandleWhileServing(t *testing.T) {
	var mux mqttkit.Mux // the zero value is ready to use
	if err := mux.HandleFunc("base/+", func(context.Context, *mqttkit.Message) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				if err := mux.HandleMessage(context.Background(), &mqttkit.Message{Topic: fmt.Sprintf("base/%d", w*1000+i)}); err != nil {
					t.Errorf("routing during Handle: %v", err)
					return
				}
			}
		})
	}
	for i := range 50 {
		if err := mux.HandleFunc(fmt.Sprintf("extra/%d", i), func(context.Context, *mqttkit.Message) error { return nil }); err != nil {
			t.Errorf("Handle: %v", err)
		}
	}
	wg.Wait()
	if n := len(mux.Filters()); n != 51 {
		t.Errorf("%d patterns registered, want 51", n)
	}
}

func BenchmarkMuxRoute(b *testing.B) {
	mux := mqttkit.NewMux()
	for _, p := range []string{"sensors/{device}/temp", "sensors/{device}/hum", "sensors/{rest...}", "cmd/+/reboot", "#"} {
		if err := mux.HandleFunc(p, func(context.Context, *mqttkit.Message) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	m := &mqttkit.Message{Topic: "sensors/d17/temp"}
	b.ReportAllocs()
	for b.Loop() {
		if err := mux.HandleMessage(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleMux() {
	mux := mqttkit.NewMux()
	_ = mux.HandleFunc("sensors/{device}/temp", func(ctx context.Context, m *mqttkit.Message) error {
		fmt.Printf("temperature from %s: %s\n", m.Param("device"), m.Payload)
		return nil
	})
	_ = mux.HandleFunc("sensors/{device}/{rest...}", func(ctx context.Context, m *mqttkit.Message) error {
		fmt.Printf("other reading from %s: %s\n", m.Param("device"), m.Param("rest"))
		return nil
	})
	fmt.Println("subscribe to", mux.Filter())

	// The client calls the Mux for every message of the subscription.
	ctx := context.Background()
	_ = mux.HandleMessage(ctx, &mqttkit.Message{Topic: "sensors/d7/temp", Payload: []byte("21.5")})
	_ = mux.HandleMessage(ctx, &mqttkit.Message{Topic: "sensors/d7/battery/level", Payload: []byte("80")})
	err := mux.HandleMessage(ctx, &mqttkit.Message{Topic: "sensors"})
	fmt.Println(errors.Is(err, mqttkit.ErrNoRoute))
	// Output:
	// subscribe to sensors/+/#
	// temperature from d7: 21.5
	// other reading from d7: battery/level
	// true
}

// A Mux is the handler of a subscription.
var _ mqttkit.Handler = (*mqttkit.Mux)(nil)

// A Mux with one plain filter matches exactly the topics MQTT matching does
// (packet.MatchTopic, tested against the spec on its own).
func TestMuxAgreesWithMatchTopic(t *testing.T) {
	filters := []string{"#", "+", "a", "a/#", "a/+", "+/b", "a/b", "a/+/c", "a/b/#", "+/+/#", "/+", "+/", "a//b", "$SYS/#", "$SYS/+", "+/#"}
	topics := []string{"a", "b", "a/b", "a/c", "a/b/c", "a/x/c", "a/b/c/d", "/a", "a/", "a//b", "/", "$SYS", "$SYS/x", "$SYS/x/y", "x/b"}
	for _, f := range filters {
		mux := mqttkit.NewMux()
		if err := mux.HandleFunc(f, func(context.Context, *mqttkit.Message) error { return nil }); err != nil {
			t.Fatalf("Handle(%q): %v", f, err)
		}
		for _, topic := range topics {
			got := mux.HandleMessage(context.Background(), &mqttkit.Message{Topic: topic}) == nil
			if want := packet.MatchTopic(f, topic); got != want {
				t.Errorf("filter %q, topic %q: Mux matched %v, MatchTopic %v", f, topic, got, want)
			}
		}
	}
}
