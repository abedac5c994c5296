package mqttkit_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// tlsServer is a broker with a TLS listener, started for one test.
type tlsServer struct {
	name string
	// start starts it with the server certificate in certFile/keyFile
	// (the Certs' own when empty); require asks for client certificates
	// as the identity (require + identity as username).
	start func(t *testing.T, certs *mqtttest.Certs, certFile, keyFile string, require bool) string
}

var tlsServers = []tlsServer{
	{"embedded", func(t *testing.T, certs *mqtttest.Certs, certFile, keyFile string, require bool) string {
		b := mqtttest.NewBroker(t, mqtttest.WithoutPersistence(), mqtttest.WithUser("someone", "x"), mqtttest.WithTLS(certs, func(c *broker.Config) {
			if certFile != "" {
				c.TLSCertFile, c.TLSKeyFile = certFile, keyFile
			}
			c.RequireClientCertificate, c.CertificateIdentityAsUsername = require, require
		}))
		return b.TLSURL()
	}},
	{"mosquitto", func(t *testing.T, certs *mqtttest.Certs, certFile, keyFile string, require bool) string {
		return mqtttest.MosquittoTLS(t, certs, mqtttest.MosquittoTLSConfig{
			CertFile: certFile, KeyFile: keyFile, RequireCertificate: require, IdentityAsUsername: require,
		}).TLSURL()
	}},
}

// roundTrip subscribes and publishes through c and waits for the message.
func roundTrip(t *testing.T, c *mqttkit.Client, topic string) {
	t.Helper()
	ctx := testCtx(t, 10*time.Second)
	col := newCollector(1)
	if _, err := c.Subscribe(ctx, topic, col, mqttkit.AtLeastOnce); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, topic, []byte("secure"), mqttkit.QoS1); err != nil {
		t.Fatal(err)
	}
	if m := col.next(t); string(m.Payload) != "secure" {
		t.Fatalf("got %q, want %q", m.Payload, "secure")
	}
}

func TestTLSRoundTrip(t *testing.T) {
	for _, srv := range tlsServers {
		t.Run(srv.name, func(t *testing.T) {
			certs := mqtttest.NewCerts(t)
			url := srv.start(t, certs, "", "", false)
			c := dialURL(t, url, mqttkit.WithCAFile(certs.CAFile), mqttkit.WithCredentials("someone", "x"))
			roundTrip(t, c, "tls/round/trip")
		})
	}
}

// dialFail dials url and returns the error, failing the test when Dial
// succeeds or takes more than one attempt's time.
func dialFail(t *testing.T, url string, opts ...mqttkit.Option) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts = append([]mqttkit.Option{mqttkit.WithBackoff(10*time.Millisecond, 100*time.Millisecond)}, opts...)
	c, err := mqttkit.Dial(ctx, url, opts...)
	if err == nil {
		_ = c.Close()
		t.Fatalf("Dial(%s) succeeded", url)
	}
	if ctx.Err() != nil {
		t.Fatalf("Dial(%s) retried until its context ended (%v): a certificate error must end it at once", url, err)
	}
	return err
}

func TestTLSCertificateErrors(t *testing.T) {
	for _, srv := range tlsServers {
		t.Run(srv.name, func(t *testing.T) {
			certs := mqtttest.NewCerts(t)
			otherCerts := mqtttest.NewCerts(t)
			wrongHostCert, wrongHostKey := certs.Server(broker.ValidFor(time.Hour), "broker.example.com")
			expiredCert, expiredKey := certs.Server(broker.Validity{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}, "127.0.0.1")
			for _, tc := range []struct {
				name          string
				cert, key     string
				caFile        string
				want          []string
				wantX509Error any
			}{
				{"no CA", "", "", "", []string{"not a trusted certificate authority", "mqttkit test CA", "WithCAFile"}, &x509.UnknownAuthorityError{}},
				{"another CA", "", "", otherCerts.CAFile, []string{"not a trusted certificate authority", "WithCAFile"}, &x509.UnknownAuthorityError{}},
				{"host name mismatch", wrongHostCert, wrongHostKey, certs.CAFile, []string{`not valid for "127.0.0.1"`, "broker.example.com", "WithServerName"}, &x509.HostnameError{}},
				{"expired", expiredCert, expiredKey, certs.CAFile, []string{"expired at", "renew"}, &x509.CertificateInvalidError{}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					url := srv.start(t, certs, tc.cert, tc.key, false)
					var opts []mqttkit.Option
					if tc.caFile != "" {
						opts = append(opts, mqttkit.WithCAFile(tc.caFile))
					}
					err := dialFail(t, url, opts...)
					t.Logf("Dial: %v", err)
					for _, w := range tc.want {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("error %q does not say %q", err, w)
						}
					}
					var ce *mqttkit.CertificateError
					if !errors.As(err, &ce) {
						t.Errorf("error %v is not a *CertificateError", err)
					}
					if !errors.As(err, tc.wantX509Error) {
						t.Errorf("errors.As(%v, %T) is false", err, tc.wantX509Error)
					}
				})
			}
		})
	}
}

func TestTLSServerNameOverride(t *testing.T) {
	certs := mqtttest.NewCerts(t)
	cert, key := certs.Server(broker.ValidFor(time.Hour), "broker.example.com")
	url := tlsServers[0].start(t, certs, cert, key, false)
	c := dialURL(t, url, mqttkit.WithCAFile(certs.CAFile), mqttkit.WithServerName("broker.example.com"), mqttkit.WithCredentials("someone", "x"))
	roundTrip(t, c, "tls/sni")
}

