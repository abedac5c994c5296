// Package compare holds the benchmark that chose store's own log over an
// embedded key-value store: BenchmarkDurablePut runs the same durable QoS 1
// publish lifecycle (put 100 bytes, wait until durable, delete, wait) against
// the log, bbolt and pebble with 1, 16 and 64 concurrent writers.
//
// It is a module of its own so that bbolt, pebble and pebble's two dozen
// dependencies never enter mqttkit's go.mod. Run it from this directory:
//
//	go test -run '^$' -bench DurablePut -benchtime 2s
//
// docs/STORE.md records the figures and the decision.
package compare
