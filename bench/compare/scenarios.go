package main

import "time"

// scenario is one line of the comparison: the same arguments go to every
// client.
type scenario struct {
	name string
	args []string // bench flags besides duration, warmup and the broker
	// mosquittoSub says whether mosquitto_sub can be the subscriber (one
	// subscriber, no group, no handler work, no rate).
	mosquittoSub bool
}

// scenarios are those of issue 7: QoS 0/1/2 with 64-byte payloads, 1 KB
// payloads, 100 publishers into one subscriber, a consumer group of three,
// a handler that takes 100 µs, and latency at a fixed 5k msg/s.
var scenarios = []scenario{
	{"qos0-64B", []string{"pubsub", "--qos", "0", "--size", "64"}, true},
	{"qos1-64B", []string{"pubsub", "--qos", "1", "--size", "64"}, true},
	{"qos2-64B", []string{"pubsub", "--qos", "2", "--size", "64"}, true},
	{"qos1-1KB", []string{"pubsub", "--qos", "1", "--size", "1024"}, true},
	{"qos1-100pub-1sub", []string{"pubsub", "--qos", "1", "--size", "64", "--clients", "100", "--inflight", "64"}, false},
	{"qos1-group-of-3", []string{"pubsub", "--qos", "1", "--size", "64", "--subscribers", "3", "--group", "cmp"}, false},
	// A slow handler cannot keep up with a publisher at full speed: a
	// fixed count from 8 publishers (8 topics, so that a client may run
	// handlers of different topics at once) bounds the run.
	{"qos1-handler-100us", []string{"pubsub", "--qos", "1", "--size", "64", "--handler-delay", "100us", "--clients", "8", "--count", "2500"}, false},
	{"qos1-5k-per-s", []string{"pubsub", "--qos", "1", "--size", "64", "--rate", "5000"}, false},
}

// runTimeout bounds one client's run: the measured time, the warmup, and
// room for connecting and draining.
func runTimeout(measured, warmup time.Duration) time.Duration {
	return measured + warmup + 60*time.Second
}
