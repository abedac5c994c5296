package main

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mqttkit/mqttkit"
)

// tlsFlags are the TLS and WebSocket flags of the client commands, named as
// in mosquitto_pub where mosquitto_pub has them.
type tlsFlags struct {
	caFile         string
	caPath         string
	cert           string
	key            string
	passphraseFile string
	version        string
	insecure       bool
	insecureCreds  bool
	serverName     string
	alpn           []string
	wsHeaders      []string
}

// addTLSFlags adds the TLS and WebSocket flags to cmd.
func addTLSFlags(cmd *cobra.Command) *tlsFlags {
	tf := &tlsFlags{}
	f := cmd.Flags()
	f.StringVar(&tf.caFile, "cafile", "", "trust the CA certificates in this PEM file instead of the system's (implies TLS: mqtts://, default port 8883)")
	f.StringVar(&tf.caPath, "capath", "", "trust the CA certificates in the *.pem, *.crt and c_rehash (HASH.0) files of this directory")
	f.StringVar(&tf.cert, "cert", "", "client certificate (PEM) for mutual TLS; needs --key")
	f.StringVar(&tf.key, "key", "", "private key (PEM) of --cert; if encrypted, the passphrase comes from --key-passphrase-file or MQTTKIT_KEY_PASSPHRASE")
	f.StringVar(&tf.passphraseFile, "key-passphrase-file", "", "read the passphrase of an encrypted --key from this file")
	f.StringVar(&tf.version, "tls-version", "", "lowest TLS version to accept: tlsv1.2 (default) or tlsv1.3")
	f.BoolVar(&tf.insecure, "insecure", false, "do not verify the server's certificate at all (testing only; warns every time)")
	f.BoolVar(&tf.insecureCreds, "insecure-send-credentials", false, "allow --insecure together with a user name or password")
	f.StringVar(&tf.serverName, "servername", "", "name to send as SNI and verify in the server's certificate, when it differs from the host")
	f.StringVar(&tf.serverName, "sni", "", "same as --servername")
	f.StringSliceVar(&tf.alpn, "alpn", nil, "ALPN protocols to offer (comma-separated or repeated)")
	f.StringArrayVar(&tf.wsHeaders, "ws-header", nil, `extra header for the WebSocket upgrade of ws:// and wss:// URLs, "Name: value" (repeatable)`)
	return tf
}

// wantsTLS reports whether a TLS flag was given, which turns -h/-p into an
// mqtts:// server.
func (tf *tlsFlags) wantsTLS() bool {
	return tf.caFile != "" || tf.caPath != "" || tf.cert != "" || tf.insecure || tf.version != "" || tf.serverName != "" || len(tf.alpn) > 0
}

