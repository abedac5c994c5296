package mqtttest

import (
	"testing"
)

// Server is what tests need from a broker, whichever it is, so that one test
// body can run against the embedded broker and Mosquitto alike (see
// EachBroker).
type Server interface {
	// Name is "embedded" or "mosquitto", for subtest names and messages.
	Name() string
	// URL is "mqtt://127.0.0.1:PORT", through the fault-injecting proxy.
	URL() string
	// Addr is "127.0.0.1:PORT", through the fault-injecting proxy.
	Addr() string
	// DirectURL reaches the broker without the proxy: for benchmarks, and
	// not affected by DropClients, Pause or the proxy's faults.
	DirectURL() string
	// Proxy is the proxy in front of the broker, for Blackhole and Refuse.
	Proxy() *Proxy
	// DropClients closes every client connection made through URL.
	DropClients()
	// Restart stops the broker and starts it again on the same port,
	// keeping its state (sessions, subscriptions, retained and queued
	// messages) unless WithoutPersistence was given. Clients see their
	// connections closed.
	Restart()
	// Pause stalls the broker: connections stay open but nothing is read,
	// delivered or acknowledged until Resume.
	Pause()
	// Resume undoes Pause.
	Resume()
}

// Brokers starts every available broker with the same options: the
// embedded one, and Mosquitto when it is installed (or required by
// MQTTKIT_REQUIRE_MOSQUITTO=1, which makes its absence a failure).
func Brokers(t testing.TB, opts ...Option) []Server {
	t.Helper()
	servers := []Server{NewBroker(t, opts...)}
	if _, err := mosquittoPath(); err != nil {
		if requireMosquitto() {
			t.Fatalf("mqtttest: %v", err)
		}
		t.Logf("mqtttest: only the embedded broker: %v", err)
		return servers
	}
	return append(servers, Mosquitto(t, opts...))
}

// EachBroker runs fn as a subtest against each broker in turn, each started
// fresh with opts: "embedded", then "mosquitto" (skipped when the binary is
// missing, unless MQTTKIT_REQUIRE_MOSQUITTO=1).
func EachBroker(t *testing.T, fn func(t *testing.T, srv Server), opts ...Option) {
	t.Helper()
	t.Run("embedded", func(t *testing.T) { fn(t, NewBroker(t, opts...)) })
	t.Run("mosquitto", func(t *testing.T) { fn(t, Mosquitto(t, opts...)) })
}
