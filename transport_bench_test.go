package mqttkit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// BenchmarkTransports measures QoS 1 publish-to-delivery through each
// transport (one publisher and one subscriber in this process): msg/s and
// the process's CPU per message, so TLS and WebSocket cost shows as a ratio
// to TCP on the same broker in the same run. Mosquitto has no WebSocket
// listener here, so ws and wss run on the embedded broker only.
func BenchmarkTransports(b *testing.B) {
	certs := mqtttest.NewCerts(b)
	m := mqtttest.MosquittoTLS(b, certs, mqtttest.MosquittoTLSConfig{})
	e := mqtttest.NewBroker(b, mqtttest.WithoutPersistence(), mqtttest.WithTLS(certs, nil))
	ca := mqttkit.WithCAFile(certs.CAFile)
	for _, tc := range []struct{ name, url string }{
		{"mosquitto/tcp", m.DirectURL()},
		{"mosquitto/tls", m.TLSURL()},
		{"embedded/tcp", e.DirectURL()},
		{"embedded/tls", e.TLSURL()},
		{"embedded/ws", e.WebSocketURL()},
		{"embedded/wss", e.SecureWebSocketURL()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			topic := fmt.Sprintf("bench/transport/%d", b.N)
			cnt := newCounter(b.N)
			sub := dialURL(b, tc.url, ca)
			h := mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error { cnt.add(); return nil })
			if _, err := sub.Subscribe(ctx, topic, h, mqttkit.AtLeastOnce); err != nil {
				b.Fatal(err)
			}
			pub := dialURL(b, tc.url, ca)
			measure(b, cnt, concurrently(b.N, func(int) error { return pub.Publish(ctx, topic, benchPayload, mqttkit.QoS1) }))
		})
	}
}
