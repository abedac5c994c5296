package bench

import "testing"

func TestLedger(t *testing.T) {
	type arrival struct {
		pub uint32
		seq uint64
	}
	tests := []struct {
		name     string
		arrivals []arrival
		sent     []uint64 // nil: publishers elsewhere
		want     Tally
		ooo      uint64
	}{
		{"all in order", []arrival{{0, 0}, {0, 1}, {0, 2}}, []uint64{3}, Tally{Distinct: 3}, 0},
		{"tail lost", []arrival{{0, 0}, {0, 1}}, []uint64{4}, Tally{Distinct: 2, Lost: 2}, 0},
		{"gap lost, publishers elsewhere", []arrival{{0, 0}, {0, 3}}, nil, Tally{Distinct: 2, Lost: 2}, 0},
		{"tail invisible, publishers elsewhere", []arrival{{0, 0}, {0, 1}}, nil, Tally{Distinct: 2}, 0},
		{"duplicate of the latest", []arrival{{0, 0}, {0, 1}, {0, 1}}, []uint64{2}, Tally{Distinct: 2, Duplicated: 1}, 0},
		{"old duplicate is also out of order", []arrival{{0, 0}, {0, 1}, {0, 0}}, []uint64{2}, Tally{Distinct: 2, Duplicated: 1}, 1},
		{"reordered", []arrival{{0, 1}, {0, 0}, {0, 2}}, []uint64{3}, Tally{Distinct: 3}, 1},
		{"two publishers interleaved", []arrival{{1, 0}, {0, 0}, {1, 1}, {0, 1}}, []uint64{2, 2}, Tally{Distinct: 4}, 0},
		{"silent publisher lost all", []arrival{{0, 0}}, []uint64{1, 5}, Tally{Distinct: 1, Lost: 5}, 0},
		{"large sequence numbers", []arrival{{0, 100000}, {0, 99999}}, nil, Tally{Distinct: 2, Lost: 99999}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l Ledger
			var oc orderCheck
			for _, a := range tc.arrivals {
				l.Record(a.pub, a.seq)
				oc.check(a.pub, a.seq)
			}
			if got := l.Tally(tc.sent); got != tc.want {
				t.Errorf("tally %+v, want %+v", got, tc.want)
			}
			if oc.count() != tc.ooo {
				t.Errorf("out of order %d, want %d", oc.count(), tc.ooo)
			}
		})
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	b := make([]byte, 64)
	h := header{sent: 1234567890123, publisher: 7, seq: 1<<40 + 3, flags: flagWarmup}
	h.put(b)
	got, err := parseHeader(b)
	if err != nil || got != h {
		t.Fatalf("parsed %+v, %v; want %+v", got, err, h)
	}
	if _, err := parseHeader(b[:HeaderSize-1]); err == nil {
		t.Fatal("a payload shorter than the header parsed")
	}
}

func TestTopicAndFilter(t *testing.T) {
	tests := []struct{ topic, client3, filter string }{
		{"bench/%i", "bench/3", "bench/+"},
		{"a/dev-%i/t", "a/dev-3/t", "a/+/t"},
		{"fixed/topic", "fixed/topic", "fixed/topic"},
	}
	for _, tc := range tests {
		t.Run(tc.topic, func(t *testing.T) {
			c := Config{Topic: tc.topic}
			if got := c.TopicFor(3); got != tc.client3 {
				t.Errorf("TopicFor(3) = %q, want %q", got, tc.client3)
			}
			if got := c.Filter(); got != tc.filter {
				t.Errorf("Filter() = %q, want %q", got, tc.filter)
			}
		})
	}
}

func TestConfigCheck(t *testing.T) {
	ok := Config{Scenario: PubSub, Clients: 1, Subscribers: 1, Size: 64, Inflight: 1, Topic: "t/%i"}
	tests := []struct {
		name string
		mod  func(*Config)
	}{
		{"unknown scenario", func(c *Config) { c.Scenario = "x" }},
		{"no clients", func(c *Config) { c.Clients = 0 }},
		{"payload below header", func(c *Config) { c.Size = HeaderSize - 1 }},
		{"qos 3", func(c *Config) { c.QoS = 3 }},
		{"wildcard topic", func(c *Config) { c.Topic = "t/+" }},
		{"group with slash", func(c *Config) { c.Group = "a/b" }},
		{"count and duration", func(c *Config) { c.Count, c.Duration = 1, 1 }},
	}
	if err := ok.Check(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mod(&c)
			if c.Check() == nil {
				t.Fatal("accepted")
			}
		})
	}
}