func TestMutualTLS(t *testing.T) {
	for _, srv := range tlsServers {
		t.Run(srv.name, func(t *testing.T) {
			certs := mqtttest.NewCerts(t)
			url := srv.start(t, certs, "", "", true)
			t.Run("no client certificate", func(t *testing.T) {
				err := dialFail(t, url, mqttkit.WithCAFile(certs.CAFile))
				if !strings.Contains(err.Error(), "client certificate") {
					t.Errorf("error %q does not say the client certificate is the problem", err)
				}
			})
			t.Run("certificate from another CA", func(t *testing.T) {
				other := mqtttest.NewCerts(t)
				err := dialFail(t, url, mqttkit.WithCAFile(certs.CAFile), mqttkit.WithClientCertificate(other.ClientCert, other.ClientKey))
				if !strings.Contains(err.Error(), "client certificate") {
					t.Errorf("error %q does not say the client certificate is the problem", err)
				}
			})
			t.Run("with client certificate", func(t *testing.T) {
				// No username or password: the certificate is the
				// credential, and both brokers refuse anonymous clients.
				c := dialURL(t, url, mqttkit.WithCAFile(certs.CAFile), mqttkit.WithClientCertificate(certs.ClientCert, certs.ClientKey))
				roundTrip(t, c, "mtls/round/trip")
			})
		})
	}
}

func TestTLSOptionErrors(t *testing.T) {
	certs := mqtttest.NewCerts(t)
	for _, tc := range []struct {
		name string
		opt  mqttkit.Option
		want string
	}{
		{"missing CA file", mqttkit.WithCAFile("/nonexistent/ca.pem"), "CA file"},
		{"CA file without certificate", mqttkit.WithCAFile(certs.ClientKey), "holds no PEM certificate"},
		{"key without certificate", mqttkit.WithClientCertificate("", certs.ClientKey), "both the certificate file and the key file"},
		{"mismatched key", mqttkit.WithClientCertificate(certs.ClientCert, certs.ServerKey), "client certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 5*time.Second)
			_, err := mqttkit.Dial(ctx, "mqtts://127.0.0.1:1", tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Dial: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestCertificateIdentityACL checks that the certificate's Common Name is
// the username the ACL sees: "client" may use identity/client/# only, even
// when CONNECT names another user.
func TestCertificateIdentityACL(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(t *testing.T, certs *mqtttest.Certs, dir string) string
	}{
		{"embedded", func(t *testing.T, certs *mqtttest.Certs, dir string) string {
			acl := writeFile(t, dir, "acl", "user client\nreadwrite identity/%u/#\n")
			return mqtttest.NewBroker(t, mqtttest.WithoutPersistence(), mqtttest.WithUser("someone", "x"), mqtttest.WithTLS(certs, func(c *broker.Config) {
				c.RequireClientCertificate, c.CertificateIdentityAsUsername, c.ACLFile = true, true, acl
			})).TLSURL()
		}},
		{"mosquitto", func(t *testing.T, certs *mqtttest.Certs, dir string) string {
			acl := writeFile(t, dir, "acl", "user client\ntopic readwrite identity/client/#\n")
			return mqtttest.MosquittoTLS(t, certs, mqtttest.MosquittoTLSConfig{RequireCertificate: true, IdentityAsUsername: true, ACLFile: acl}).TLSURL()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			certs := mqtttest.NewCerts(t)
			url := tc.start(t, certs, t.TempDir())
			c := dialURL(t, url, mqttkit.WithCAFile(certs.CAFile), mqttkit.WithClientCertificate(certs.ClientCert, certs.ClientKey), mqttkit.WithCredentials("someone", "x"))
			roundTrip(t, c, "identity/client/t")
			if err := c.Publish(testCtx(t, 10*time.Second), "identity/someone/t", []byte("x"), mqttkit.QoS1); !errors.Is(err, mqttkit.ErrNotAuthorized) {
				t.Fatalf("Publish outside the certificate user's ACL: %v, want %v", err, mqttkit.ErrNotAuthorized)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTLSClientHello checks what WithServerName, WithALPN and
// WithTLSMinVersion put into the ClientHello, as a TLS listener sees it
// (it records the hello and ends the handshake; no MQTT is spoken).
func TestTLSClientHello(t *testing.T) {
	hellos := make(chan *tls.ClientHelloInfo, 1)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		select {
		case hellos <- h:
		default: // a retry's hello
		}
		return nil, errors.New("recorded")
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			_ = c.Close()
		}
	}()
	ctx := testCtx(t, 500*time.Millisecond)
	_, _ = mqttkit.Dial(ctx, "mqtts://"+ln.Addr().String(), mqttkit.WithServerName("broker.example.com"),
		mqttkit.WithALPN("mqtt"), mqttkit.WithTLSMinVersion(tls.VersionTLS13), mqttkit.WithBackoff(time.Second, time.Second))
	h := <-hellos
	if h.ServerName != "broker.example.com" || strings.Join(h.SupportedProtos, ",") != "mqtt" {
		t.Errorf("ClientHello SNI %q, ALPN %v; want broker.example.com and [mqtt]", h.ServerName, h.SupportedProtos)
	}
	for _, v := range h.SupportedVersions {
		if v < tls.VersionTLS13 {
			t.Errorf("ClientHello offers TLS version %#x below the minimum 1.3", v)
		}
	}
}
