package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// DefaultAddr is where the TCP listener binds when Config.Addr is empty:
// loopback only, so a broker started without thought is not exposed.
const DefaultAddr = "127.0.0.1:1883"

// Config describes one broker. The zero value is a usable development
// broker: TCP on 127.0.0.1:1883, anonymous clients allowed because it only
// listens on loopback, state kept in memory.
type Config struct {
	// Addr is the TCP listen address (host:port). Empty means DefaultAddr;
	// port 0 picks a free port, reported by Server.Addr after Start.
	Addr string

	// WebSocketAddr, when set, adds a WebSocket listener (path "/",
	// subprotocol "mqtt") on this address. Port 0 picks a free port.
	WebSocketAddr string

	// TLSAddr, when set, adds a TLS listener on this address using
	// TLSCertFile and TLSKeyFile (PEM). Port 0 picks a free port.
	TLSAddr     string
	TLSCertFile string
	TLSKeyFile  string

	// SecureWebSocketAddr, when set, adds a WebSocket listener over TLS
	// (wss://, path "/", subprotocol "mqtt") with the same certificate as
	// the TLS listener. Port 0 picks a free port.
	SecureWebSocketAddr string

	// ClientCAFile is a PEM file of the certificate authorities whose
	// client certificates the TLS listeners accept. With it, clients may
	// authenticate with a certificate (mutual TLS).
	ClientCAFile string

	// RequireClientCertificate makes the TLS listeners refuse every client
	// without a valid certificate from ClientCAFile, in the handshake.
	RequireClientCertificate bool

	// CertificateIdentityAsUsername makes the Common Name of a client's
	// verified certificate its username, for the ACL and the logs, and lets
	// it connect without a password: the certificate is the credential
	// (Mosquitto's use_identity_as_username). Needs
	// RequireClientCertificate; a username in CONNECT is replaced.
	CertificateIdentityAsUsername bool

	// UsersFile is the path of a users file ("name:bcrypt-hash" lines, see
	// AddUser). When set, every client must authenticate unless
	// AllowAnonymous is true.
	UsersFile string

	// SCRAMFile is the path of a SCRAM credentials file (lines from
	// SCRAMCredential). When set, clients may authenticate with MQTT v5
	// enhanced authentication, SCRAM-SHA-256 or SCRAM-SHA-512, and
	// re-authenticate on a live connection; anonymous clients are then
	// refused unless AllowAnonymous is true.
	SCRAMFile string

	// ACLFile is the path of an ACL file (format in LoadACL). When set,
	// every publish and subscribe is checked against it and denied unless a
	// rule allows it. When empty, every authenticated client may use every
	// topic.
	ACLFile string

	// AllowAnonymous lets clients connect without a username. Without it,
	// anonymous clients are allowed only when there is no UsersFile and
	// every listener is on a loopback address; a broker on another address
	// without users refuses to start rather than run open by accident.
	AllowAnonymous bool

	// DataDir, when set, makes sessions, subscriptions, retained messages
	// and queued QoS 1/2 messages persistent in DataDir/broker.db (bbolt),
	// so they survive a restart. Empty keeps everything in memory.
	DataDir string

	// NoSync skips fsync on every persistent write. State still survives a
	// broker restart or crash of the process, but not a crash of the
	// machine. Meant for tests; leave it false in deployments.
	NoSync bool

	// Limits bounds what one client can make the broker hold.
	Limits Limits

	// Logger receives the broker's logs. Nil means slog.Default().
	Logger *slog.Logger
}

// Limits bounds the resources one client can make the broker hold. Zero
// fields take the documented defaults. Messages that do not fit are dropped,
// counted in Stats.MessagesDropped and logged.
type Limits struct {
	// ReceiveMaximum is the number of QoS 1/2 PUBLISH packets a client may
	// have unacknowledged towards the broker; it is announced in CONNACK.
	// Default 1024.
	ReceiveMaximum uint16

	// MaxQueuedMessages is the number of QoS 1/2 messages the broker keeps
	// for one session (in flight plus waiting, online or offline).
	// Default 8192.
	MaxQueuedMessages int

	// MaxPendingWrites is the number of packets waiting to be written to one
	// connected client. Default 8192.
	MaxPendingWrites int

	// MaxPacketSize is the largest packet, in bytes, the broker accepts; a
	// larger one closes the connection. Default 4 MiB.
	MaxPacketSize uint32

	// MaxClients is the number of clients connected at once. Default
	// unlimited.
	MaxClients int

	// ConnectTimeout is how long a new connection may take to send its
	// CONNECT packet. Default 10s.
	ConnectTimeout time.Duration
}

