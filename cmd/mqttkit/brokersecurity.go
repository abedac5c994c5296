package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mqttkit/mqttkit/broker"
)

// addBrokerSecurityFlags adds the broker's secure WebSocket, client
// certificate and SCRAM flags (the TLS listener's own are in broker.go).
func addBrokerSecurityFlags(f *pflag.FlagSet, cfg *broker.Config) {
	f.StringVar(&cfg.SecureWebSocketAddr, "wss-listen", "", "secure WebSocket listen address host:port (wss://, path /, subprotocol mqtt); needs --cert and --key")
	f.StringVar(&cfg.ClientCAFile, "client-cafile", "", "CA certificate (PEM) whose client certificates the TLS listeners accept (mutual TLS)")
	f.BoolVar(&cfg.RequireClientCertificate, "require-certificate", false, "refuse TLS clients without a valid certificate from --client-cafile")
	f.BoolVar(&cfg.CertificateIdentityAsUsername, "use-identity-as-username", false, "a client certificate's Common Name is the username, and the certificate the credential (needs --require-certificate)")
	f.StringVar(&cfg.SCRAMFile, "scram-file", "", "SCRAM credentials file for MQTT v5 enhanced authentication, SCRAM-SHA-256/512 (create entries with 'mqttkit broker scram-passwd')")
}

// newSCRAMPasswdCmd is `mqttkit broker scram-passwd FILE USER`.
func newSCRAMPasswdCmd() *cobra.Command {
	var passwordFile string
	cmd := &cobra.Command{
		Use:   "scram-passwd FILE USER",
		Short: "Add USER to the SCRAM file FILE (SCRAM-SHA-256 and -512), or change their password",
		Long: `scram-passwd adds a user to a SCRAM credentials file for 'mqttkit broker
--scram-file', creating it with mode 0600. The file holds salted keys, not
the password. The password is never taken from the command line: it comes
from --password-file, $MQTTKIT_PASSWORD, a prompt (asked twice) on a
terminal, or the first line of stdin.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := newPassword(passwordFile)
			if err != nil {
				return err
			}
			if err := broker.AddSCRAMUser(args[0], args[1], pw); err != nil {
				return failure("broker scram-passwd: %v", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "broker scram-passwd: user %s saved in %s\n", args[1], args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "read the password from this file")
	return cmd
}
