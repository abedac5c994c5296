// Package session holds the bookkeeping of an MQTT session that the client
// engine needs on its hot paths: packet identifiers from a free list and the
// queue that sends inbound acknowledgements in arrival order (MQTT-4.6.0-2)
// however out of order the handlers finish.
package session
