package mqttkit

import (
	"sync/atomic"

	"github.com/mqttkit/mqttkit/packet"
)

// QoS is a delivery quality of service level.
type QoS = packet.QoS

// The three QoS levels.
const (
	QoS0 = packet.QoS0 // at most once: nothing is redelivered
	QoS1 = packet.QoS1 // at least once: redelivered until acknowledged
	QoS2 = packet.QoS2 // exactly once between client and server
)

// Message is an application message as a handler sees it.
type Message struct {
	Topic   string
	Payload []byte
	QoS     QoS
	Retain  bool
	Dup     bool // the server may have delivered it before
	// PacketID is the identifier the server gave an incoming QoS 1 or 2
	// message on its connection (0 at QoS 0), for logs and tools such as
	// mosquitto_sub's %m. It is unique only among the messages in flight on
	// one connection; a redelivered copy may carry another one. Publish
	// ignores it.
	PacketID   uint16
	Properties packet.Properties

	params  []string      // name, value pairs set by Mux for {name} wildcards
	arr     *arrival      // the inbound exchange to acknowledge; nil at QoS 0
	sub     *Subscription // the subscription that delivered it
	settled uint32        // 1 once acknowledged or held, atomically
	subID   [1]uint32     // backs a single Subscription Identifier, saving an allocation
}

// Ack acknowledges a message of a ManualAck subscription, from any goroutine
// and at any time; calling it again does nothing. For other subscriptions
// the client acknowledges when the handler returns, and Ack does nothing.
// The acknowledgement leaves after those of every message that arrived
// before this one.
func (m *Message) Ack() {
	if m.sub != nil && m.sub.cfg.manualAck {
		m.settle(false)
	}
}

// settle acknowledges the message, or, when failed under RedeliverOnError,
// holds it back and reconnects so that the server sends it again.
func (m *Message) settle(failed bool) {
	if !atomic.CompareAndSwapUint32(&m.settled, 0, 1) || m.arr == nil {
		return
	}
	hold := failed && m.sub.cfg.policy == RedeliverOnError && m.sub.c.canRedeliver()
	m.arr.settle(hold)
	if hold {
		m.sub.c.redeliver()
	}
}

// Param returns the value of the named wildcard of the Mux pattern that
// matched the message ("" when there is none): for the pattern
// "sensors/{device}/temp" and topic "sensors/d7/temp", Param("device") is "d7".
func (m *Message) Param(name string) string {
	for i := 0; i+1 < len(m.params); i += 2 {
		if m.params[i] == name {
			return m.params[i+1]
		}
	}
	return ""
}

// UserProperty returns the value of the first user property named key.
func (m *Message) UserProperty(key string) (string, bool) {
	for _, p := range m.Properties.UserProperties {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}
