package bench

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Scenario names what a run measures.
type Scenario string

// The scenarios.
const (
	Pub    Scenario = "pub"    // clients publish; acknowledgements are measured
	Sub    Scenario = "sub"    // clients subscribe to publishers elsewhere
	PubSub Scenario = "pubsub" // publishers and subscribers, end to end
	Conns  Scenario = "conn"   // open and hold connections
)

// Config describes one run.
type Config struct {
	Scenario    Scenario
	Clients     int           // publishers (pub, pubsub), subscribers (sub) or connections (conn)
	Subscribers int           // subscribers of pubsub
	Count       int           // messages per publisher; 0 with Duration
	Duration    time.Duration // how long to publish (or, for sub and conn, to hold); 0 with Count
	Rate        float64       // messages per second of each publisher; 0: as fast as it goes
	Size        int           // payload bytes, at least HeaderSize
	QoS         byte
	Topic       string // %i is replaced by the client index
	Group       string // subscribers share the stream as this group
	Inflight    int    // unfinished publishes per publisher
	Warmup      time.Duration
	// HandlerDelay is work each received message takes in the handler,
	// simulated with a sleep (I/O such as a database write).
	HandlerDelay time.Duration
	Workers      int           // handler goroutines per subscriber; 0: the library's default
	Drain        time.Duration // how long to wait for missing messages after publishing
	Parallel     int           // connections opened at once (conn)
	// Progress, when set, is called once a second with the counts so far.
	Progress func(Sample)
	// BeforeClose, when set, is called at the end of the run while every
	// client is still connected (a heap profile sees their memory then).
	BeforeClose func()
}

// Check returns an error saying what to change when c cannot run.
func (c *Config) Check() error {
	switch c.Scenario {
	case Pub, Sub, PubSub, Conns:
	default:
		return fmt.Errorf("unknown scenario %q: use pub, sub, pubsub or conn", c.Scenario)
	}
	if c.Clients < 1 {
		return fmt.Errorf("clients %d: at least one client is needed", c.Clients)
	}
	if c.Scenario == PubSub && c.Subscribers < 1 {
		return fmt.Errorf("subscribers %d: pubsub needs at least one subscriber", c.Subscribers)
	}
	if c.Count < 0 || c.Duration < 0 || c.Rate < 0 || c.Warmup < 0 || c.HandlerDelay < 0 {
		return fmt.Errorf("count, duration, rate, warmup and handler delay cannot be negative")
	}
	if c.Count > 0 && c.Duration > 0 {
		return fmt.Errorf("give either a count per client or a duration, not both")
	}
	if c.Size < HeaderSize {
		return fmt.Errorf("size %d: a bench message needs at least %d bytes (send time, publisher, sequence number)", c.Size, HeaderSize)
	}
	if c.QoS > 2 {
		return fmt.Errorf("qos %d: use 0, 1 or 2", c.QoS)
	}
	if c.Inflight < 1 {
		return fmt.Errorf("inflight %d: at least 1", c.Inflight)
	}
	if c.Topic == "" || strings.ContainsAny(c.Topic, "+#") {
		return fmt.Errorf("topic %q: give a topic name without wildcards (%%i is the client index)", c.Topic)
	}
	if strings.ContainsAny(c.Group, "/+#") {
		return fmt.Errorf("group %q: a group name cannot contain /, + or #", c.Group)
	}
	return nil
}

// TopicFor returns the topic of client i.
func (c *Config) TopicFor(i int) string { return strings.ReplaceAll(c.Topic, "%i", strconv.Itoa(i)) }

// Filter returns the filter that matches every client's topic: each level
// holding %i becomes +.
func (c *Config) Filter() string {
	levels := strings.Split(c.Topic, "/")
	for i, l := range levels {
		if strings.Contains(l, "%i") {
			levels[i] = "+"
		}
	}
	return strings.Join(levels, "/")
}
