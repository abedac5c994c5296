// Package mqtttest starts real MQTT brokers for tests, in one line, the way
// net/http/httptest starts HTTP servers:
//
//	b := mqtttest.NewBroker(t)       // embedded broker (package broker)
//	m := mqtttest.Mosquitto(t)       // a real mosquitto process
//	c := dial(b.URL())               // "mqtt://127.0.0.1:PORT"
//
// Both log to t.Log (warnings only, unless WithDebug), pick a free loopback
// port, keep state on disk in t.TempDir() so Restart keeps sessions, and stop
// at the end of the test. Both satisfy Server, so a test can run against
// each with EachBroker.
//
// Clients reach a broker through a TCP Proxy (URL, Addr), which is how
// DropClients, Pause and the proxy's Blackhole and Refuse inject faults the
// same way for both brokers; DirectURL skips the proxy, for benchmarks.
//
// Mosquitto tests are skipped when the mosquitto binary is missing, unless
// the environment sets MQTTKIT_REQUIRE_MOSQUITTO=1 (as CI does), where a
// missing binary fails the test.
package mqtttest
