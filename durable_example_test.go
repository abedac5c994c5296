package mqttkit_test

import (
	"context"
	"log"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/store"
)

// A producer whose messages survive its own crash: the session lives in a
// directory, Publish returns once the message is acknowledged and on disk,
// and a restarted process sends what the last one left unacknowledged.
func ExampleWithStore() {
	run := func() error {
		ctx := context.Background()
		st, err := store.Open("/var/lib/billing/mqtt-session") // one process at a time
		if err != nil {
			return err
		}
		defer st.Close() // after the client's Close
		c, err := mqttkit.Dial(ctx, "mqtt://broker:1883", mqttkit.WithStore(st))
		if err != nil {
			return err
		}
		defer c.Close()
		for _, r := range c.Resumed() { // left by the previous process, sent again
			if err := r.Result.Wait(ctx); err != nil {
				log.Printf("resumed message to %s: %v", r.Message.Topic, err)
			}
		}
		if err := c.Publish(ctx, "invoices/created", []byte(`{"id":42}`), mqttkit.QoS1); err != nil {
			return err
		}
		// PublishAsync tells "on disk" and "acknowledged" apart.
		res := c.PublishAsync(ctx, "invoices/created", []byte(`{"id":43}`), mqttkit.QoS1)
		if err := res.WaitStored(ctx); err != nil {
			return err // not safe from a crash of this process
		}
		return res.Wait(ctx)
	}
	_ = run // needs a broker; see TestDurableResumesUnacknowledgedMessages
}
