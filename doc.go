// Package mqttkit is an MQTT v5 client for producers and consumers: connect
// with failover and automatic reconnect, publish at QoS 0, 1 and 2, subscribe
// with handlers that run on a worker pool, and share a topic among many
// instances of a service through consumer groups (shared subscriptions), with
// acknowledgements sent only after the handler returns.
//
// The wire codec lives in package packet, an embedded broker in package broker,
// and a one-line test broker in package mqtttest.
package mqttkit
