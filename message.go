package mqttkit

import (
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
	Topic      string
	Payload    []byte
	QoS        QoS
	Retain     bool
	Dup        bool // the server may have delivered it before
	Properties packet.Properties

	params []string // name, value pairs set by Mux for {name} wildcards
	ack    func() error
	acked  bool
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
