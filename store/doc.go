// Package store keeps an MQTT client's session state (MQTT v5 §4.1) so that a
// process that dies loses nothing it promised: outbound QoS 1 and 2 messages in
// flight or queued, inbound QoS 2 packet ids awaiting PUBREL, the
// server-assigned client identifier and the subscriptions.
//
// Two implementations share one small interface, [Store]:
//
//   - [NewMemory] keeps the state in memory. It is the client's default: a
//     session survives reconnects but not a restart of the process.
//   - [Open] keeps it in a directory: an append-only log of checksummed
//     records, written by one committer goroutine that shares each fsync among
//     all writers waiting at that moment (group commit), compacted when dead
//     records dominate, recovered up to the last complete record after a crash,
//     and locked so that a second process cannot open the same session.
//
// Every change ([Store.Put], [Store.Delete], or several at once with
// [Store.Apply]) returns at once with a [*Commit] that completes when the
// change is durable: s.Put(k, v).Wait(ctx) waits for the disk. This lets a
// publisher send a message while its record is being written and report "on
// disk" separately from the broker's acknowledgement.
//
// docs/STORE.md describes the file format, the recovery rules and the
// benchmark that decided between this log and an embedded key-value store.
package store
