package main

import (
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
)

// -F codes that depend on the message rather than on the broker, checked
// without one; the end-to-end tests cover the rest.
func TestFormatCodes(t *testing.T) {
	at := time.Unix(1700000000, 5).UTC()
	for _, tc := range []struct {
		name, format string
		m            mqttkit.Message
		want         string
	}{
		{"packet id", "%m|%q", mqttkit.Message{PacketID: 7, QoS: mqttkit.QoS1}, "7|1"},
		{"packet id at QoS 0", "%m", mqttkit.Message{}, "0"},
		{"topic and payload", "%t %p", mqttkit.Message{Topic: "a/b", Payload: []byte("x")}, "a/b x"},
		{"unix time", "%U", mqttkit.Message{}, "1700000000.000000005"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &output{format: tc.format}
			if err := o.check(); err != nil {
				t.Fatalf("check(%q): %v", tc.format, err)
			}
			got, err := o.formatted(nil, &tc.m, at)
			if err != nil || string(got) != tc.want {
				t.Fatalf("formatted(%q) = %q, %v; want %q", tc.format, got, err, tc.want)
			}
		})
	}
}
