// Command pahogolang runs the bench scenarios with paho.golang v0.23.0
// (MQTT v5) through autopaho, the connection manager its README recommends,
// so that bench/compare measures it with the same engine as mqttkit. It
// speaks the peers' common command line and prints one JSON summary line.
package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"

	"github.com/mqttkit/mqttkit/internal/bench"
)

func main() {
	bench.PeerMain(func(pf *bench.PeerFlags) bench.Driver { return driver{addr: pf.Addr()} })
}

type driver struct{ addr string }

func (driver) Name() string { return "paho.golang" }

func (d driver) Connect(ctx context.Context, index int) (bench.Conn, error) {
	u, err := url.Parse("mqtt://" + d.addr)
	if err != nil {
		return nil, err
	}
	c := &conn{}
	cfg := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		KeepAlive:                     30,
		CleanStartOnInitialConnection: true,
		ClientConfig: paho.ClientConfig{
			ClientID: "pahogolang-" + strconv.Itoa(index) + "-" + strconv.FormatInt(int64(randID()), 36),
		},
	}
	c.cm, err = autopaho.NewConnection(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	if err := c.cm.AwaitConnection(ctx); err != nil {
		_ = c.cm.Disconnect(context.Background())
		return nil, fmt.Errorf("paho.golang: %w", err)
	}
	return c, nil
}

type conn struct {
	cm *autopaho.ConnectionManager
	wg sync.WaitGroup
}

// Publish: autopaho's Publish blocks until the acknowledgement, so the
// messages in flight each get a goroutine (the bench bounds them).
func (c *conn) Publish(topic string, payload []byte, qos byte, done func(error)) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		_, err := c.cm.Publish(context.Background(), &paho.Publish{Topic: topic, QoS: qos, Payload: payload})
		done(err)
	}()
}

func (c *conn) Subscribe(ctx context.Context, filter string, o bench.SubOptions, h func([]byte)) error {
	c.cm.AddOnPublishReceived(func(pr autopaho.PublishReceived) (bool, error) {
		h(pr.Packet.Payload)
		return true, nil
	})
	if o.Group != "" {
		filter = "$share/" + o.Group + "/" + filter
	}
	_, err := c.cm.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: o.QoS}}})
	return err
}

func (c *conn) Close() error {
	err := c.cm.Disconnect(context.Background())
	c.wg.Wait()
	return err
}
