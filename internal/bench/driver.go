package bench

import "context"

// Driver connects clients of one MQTT library. The scenarios only talk to
// it, so every library is measured by the same code; each implementation is
// a thin layer over the library's recommended API.
type Driver interface {
	// Name identifies the library in results ("mqttkit", "paho.golang", …).
	Name() string
	// Connect opens client number index; it returns once the client is
	// connected.
	Connect(ctx context.Context, index int) (Conn, error)
}

// Conn is one connected client.
type Conn interface {
	// Publish sends one message and calls done exactly once when it
	// completed: written (QoS 0) or acknowledged (QoS 1, 2), or failed.
	// It may block while the library applies flow control. payload is
	// not touched by the caller until done runs.
	Publish(topic string, payload []byte, qos byte, done func(error))
	// Subscribe subscribes filter and calls h for every message; h may be
	// called concurrently if the library handles messages concurrently.
	Subscribe(ctx context.Context, filter string, o SubOptions, h func(payload []byte)) error
	// Close disconnects.
	Close() error
}

// SubOptions are the subscription's settings.
type SubOptions struct {
	QoS     byte
	Group   string // shared subscription group, "" for none
	Workers int    // handler goroutines, when the library has the notion; 0: its default
}