const (
	defaultReceiveMaximum    = 1024
	defaultMaxQueuedMessages = 8192
	defaultMaxPendingWrites  = 8192
	defaultMaxPacketSize     = 4 << 20
	defaultConnectTimeout    = 10 * time.Second
)

// withDefaults returns c with every zero field replaced by its default.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	l := &c.Limits
	if l.ReceiveMaximum == 0 {
		l.ReceiveMaximum = defaultReceiveMaximum
	}
	if l.MaxQueuedMessages == 0 {
		l.MaxQueuedMessages = defaultMaxQueuedMessages
	}
	if l.MaxPendingWrites == 0 {
		l.MaxPendingWrites = defaultMaxPendingWrites
	}
	if l.MaxPacketSize == 0 {
		l.MaxPacketSize = defaultMaxPacketSize
	}
	if l.ConnectTimeout == 0 {
		l.ConnectTimeout = defaultConnectTimeout
	}
	return c
}

// validate reports the first problem in c (already defaulted), phrased so
// the user knows what to change.
func (c Config) validate() error {
	l := c.Limits
	switch {
	case l.MaxQueuedMessages < 0 || l.MaxQueuedMessages > 65535:
		return fmt.Errorf("broker: Limits.MaxQueuedMessages is %d; use 1..65535 (or 0 for the default %d)", l.MaxQueuedMessages, defaultMaxQueuedMessages)
	case l.MaxPendingWrites < 0 || l.MaxPendingWrites > 1<<20:
		return fmt.Errorf("broker: Limits.MaxPendingWrites is %d; use 1..%d (or 0 for the default %d)", l.MaxPendingWrites, 1<<20, defaultMaxPendingWrites)
	case l.MaxPacketSize > 268435455:
		return fmt.Errorf("broker: Limits.MaxPacketSize is %d; MQTT packets cannot exceed 268435455 bytes", l.MaxPacketSize)
	case l.MaxClients < 0:
		return fmt.Errorf("broker: Limits.MaxClients is %d; use a positive number, or 0 for unlimited", l.MaxClients)
	case l.ConnectTimeout < 0:
		return fmt.Errorf("broker: Limits.ConnectTimeout is %v; use a positive duration, or 0 for the default %v", l.ConnectTimeout, defaultConnectTimeout)
	case (c.TLSAddr != "" || c.SecureWebSocketAddr != "") != (c.TLSCertFile != "" && c.TLSKeyFile != ""):
		return errors.New("broker: a TLS listener needs TLSAddr (or SecureWebSocketAddr), TLSCertFile and TLSKeyFile together; set all three or none")
	case c.RequireClientCertificate && c.ClientCAFile == "":
		return errors.New("broker: RequireClientCertificate needs ClientCAFile, the CA that signs the client certificates")
	case c.CertificateIdentityAsUsername && !c.RequireClientCertificate:
		return errors.New("broker: CertificateIdentityAsUsername needs RequireClientCertificate, or a client without a certificate would connect without credentials")
	}
	for _, a := range c.listenAddrs() {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("broker: listen address %q is not host:port (%v); use e.g. 127.0.0.1:1883, or port 0 for a free port", a, err)
		}
	}
	if c.UsersFile == "" && c.SCRAMFile == "" && !c.AllowAnonymous && !c.loopbackOnly() {
		return errors.New("broker: refusing to accept anonymous clients on a non-loopback address; set UsersFile (see broker.AddUser) or AllowAnonymous")
	}
	return nil
}

// listenAddrs lists every configured listen address.
func (c Config) listenAddrs() []string {
	addrs := []string{c.Addr}
	for _, a := range []string{c.WebSocketAddr, c.TLSAddr, c.SecureWebSocketAddr} {
		if a != "" {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// loopbackOnly reports whether every listener binds a loopback address.
func (c Config) loopbackOnly() bool {
	for _, a := range c.listenAddrs() {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			return false
		}
		if host == "localhost" {
			continue
		}
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return false
		}
	}
	return true
}

// anonymousAllowed reports whether clients without a username may connect.
func (c Config) anonymousAllowed() bool {
	return c.AllowAnonymous || (c.UsersFile == "" && c.SCRAMFile == "" && c.loopbackOnly())
}
