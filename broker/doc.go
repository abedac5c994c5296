// Package broker is mqttkit's embedded MQTT broker: a real MQTT v5/v3.1.1
// broker for development, tests and small single-machine deployments.
//
// It is built on github.com/mochi-mqtt/server/v2 and covers the gaps that
// version v2.7.9 leaves open:
//
//   - every connection is read through a validating reader built on mqttkit's
//     own packet decoder, so a malformed or oversized packet closes that one
//     connection instead of panicking the process (mochi issue 501);
//   - shared subscriptions deliver round-robin over connected members and fall
//     back to an offline member's session only when no member is connected;
//   - messages the broker has to drop (full queues, exhausted quotas, expiry)
//     are counted in [Stats] and logged, never silently lost;
//   - [Server.Close] is idempotent, waits for every goroutine the server
//     started, and is safe against connections arriving while it runs
//     (mochi issue 541).
//
// Authentication uses a users file of bcrypt hashes (see [AddUser]) and an
// optional ACL file (see [LoadACL] for the format). Persistence to disk uses
// bbolt through mochi's storage hook (see [Config.DataDir]).
//
// For tests, prefer package mqtttest, which starts a broker on a free
// loopback port in one line and adds fault injection.
package broker
