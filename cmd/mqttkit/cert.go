package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/mqttkit/mqttkit/broker"
)

type certFlags struct {
	dir      string
	hosts    []string
	clients  []string
	validity time.Duration
}

// newCertCmd is `mqttkit broker cert`: a development CA with server and
// client certificates, so TLS and mutual TLS are one command away.
func newCertCmd() *cobra.Command {
	cf := &certFlags{}
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "Create a development CA and server/client certificates for TLS and mutual TLS",
		Long: `Create a local certificate authority and certificates signed by it, for
development and tests (not for production: use your organisation's CA there).

Files written to --dir (existing files are never overwritten; the CA is reused
when ca.pem and ca.key exist, so more clients can be added later):
  ca.pem, ca.key            the CA (clients trust ca.pem; keep ca.key private)
  server.pem, server.key    the broker's certificate for --host names
  NAME.pem, NAME.key        a client certificate per --client NAME (Common Name NAME)`,
		Example: `  mqttkit broker cert --dir ./certs --host localhost --host 127.0.0.1 --client alice
  mqttkit broker --tls-listen 127.0.0.1:8883 --cert certs/server.pem --key certs/server.key \
      --client-cafile certs/ca.pem --require-certificate --use-identity-as-username
  mqttkit sub -L mqtts://localhost:8883 --cafile certs/ca.pem --cert certs/alice.pem --key certs/alice.key -t '#'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cf.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&cf.dir, "dir", "certs", "directory to write the files to (created if missing)")
	f.StringArrayVar(&cf.hosts, "host", []string{"localhost", "127.0.0.1"}, "DNS name or IP address the server certificate is valid for (repeatable)")
	f.StringArrayVar(&cf.clients, "client", nil, "issue a client certificate with this Common Name (repeatable)")
	f.DurationVar(&cf.validity, "valid-for", 90*24*time.Hour, "validity of the certificates")
	return cmd
}

func (cf *certFlags) run(cmd *cobra.Command) error {
	if cf.validity <= 0 {
		return usageErr(cmd, "--valid-for %v: give a positive duration such as 2160h", cf.validity)
	}
	if err := os.MkdirAll(cf.dir, 0o700); err != nil {
		return failure("creating %s: %v", cf.dir, err)
	}
	ca, created, err := cf.loadOrCreateCA()
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if created {
		fmt.Fprintf(out, "wrote %s and %s (the CA)\n", cf.path("ca.pem"), cf.path("ca.key"))
	}
	v := broker.ValidFor(cf.validity)
	if !exists(cf.path("server.pem")) {
		cert, key, err := ca.IssueServer(cf.hosts, v)
		if err != nil {
			return usageErr(cmd, "%v", err)
		}
		if err := cf.writePair("server", cert, key); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s and %s (server, valid for %v)\n", cf.path("server.pem"), cf.path("server.key"), cf.hosts)
	}
	for _, name := range cf.clients {
		if name == "ca" || name == "server" || filepath.Base(name) != name {
			return usageErr(cmd, "--client %q: choose a name that is not ca or server and has no path separator", name)
		}
		cert, key, err := ca.IssueClient(name, v)
		if err != nil {
			return usageErr(cmd, "%v", err)
		}
		if err := cf.writePair(name, cert, key); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s and %s (client %s)\n", cf.path(name+".pem"), cf.path(name+".key"), name)
	}
	return nil
}

// loadOrCreateCA reuses ca.pem/ca.key in the directory or creates them.
func (cf *certFlags) loadOrCreateCA() (*broker.DevCA, bool, error) {
	certPEM, err1 := os.ReadFile(cf.path("ca.pem"))
	keyPEM, err2 := os.ReadFile(cf.path("ca.key"))
	if err1 == nil && err2 == nil {
		ca, err := broker.LoadDevCA(certPEM, keyPEM)
		if err != nil {
			return nil, false, failure("%v", err)
		}
		return ca, false, nil
	}
	ca, err := broker.NewDevCA("mqttkit development CA", cf.validity)
	if err != nil {
		return nil, false, failure("creating the CA: %v", err)
	}
	key, err := ca.KeyPEM()
	if err != nil {
		return nil, false, failure("encoding the CA key: %v", err)
	}
	if err := cf.writePair("ca", ca.CertPEM, key); err != nil {
		return nil, false, err
	}
	return ca, true, nil
}

// writePair writes NAME.pem (0644) and NAME.key (0600), refusing to
// overwrite either.
func (cf *certFlags) writePair(name string, cert, key []byte) error {
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{{name + ".pem", cert, 0o644}, {name + ".key", key, 0o600}} {
		fh, err := os.OpenFile(cf.path(f.name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
		if errors.Is(err, fs.ErrExist) {
			return failure("%s exists; remove it or choose another --dir (files are never overwritten)", cf.path(f.name))
		}
		if err != nil {
			return failure("%v", err)
		}
		_, err = fh.Write(f.data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return failure("writing %s: %v", cf.path(f.name), err)
		}
	}
	return nil
}

func (cf *certFlags) path(name string) string { return filepath.Join(cf.dir, name) }

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
