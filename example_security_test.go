package mqttkit_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/broker"
)

// SCRAM against an embedded broker whose SCRAM file knows alice: the
// password never crosses the network, the broker proves it knows it too,
// and Reauthenticate runs the exchange again on the live connection.
func ExampleSCRAM() {
	dir, _ := os.MkdirTemp("", "mqttkit-example")
	defer os.RemoveAll(dir)
	scramFile := filepath.Join(dir, "scram")
	if err := broker.AddSCRAMUser(scramFile, "alice", "correct horse"); err != nil {
		log.Fatal(err)
	}
	srv, _ := broker.New(broker.Config{Addr: "127.0.0.1:0", SCRAMFile: scramFile, Logger: slog.New(slog.DiscardHandler)})
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	auth, err := mqttkit.SCRAM(mqttkit.SCRAMSHA256, "alice", "correct horse")
	if err != nil {
		log.Fatal(err)
	}
	c, err := mqttkit.Dial(ctx, "mqtt://"+srv.Addr(), mqttkit.WithAuthenticator(auth))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("connected with", auth.Method())
	fmt.Println("re-authenticated:", c.Reauthenticate(ctx) == nil)
	// Output:
	// connected with SCRAM-SHA-256
	// re-authenticated: true
}

// Mutual TLS with a development CA (what `mqttkit broker cert` writes): the
// broker requires a client certificate and takes its Common Name as the
// username.
func ExampleWithClientCertificate() {
	dir, _ := os.MkdirTemp("", "mqttkit-example")
	defer os.RemoveAll(dir)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			log.Fatal(err)
		}
		return p
	}
	ca, _ := broker.NewDevCA("example CA", time.Hour)
	serverCert, serverKey, _ := ca.IssueServer([]string{"127.0.0.1"}, broker.ValidFor(time.Hour))
	clientCert, clientKey, _ := ca.IssueClient("sensor-1", broker.ValidFor(time.Hour))
	caFile := write("ca.pem", ca.CertPEM)

	srv, _ := broker.New(broker.Config{
		Addr: "127.0.0.1:0", TLSAddr: "127.0.0.1:0",
		TLSCertFile: write("server.pem", serverCert), TLSKeyFile: write("server.key", serverKey),
		ClientCAFile: caFile, RequireClientCertificate: true, CertificateIdentityAsUsername: true,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mqttkit.Dial(ctx, "mqtts://"+srv.TLSAddr(),
		mqttkit.WithCAFile(caFile),
		mqttkit.WithClientCertificate(write("client.pem", clientCert), write("client.key", clientKey)))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("connected over mutual TLS")
	// Output: connected over mutual TLS
}
