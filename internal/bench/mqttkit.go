package bench

import (
	"context"

	"github.com/mqttkit/mqttkit"
)

// Mqttkit is the Driver of mqttkit's own client. Dial makes client number
// index (the CLI passes its connection flags through it).
type Mqttkit struct {
	Dial func(ctx context.Context, index int) (*mqttkit.Client, error)
}

// Name implements Driver.
func (Mqttkit) Name() string { return "mqttkit" }

// Connect implements Driver.
func (d Mqttkit) Connect(ctx context.Context, index int) (Conn, error) {
	c, err := d.Dial(ctx, index)
	if err != nil {
		return nil, err
	}
	return &mqttkitConn{c: c}, nil
}

type mqttkitConn struct {
	c *mqttkit.Client
	// pending and done are made by the first Publish: subscribers and
	// held connections (conn) do not pay for them.
	pending chan pendingPublish
	done    chan struct{}
}

type pendingPublish struct {
	r    *mqttkit.PublishResult
	done func(error)
}

// Publish uses PublishAsync, the client's way to keep many messages in
// flight from one goroutine; a collector reports completions in order.
// It is called from one goroutine per connection, the publisher's.
func (mc *mqttkitConn) Publish(topic string, payload []byte, qos byte, done func(error)) {
	if mc.pending == nil {
		mc.pending, mc.done = make(chan pendingPublish, 4096), make(chan struct{})
		go mc.collect()
	}
	mc.pending <- pendingPublish{mc.c.PublishAsync(context.Background(), topic, payload, mqttkit.QoS(qos)), done}
}

func (mc *mqttkitConn) collect() {
	defer close(mc.done)
	for p := range mc.pending {
		<-p.r.Done()
		p.done(p.r.Err())
	}
}

func (mc *mqttkitConn) Subscribe(ctx context.Context, filter string, o SubOptions, h func([]byte)) error {
	opts := []mqttkit.SubscribeOption{[]mqttkit.SubscribeOption{mqttkit.AtMostOnce, mqttkit.AtLeastOnce, mqttkit.ExactlyOnce}[o.QoS]}
	if o.Group != "" {
		opts = append(opts, mqttkit.Group(o.Group))
	}
	if o.Workers > 0 {
		opts = append(opts, mqttkit.Workers(o.Workers))
	}
	_, err := mc.c.Subscribe(ctx, filter, mqttkit.HandlerFunc(func(_ context.Context, m *mqttkit.Message) error {
		h(m.Payload)
		return nil
	}), opts...)
	return err
}

// Close closes the client, which fails what is still in flight, so the
// collector ends.
func (mc *mqttkitConn) Close() error {
	err := mc.c.Close()
	if mc.pending != nil {
		close(mc.pending)
		<-mc.done
	}
	return err
}
