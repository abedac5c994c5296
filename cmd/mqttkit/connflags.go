package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// connFlags are the connection flags every client command shares, named as
// in mosquitto_pub and mosquitto_sub.
type connFlags struct {
	host         string
	port         int
	urls         []string
	clientID     string
	username     string
	passwordFile string
	passwordArg  string // -P: works, with a warning
	authMethod   string // --auth-method: SCRAM instead of a password in CONNECT
	keepalive    int
	noClean      bool
	expiry       int64
	version      string
	props        []string
	retry        bool
	connTimeout  time.Duration

	willTopic   string
	willPayload string
	willQoS     int
	willRetain  bool
	willDelay   time.Duration

	configFile string
	profile    string
	debug      bool
	quiet      bool

	tls *tlsFlags // TLS and WebSocket flags (tlsflags.go)

	// Set by setup.
	servers   []string                // server URLs without credentials or path
	urlTopic  string                  // the topic in the path of the first -L URL
	password  string                  // never printed
	pubProps  []mqttkit.PublishOption // publish properties given with -D
	options   []mqttkit.Option
	defExpiry int64 // session expiry used when -x is absent (consume keeps sessions)
}

// addConnFlags adds the connection flags to cmd.
func addConnFlags(cmd *cobra.Command) *connFlags {
	cf := &connFlags{}
	f := cmd.Flags()
	f.StringVarP(&cf.host, "host", "h", "localhost", "broker host")
	f.IntVarP(&cf.port, "port", "p", 1883, "broker port")
	f.StringArrayVarP(&cf.urls, "url", "L", nil, "broker URL mqtt://[user@]host[:port][/topic]; repeat for failover (tried in turn)")
	f.StringVarP(&cf.clientID, "id", "i", "", "client id (default: generated)")
	f.StringVarP(&cf.username, "username", "u", "", "user name")
	f.StringVar(&cf.passwordFile, "password-file", "", "read the password from this file (else $MQTTKIT_PASSWORD, else a prompt on a terminal)")
	f.StringVarP(&cf.passwordArg, "pw", "P", "", "password on the command line: visible to other users in ps; prefer --password-file or MQTTKIT_PASSWORD")
	f.StringVar(&cf.authMethod, "auth-method", "", "enhanced authentication with -u and the password: SCRAM-SHA-256 or SCRAM-SHA-512 (the password itself is never sent)")
	f.IntVarP(&cf.keepalive, "keepalive", "k", 60, "keepalive in seconds (0: off)")
	f.BoolVarP(&cf.noClean, "disable-clean-session", "c", false, "resume the session of this client id (Clean Start 0); implies -x 3600 unless -x is given")
	f.Int64VarP(&cf.expiry, "session-expiry", "x", -1, "session expiry interval in seconds (default 0)")
	f.StringVarP(&cf.version, "protocol-version", "V", "5", "MQTT protocol version: only 5 (MQTT v5) is supported")
	f.StringArrayVarP(&cf.props, "property", "D", nil, `MQTT v5 property "COMMAND NAME VALUE", e.g. -D "connect user-property region eu" (repeatable; see docs/CLI.md)`)
	f.BoolVar(&cf.retry, "retry", false, "keep trying to connect while the broker is down, instead of failing at once")
	f.DurationVar(&cf.connTimeout, "connect-timeout", 5*time.Second, "time allowed for one connection attempt")
	f.StringVar(&cf.willTopic, "will-topic", "", "topic of the will message")
	f.StringVar(&cf.willPayload, "will-payload", "", "payload of the will message")
	f.IntVar(&cf.willQoS, "will-qos", 0, "QoS of the will message")
	f.BoolVar(&cf.willRetain, "will-retain", false, "retain the will message")
	f.DurationVar(&cf.willDelay, "will-delay", 0, "will delay interval (e.g. 30s)")
	f.StringVar(&cf.configFile, "config", "", "configuration file with named profiles (default $MQTTKIT_CONFIG or ~/.config/mqttkit/config)")
	f.StringVar(&cf.profile, "profile", "", `profile of the configuration file to use (default "default")`)
	f.BoolVarP(&cf.debug, "debug", "d", false, "log connection events and protocol problems to stderr (never secrets)")
	f.BoolVar(&cf.quiet, "quiet", false, "print no warnings, progress or status lines")
	cf.tls = addTLSFlags(cmd)
	return cf
}