// options checks the flags and returns the client options; warn prints a
// warning (unless --quiet), credentials says whether a user name or
// password is configured.
func (tf *tlsFlags) options(cmd *cobra.Command, servers []string, credentials bool, warn func(string, ...any)) ([]mqttkit.Option, error) {
	secure := slices.ContainsFunc(servers, func(s string) bool {
		return strings.HasPrefix(s, "mqtts://") || strings.HasPrefix(s, "tls://") || strings.HasPrefix(s, "ssl://") || strings.HasPrefix(s, "wss://")
	})
	if tf.wantsTLS() && !secure {
		return nil, usageErr(cmd, "TLS flags (--cafile, --cert, --insecure, ...) need a TLS server: use -L mqtts://host:8883 or wss://host/path")
	}
	if len(tf.wsHeaders) > 0 && !slices.ContainsFunc(servers, func(s string) bool {
		return strings.HasPrefix(s, "ws://") || strings.HasPrefix(s, "wss://")
	}) {
		return nil, usageErr(cmd, "--ws-header needs a ws:// or wss:// server URL")
	}
	var o []mqttkit.Option
	if tf.insecure {
		if credentials && !tf.insecureCreds {
			return nil, usageErr(cmd, "--insecure with a user name or password would send them to a server whose identity is not checked; give the server's CA with --cafile, or add --insecure-send-credentials if you really mean it")
		}
		warn("--insecure: the server's certificate is not verified; anyone on the network path can impersonate the broker")
		o = append(o, mqttkit.WithTLSConfig(&tls.Config{InsecureSkipVerify: true})) //nolint:gosec // the user asked for it, with a warning
	}
	cas, err := tf.caFiles(cmd)
	if err != nil {
		return nil, err
	}
	if len(cas) > 0 {
		o = append(o, mqttkit.WithCAFile(cas...))
	}
	if tf.cert != "" || tf.key != "" {
		if tf.cert == "" || tf.key == "" {
			return nil, usageErr(cmd, "--cert and --key go together: give the client certificate and its private key")
		}
		o = append(o, mqttkit.WithClientCertificate(expandHome(tf.cert), expandHome(tf.key)))
		pass, err := tf.passphrase(cmd)
		if err != nil {
			return nil, err
		}
		if pass != "" {
			o = append(o, mqttkit.WithKeyPassphrase(pass))
		}
	}
	switch strings.ToLower(tf.version) {
	case "":
	case "tlsv1.2", "1.2":
		o = append(o, mqttkit.WithTLSMinVersion(tls.VersionTLS12))
	case "tlsv1.3", "1.3":
		o = append(o, mqttkit.WithTLSMinVersion(tls.VersionTLS13))
	default:
		return nil, usageErr(cmd, "--tls-version %s: use tlsv1.2 or tlsv1.3 (older versions are insecure and not offered)", tf.version)
	}
	if tf.serverName != "" {
		o = append(o, mqttkit.WithServerName(tf.serverName))
	}
	if len(tf.alpn) > 0 {
		o = append(o, mqttkit.WithALPN(tf.alpn...))
	}
	for _, h := range tf.wsHeaders {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, usageErr(cmd, `--ws-header %q: write it as "Name: value"`, h)
		}
		o = append(o, mqttkit.WithWebSocketHeader(http.CanonicalHeaderKey(name), strings.TrimSpace(value)))
	}
	return o, nil
}

// alwaysWarn prints a warning that --quiet does not silence: one about a
// security risk the user chose.
func alwaysWarn(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mqttkit: warning: "+format+"\n", args...)
}

// rehashed matches the links OpenSSL's c_rehash makes (what Mosquitto's
// capath expects), so a directory prepared for mosquitto_pub works too.
var rehashed = regexp.MustCompile(`^[0-9a-f]{8}\.[0-9]$`)

// caFiles lists --cafile and the certificate files of --capath: *.pem,
// *.crt and c_rehash links.
func (tf *tlsFlags) caFiles(cmd *cobra.Command) ([]string, error) {
	var files []string
	if tf.caFile != "" {
		files = append(files, expandHome(tf.caFile))
	}
	if tf.caPath != "" {
		dir := expandHome(tf.caPath)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, usageErr(cmd, "--capath: %v", err)
		}
		n := len(files)
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".pem" || ext == ".crt" || rehashed.MatchString(e.Name())) {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
		if len(files) == n {
			return nil, usageErr(cmd, "--capath %s has no *.pem, *.crt or c_rehash (HASH.0) file; put the CA certificates there or use --cafile", tf.caPath)
		}
	}
	return files, nil
}

// passphrase reads the key's passphrase from --key-passphrase-file or
// MQTTKIT_KEY_PASSPHRASE; "" when there is none (an unencrypted key).
func (tf *tlsFlags) passphrase(cmd *cobra.Command) (string, error) {
	if tf.passphraseFile != "" {
		b, err := os.ReadFile(expandHome(tf.passphraseFile))
		if err != nil {
			return "", usageErr(cmd, "--key-passphrase-file: %v", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return os.Getenv("MQTTKIT_KEY_PASSPHRASE"), nil
}
