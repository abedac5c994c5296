// Package crashtest proves, with separate processes, that mqttkit's durable
// session (mqttkit.WithStore) loses nothing when a process is killed: its
// tests re-execute the test binary as a producer or a consumer group member,
// SIGKILL it at random moments, restart it on the same session directory,
// and count what a subscriber received. It has no API: the proof is in the
// tests (see docs/STORE.md for how to run them at full size).
package crashtest