// setup applies the configuration profile, checks the flags and builds the
// server list and client options. Every client command calls it first.
func (cf *connFlags) setup(cmd *cobra.Command) error {
	if err := applyProfile(cmd, cf.configFile, cf.profile); err != nil {
		return err
	}
	if cf.version != "5" && cf.version != "mqttv5" {
		return usageErr(cmd, "-V %s: only MQTT v5 is supported; use -V 5 or leave -V out", cf.version)
	}
	if err := cf.buildServers(cmd); err != nil {
		return err
	}
	if err := cf.readPassword(cmd); err != nil {
		return err
	}
	return cf.buildOptions(cmd)
}

func (cf *connFlags) buildServers(cmd *cobra.Command) error {
	hostGiven := cmd.Flags().Changed("host") || cmd.Flags().Changed("port")
	if !cmd.Flags().Changed("url") && hostGiven {
		cf.urls = nil // -h/-p on the command line win over a profile's url
	}
	if len(cf.urls) > 0 && (cmd.Flags().Changed("host") || cmd.Flags().Changed("port")) {
		return usageErr(cmd, "-L/--url and -h/-p both name the broker; give one of them")
	}
	if len(cf.urls) == 0 {
		if cf.port <= 0 || cf.port > 65535 {
			return usageErr(cmd, "-p %d is not a port; use 1..65535", cf.port)
		}
		scheme, port := "mqtt", cf.port
		if cf.tls.wantsTLS() {
			scheme = "mqtts"
			if !cmd.Flags().Changed("port") {
				port = 8883
			}
		}
		cf.servers = []string{scheme + "://" + net.JoinHostPort(cf.host, strconv.Itoa(port))}
		return nil
	}
	for i, raw := range cf.urls {
		for _, s := range strings.Split(raw, ",") {
			s = strings.TrimSpace(s)
			if !strings.Contains(s, "://") {
				s = "mqtt://" + s
			}
			u, err := url.Parse(s)
			if err != nil || u.Hostname() == "" {
				return usageErr(cmd, "-L %s is not a broker URL; write mqtt://[user@]host[:port][/topic]", redactURL(s))
			}
			if !slices.Contains([]string{"mqtt", "tcp", "mqtts", "tls", "ssl", "ws", "wss"}, u.Scheme) {
				return usageErr(cmd, "-L %s: scheme %q is not supported; use mqtt://, mqtts://, ws:// or wss:// (tcp://, tls:// and ssl:// work too)", u.Redacted(), u.Scheme)
			}
			if u.User != nil {
				if cf.username == "" {
					cf.username = u.User.Username()
				}
				if p, ok := u.User.Password(); ok {
					cf.warn("a password in -L is visible to other users in ps; use --password-file or MQTTKIT_PASSWORD")
					if cf.passwordArg == "" {
						cf.passwordArg = p
					}
				}
			}
			server := &url.URL{Scheme: u.Scheme, Host: u.Host}
			if u.Scheme == "ws" || u.Scheme == "wss" {
				server.Path = u.Path // the HTTP path, not a topic
			} else if i == 0 && cf.urlTopic == "" {
				cf.urlTopic = strings.TrimPrefix(u.Path, "/")
			}
			cf.servers = append(cf.servers, server.String())
		}
	}
	return nil
}

// redactURL hides the password of a URL that did not parse.
func redactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		return s
	}
	return scheme + "://xxxxx" + rest[at:]
}

// readPassword takes the password from -P (with a warning), --password-file,
// MQTTKIT_PASSWORD or, when a user name is set and stdin is a terminal, a
// prompt.
func (cf *connFlags) readPassword(cmd *cobra.Command) error {
	switch {
	case cf.passwordArg != "":
		if cmd.Flags().Changed("pw") {
			cf.warn("-P puts the password in the process list, visible to other users; use --password-file or MQTTKIT_PASSWORD")
		}
		cf.password = cf.passwordArg
	case cf.passwordFile != "":
		b, err := os.ReadFile(expandHome(cf.passwordFile))
		if err != nil {
			return usageErr(cmd, "--password-file: %v", err)
		}
		cf.password = strings.TrimRight(string(b), "\r\n")
	case os.Getenv("MQTTKIT_PASSWORD") != "":
		cf.password = os.Getenv("MQTTKIT_PASSWORD")
	case cf.username != "" && term.IsTerminal(int(os.Stdin.Fd())):
		p, err := promptPassword(fmt.Sprintf("Password for %s: ", cf.username))
		if err != nil {
			return failure("reading the password from the terminal: %v", err)
		}
		cf.password = p
	}
	if cf.password != "" && cf.username == "" {
		return usageErr(cmd, "a password was given without a user name; add -u USER")
	}
	return nil
}

