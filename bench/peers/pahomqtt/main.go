// Command pahomqtt runs the bench scenarios with paho.mqtt.golang v1.5.1,
// the most used Go MQTT client (MQTT 3.1.1), with its default options as its
// README shows them, so that bench/compare measures it with the same engine
// as mqttkit. It speaks the peers' common command line and prints one JSON
// summary line.
package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/mqttkit/mqttkit/internal/bench"
)

func main() {
	bench.PeerMain(func(pf *bench.PeerFlags) bench.Driver { return driver{addr: pf.Addr()} })
}

type driver struct{ addr string }

func (driver) Name() string { return "paho.mqtt.golang" }

func (d driver) Connect(ctx context.Context, index int) (bench.Conn, error) {
	opts := mqtt.NewClientOptions().
		AddBroker("tcp://" + d.addr).
		SetClientID("pahomqtt-" + strconv.Itoa(index) + "-" + strconv.FormatUint(uint64(rand.Uint32()), 36)).
		SetCleanSession(true).
		SetKeepAlive(30 * time.Second)
	c := mqtt.NewClient(opts)
	t := c.Connect()
	select {
	case <-t.Done():
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := t.Error(); err != nil {
		return nil, fmt.Errorf("paho.mqtt.golang: %w", err)
	}
	pc := &conn{c: c, pending: make(chan pending, 4096), done: make(chan struct{})}
	go pc.collect()
	return pc, nil
}

type conn struct {
	c       mqtt.Client
	pending chan pending
	done    chan struct{}
}

type pending struct {
	t    mqtt.Token
	done func(error)
}

// Publish returns a token at once; a collector waits for the tokens in
// order and reports completion.
func (pc *conn) Publish(topic string, payload []byte, qos byte, done func(error)) {
	pc.pending <- pending{pc.c.Publish(topic, qos, false, payload), done}
}

func (pc *conn) collect() {
	defer close(pc.done)
	for p := range pc.pending {
		<-p.t.Done()
		p.done(p.t.Error())
	}
}

func (pc *conn) Subscribe(ctx context.Context, filter string, o bench.SubOptions, h func([]byte)) error {
	if o.Group != "" {
		filter = "$share/" + o.Group + "/" + filter
	}
	t := pc.c.Subscribe(filter, o.QoS, func(_ mqtt.Client, m mqtt.Message) { h(m.Payload()) })
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (pc *conn) Close() error {
	pc.c.Disconnect(250)
	close(pc.pending)
	<-pc.done
	return nil
}
