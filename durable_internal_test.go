package mqttkit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/internal/session"
	"github.com/mqttkit/mqttkit/mqtttest"
	"github.com/mqttkit/mqttkit/packet"
)

// gatedState is a State whose outbound records become durable only when the
// test opens the gate, or fail at once with refuse.
type gatedState struct {
	*session.Memory
	gate   chan struct{}
	refuse error
}

// handledGate is a State whose "handled" records of inbound QoS 2 messages
// become durable only when the test opens the gate.
type handledGate struct {
	*session.Memory
	gate chan struct{}
}

type chanCommit chan struct{}

func (c chanCommit) Done() <-chan struct{} { return c }
func (c chanCommit) Err() error            { return nil }

func (g *handledGate) HandledInboundQoS2(id uint16) session.Commit {
	g.Memory.HandledInboundQoS2(id)
	return chanCommit(g.gate)
}

type gateCommit struct{ g *gatedState }

func (c gateCommit) Done() <-chan struct{} { return c.g.gate }
func (c gateCommit) Err() error            { return nil }

type refusedCommit struct{ err error }

func (c refusedCommit) Done() <-chan struct{} { return closedChan }
func (c refusedCommit) Err() error            { return c.err }

func (g *gatedState) AddOutbound(seq uint64, p *packet.Publish) session.Commit {
	if g.refuse != nil {
		return refusedCommit{g.refuse}
	}
	g.Memory.AddOutbound(seq, p)
	return gateCommit{g}
}

// Publish returns only once the record is durable, even when the PUBACK
// came first; PublishAsync reports the record's durability (Stored)
// separately from the acknowledgement (Done); a store that refuses the
// record fails the publish before anything is sent.
func TestDurablePublishWaitsForTheRecord(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		g := &gatedState{Memory: session.NewMemory(), gate: make(chan struct{})}
		c, err := Dial(ctx, srv.URL(), Option(func(c *config) { c.state = g }))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()

		returned := make(chan error, 1)
		go func() { returned <- c.Publish(ctx, "gate/t", []byte("sync"), QoS1) }()
		// Once the PUBACK is in (Stats counts it), Publish must still wait.
		for deadline := time.Now().Add(10 * time.Second); c.Stats().Published != 1; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no PUBACK within 10s, so the wait proves nothing")
			}
		}
		select {
		case err := <-returned:
			t.Fatalf("Publish returned (%v) before its record was durable", err)
		case <-time.After(50 * time.Millisecond):
		}

		srv.Proxy().Blackhole(true)
		r := c.PublishAsync(ctx, "gate/t", []byte("async"), QoS1)
		select {
		case <-r.Stored():
			t.Fatalf("Stored closed before the record was durable: %v", r.StoredErr())
		case <-time.After(100 * time.Millisecond):
		}
		close(g.gate)
		if err := <-returned; err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if err := r.WaitStored(ctx); err != nil {
			t.Fatalf("WaitStored: %v", err)
		}
		select {
		case <-r.Done():
			t.Fatalf("acknowledged through a black hole: %v", r.Err())
		default:
		}

		g.refuse = errors.New("disk full")
		err = c.Publish(ctx, "gate/t", []byte("refused"), QoS1)
		if err == nil || !errors.Is(err, g.refuse) {
			t.Fatalf("Publish with a refusing store: %v, want the store's error", err)
		}
		ar := c.PublishAsync(ctx, "gate/t", []byte("refused"), QoS1)
		if err := ar.WaitStored(ctx); !errors.Is(err, g.refuse) {
			t.Fatalf("PublishAsync with a refusing store: WaitStored = %v", err)
		}
		if err := ar.Wait(ctx); !errors.Is(err, g.refuse) {
			t.Fatalf("PublishAsync with a refusing store: Wait = %v", err)
		}
	})
}

// An inbound QoS 2 message's PUBREC leaves only once its "handled" record
// is durable: until then the server sends no PUBREL, so the exchange stays
// open (the id stays recorded); once the record is durable it completes.
func TestDurablePubrecWaitsForTheHandledRecord(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		g := &handledGate{Memory: session.NewMemory(), gate: make(chan struct{})}
		handled := make(chan struct{}, 1)
		c, err := Dial(ctx, srv.URL(), WithClientID("pubrec-gate-"+srv.Name()), Option(func(c *config) { c.state = g }),
			WithSubscription("gate/q2", HandlerFunc(func(context.Context, *Message) error {
				handled <- struct{}{}
				return nil
			}), ExactlyOnce))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		pub, err := Dial(ctx, srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer pub.Close()
		if err := pub.Publish(ctx, "gate/q2", []byte("x"), QoS2); err != nil {
			t.Fatal(err)
		}
		select {
		case <-handled:
		case <-ctx.Done():
			t.Fatal("the message never reached the handler")
		}
		time.Sleep(200 * time.Millisecond)
		if _, _, in2, _ := g.Snapshot(); in2 != 1 {
			t.Fatalf("%d inbound QoS 2 exchanges open before the handled record is durable, want 1 (no PUBREC yet)", in2)
		}
		close(g.gate)
		for {
			if _, _, in2, _ := g.Snapshot(); in2 == 0 {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatal("the exchange did not complete after the handled record became durable")
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
}