// promptPassword reads a password from the terminal without echo.
func promptPassword(prompt string) (string, error) {
	fmt.Fprint(os.Stderr, prompt)
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(os.Stderr)
	return string(b), err
}

func (cf *connFlags) buildOptions(cmd *cobra.Command) error {
	o := []mqttkit.Option{
		mqttkit.WithKeepAlive(time.Duration(cf.keepalive) * time.Second),
		mqttkit.WithConnectTimeout(cf.connTimeout),
	}
	if cf.keepalive < 0 || cf.keepalive > 65535 {
		return usageErr(cmd, "-k %d: keepalive is 0..65535 seconds", cf.keepalive)
	}
	if cf.clientID != "" {
		o = append(o, mqttkit.WithClientID(cf.clientID))
	}
	switch {
	case cf.authMethod != "":
		if cf.username == "" {
			return usageErr(cmd, "--auth-method %s needs a user name: add -u USER", cf.authMethod)
		}
		a, err := mqttkit.SCRAM(strings.ToUpper(cf.authMethod), cf.username, cf.password)
		if err != nil {
			return usageErr(cmd, "--auth-method: %v", err)
		}
		o = append(o, mqttkit.WithAuthenticator(a))
	case cf.username != "":
		o = append(o, mqttkit.WithCredentials(cf.username, cf.password))
	}
	expiry := cf.expiry
	if expiry < 0 {
		expiry = cf.defExpiry
		if cf.noClean && expiry == 0 {
			expiry = 3600
		}
	}
	if expiry > 1<<32-1 {
		return usageErr(cmd, "-x %d: session expiry is at most 4294967295 seconds", expiry)
	}
	if cf.expiry >= 0 || expiry > 0 {
		o = append(o, mqttkit.WithSessionExpiry(time.Duration(expiry)*time.Second))
	}
	if cf.noClean {
		o = append(o, mqttkit.WithCleanStart(false))
	}
	if cf.willTopic != "" {
		if err := packet.ValidateTopicName(cf.willTopic); err != nil {
			return usageErr(cmd, "--will-topic %q: %v", cf.willTopic, err)
		}
		if cf.willQoS < 0 || cf.willQoS > 2 {
			return usageErr(cmd, "--will-qos %d: use 0, 1 or 2", cf.willQoS)
		}
		o = append(o, mqttkit.WithWill(mqttkit.Will{Topic: cf.willTopic, Payload: []byte(cf.willPayload),
			QoS: mqttkit.QoS(cf.willQoS), Retain: cf.willRetain, Delay: cf.willDelay}))
	} else if cmd.Flags().Changed("will-payload") || cmd.Flags().Changed("will-qos") || cmd.Flags().Changed("will-retain") || cmd.Flags().Changed("will-delay") {
		return usageErr(cmd, "will flags need --will-topic")
	}
	for _, p := range cf.props {
		co, po, err := parseProperty(p)
		if err != nil {
			return usageErr(cmd, "-D %q: %v", p, err)
		}
		o = append(o, co...)
		cf.pubProps = append(cf.pubProps, po...)
	}
	to, err := cf.tls.options(cmd, cf.servers, cf.username != "" || cf.password != "", alwaysWarn)
	if err != nil {
		return err
	}
	o = append(o, to...)
	cf.options = append(o, mqttkit.WithLogger(cf.logger()))
	return nil
}

// warn prints a warning line on stderr unless --quiet.
func (cf *connFlags) warn(format string, args ...any) {
	if !cf.quiet {
		fmt.Fprintf(os.Stderr, "mqttkit: warning: "+format+"\n", args...)
	}
}

// expandHome replaces a leading ~/ with the home directory.
func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if h, err := os.UserHomeDir(); err == nil {
			return h + "/" + rest
		}
	}
	return p
}
