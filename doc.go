// Package mqttkit is an MQTT v5 client for producers and consumers: connect
// with failover and automatic reconnect, publish at QoS 0, 1 and 2, subscribe
// with handlers that run on a worker pool, and share a topic among many
// instances of a service through consumer groups (shared subscriptions), with
// acknowledgements sent only after the handler returns.
//
//	c, err := mqttkit.Dial(ctx, "mqtt://a:1883,mqtt://b:1883", mqttkit.WithCredentials(user, pass))
//	err = c.Publish(ctx, "orders/created", payload, mqttkit.QoS1) // returns after PUBACK
//	sub, err := c.Subscribe(ctx, "orders/+/created", h, mqttkit.Group("billing"), mqttkit.Workers(8))
//
// # Guarantees
//
// The client keeps one connection at a time and replaces it when it fails
// (network error, server DISCONNECT, no PINGRESP), trying the servers in turn
// with exponential backoff and full jitter. Every reconnect resumes the
// session (Clean Start 0): publishes in flight are resent in their original
// order, with DUP when the server kept the session and as new messages when
// it did not; subscriptions are sent again when the server lost the session.
// Handlers survive reconnects.
//
// Publish returns after the server's acknowledgement, so a nil error means
// the server has the message. The in-flight window is the server's Receive
// Maximum. Limits the server announces (Maximum Packet Size, Maximum QoS,
// Retain Available, shared and wildcard subscriptions) are checked before
// sending and reported as errors that errors.Is can test.
//
// Messages of one topic reach the handler in order (unless Unordered); a
// message is acknowledged after its handler returns, and acknowledgements
// leave in arrival order (MQTT-4.6.0-2). A failed handler is handled by the
// subscription's ErrorPolicy: by default the error is logged and counted and
// the message acknowledged, so one bad message cannot stall the session; use
// the middleware package to retry and dead-letter. At QoS 2 a handler runs
// once per message even when the server sends it again.
//
// Drain stops deliveries, lets handlers finish, flushes acknowledgements and
// disconnects; Close disconnects at once. Neither leaves a goroutine behind.
//
// The wire codec lives in package packet, an embedded broker in package
// broker, and a one-line test broker in package mqtttest.
package mqttkit
