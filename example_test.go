package mqttkit_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strconv"
	"time"

	"github.com/mqttkit/mqttkit"
)

func process([]byte) error { return nil }

// The consumer of docs/MIGRATING.md: a URL list, credentials, 100
// publishes and a consumer-group subscription.
func Example_consumer() {
	password := "secret"
	run := func() error {
		ctx := context.Background()
		c, err := mqttkit.Dial(ctx, "mqtt://broker-a:1883,mqtt://broker-b:1883",
			mqttkit.WithCredentials("admin", password))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Subscribe(ctx, "orders/+/created", mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
			return process(m.Payload) // nil: acknowledged; error: see ErrorPolicy
		}), mqttkit.Group("billing"))
		for i := 0; i < 100 && err == nil; i++ {
			err = c.Publish(ctx, "orders/1/created", []byte(strconv.Itoa(i)), mqttkit.QoS1)
		}
		return err
	}
	_ = run // needs a broker; see the tests for running versions
}

// A refused login is a typed error that Dial returns at once.
func ExampleReasonError() {
	err := error(&mqttkit.ReasonError{Packet: 2, Code: 0x86, Reason: "bad password"})
	fmt.Println(errors.Is(err, mqttkit.ErrBadCredentials), errors.Is(err, mqttkit.ErrNotAuthorized))
	// Output: true false
}

// PublishAsync lets many messages be in flight at once; each result reports
// its own acknowledgement.
func ExampleClient_PublishAsync() {
	run := func(c *mqttkit.Client) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		results := make([]*mqttkit.PublishResult, 0, 1000)
		for i := range 1000 {
			results = append(results, c.PublishAsync(ctx, "metrics/cpu", []byte(strconv.Itoa(i)), mqttkit.QoS1))
		}
		for _, r := range results {
			if err := r.Wait(ctx); err != nil {
				log.Print(err) // ErrQueueFull, a *ReasonError, or ctx's error
			}
		}
	}
	_ = run
}
