package main

import (
	"github.com/spf13/pflag"

	"github.com/mqttkit/mqttkit/broker"
)

// addBrokerSecurityFlags adds the broker's secure WebSocket and client
// certificate flags (the TLS listener's own are in broker.go).
func addBrokerSecurityFlags(f *pflag.FlagSet, cfg *broker.Config) {
	f.StringVar(&cfg.SecureWebSocketAddr, "wss-listen", "", "secure WebSocket listen address host:port (wss://, path /, subprotocol mqtt); needs --cert and --key")
	f.StringVar(&cfg.ClientCAFile, "client-cafile", "", "CA certificate (PEM) whose client certificates the TLS listeners accept (mutual TLS)")
	f.BoolVar(&cfg.RequireClientCertificate, "require-certificate", false, "refuse TLS clients without a valid certificate from --client-cafile")
	f.BoolVar(&cfg.CertificateIdentityAsUsername, "use-identity-as-username", false, "a client certificate's Common Name is the username, and the certificate the credential (needs --require-certificate)")
}
