package mqttkit_test

import (
	"strings"
	"testing"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// Mosquitto 2.0.11 as Debian packages it has no WebSocket support ("Opening
// websockets listen socket ... Unable to start any listening sockets"), so
// these run against the embedded broker only.

func TestWebSocketRoundTrip(t *testing.T) {
	certs := mqtttest.NewCerts(t)
	b := mqtttest.NewBroker(t, mqtttest.WithoutPersistence(), mqtttest.WithTLS(certs, nil))
	for _, tc := range []struct {
		name string
		url  string
		opts []mqttkit.Option
	}{
		{"ws", b.WebSocketURL(), nil},
		{"ws with header", b.WebSocketURL(), []mqttkit.Option{mqttkit.WithWebSocketHeader("X-Tenant", "t1")}},
		{"wss", b.SecureWebSocketURL(), []mqttkit.Option{mqttkit.WithCAFile(certs.CAFile)}},
		{"wss with client certificate", b.SecureWebSocketURL(), []mqttkit.Option{mqttkit.WithCAFile(certs.CAFile), mqttkit.WithClientCertificate(certs.ClientCert, certs.ClientKey)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialURL(t, tc.url, tc.opts...)
			roundTrip(t, c, "ws/"+strings.ReplaceAll(tc.name, " ", "-"))
		})
	}
}

func TestSecureWebSocketCertificateError(t *testing.T) {
	certs := mqtttest.NewCerts(t)
	b := mqtttest.NewBroker(t, mqtttest.WithoutPersistence(), mqtttest.WithTLS(certs, nil))
	err := dialFail(t, b.SecureWebSocketURL())
	if !strings.Contains(err.Error(), "not a trusted certificate authority") {
		t.Fatalf("wss without the CA: %v, want an unknown-authority explanation", err)
	}
}

func TestSecureWebSocketMutualTLS(t *testing.T) {
	certs := mqtttest.NewCerts(t)
	b := mqtttest.NewBroker(t, mqtttest.WithoutPersistence(), mqtttest.WithUser("someone", "x"), mqtttest.WithTLS(certs, func(c *broker.Config) {
		c.RequireClientCertificate, c.CertificateIdentityAsUsername = true, true
	}))
	err := dialFail(t, b.SecureWebSocketURL(), mqttkit.WithCAFile(certs.CAFile))
	if !strings.Contains(err.Error(), "client certificate") {
		t.Errorf("wss without a client certificate: %v, want it to name the client certificate", err)
	}
	c := dialURL(t, b.SecureWebSocketURL(), mqttkit.WithCAFile(certs.CAFile), mqttkit.WithClientCertificate(certs.ClientCert, certs.ClientKey))
	roundTrip(t, c, "wss/mtls")
}
