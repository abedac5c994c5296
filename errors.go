package mqttkit

import (
	"errors"
	"fmt"
	"time"

	"github.com/mqttkit/mqttkit/packet"
)

// ReasonError is a failure the server reported with an MQTT v5 reason code:
// a refused CONNACK, a PUBACK, PUBREC or SUBACK with a code of 0x80 or above,
// or a DISCONNECT. errors.Is matches it against the sentinels below by code,
// so errors.Is(err, ErrNotAuthorized) works whatever the server's wording.
type ReasonError struct {
	Packet packet.Type       // the packet that carried the code (0 for a sentinel)
	Code   packet.ReasonCode // the server's reason code
	Reason string            // the server's Reason String, when it sent one
	// ServerReference is the other server the client should use, sent with
	// 0x9C Use Another Server or 0x9D Server Moved.
	ServerReference string
}

func (e *ReasonError) Error() string {
	s := fmt.Sprintf("mqttkit: server refused: %s (reason 0x%02X)", reasonName(e.Code), byte(e.Code))
	if e.Packet != 0 {
		s = fmt.Sprintf("mqttkit: %s from server: %s (reason 0x%02X)", e.Packet, reasonName(e.Code), byte(e.Code))
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.ServerReference != "" {
		s += "; use server " + e.ServerReference
	}
	if hint := reasonHint(e.Code); hint != "" {
		s += "; " + hint
	}
	return s
}

// Is reports whether target is a sentinel *ReasonError with the same code.
func (e *ReasonError) Is(target error) bool {
	t, ok := target.(*ReasonError)
	return ok && t.Packet == 0 && t.Reason == "" && t.Code == e.Code
}

// Sentinels for errors.Is. Each matches every *ReasonError with its code.
var (
	ErrBadCredentials     = &ReasonError{Code: packet.BadUserNameOrPassword}
	ErrNotAuthorized      = &ReasonError{Code: packet.NotAuthorized}
	ErrClientIDRejected   = &ReasonError{Code: packet.ClientIdentifierNotValid}
	ErrBanned             = &ReasonError{Code: packet.Banned}
	ErrServerUnavailable  = &ReasonError{Code: packet.ServerUnavailable}
	ErrServerBusy         = &ReasonError{Code: packet.ServerBusy}
	ErrSessionTakenOver   = &ReasonError{Code: packet.SessionTakenOver}
	ErrPacketTooLarge     = &ReasonError{Code: packet.PacketTooLarge}
	ErrQuotaExceeded      = &ReasonError{Code: packet.QuotaExceeded}
	ErrQoSNotSupported    = &ReasonError{Code: packet.QoSNotSupported}
	ErrRetainNotSupported = &ReasonError{Code: packet.RetainNotSupported}
	ErrTopicNameInvalid   = &ReasonError{Code: packet.TopicNameInvalid}
	ErrTopicFilterInvalid = &ReasonError{Code: packet.TopicFilterInvalid}
	ErrPayloadFormat      = &ReasonError{Code: packet.PayloadFormatInvalid}
	// ErrSharedNotSupported: the server has no shared subscriptions (Group).
	ErrSharedNotSupported = &ReasonError{Code: packet.SharedSubscriptionsNotSupported}
	// ErrWildcardNotSupported: the server refuses filters with + or #.
	ErrWildcardNotSupported = &ReasonError{Code: packet.WildcardSubscriptionsNotSupported}
	ErrUseAnotherServer     = &ReasonError{Code: packet.UseAnotherServer}
	ErrServerMoved          = &ReasonError{Code: packet.ServerMoved}
	// ErrReceiveMaximumExceeded: more unacknowledged QoS 1 and 2 messages
	// than the receiver's Receive Maximum, either way round; errors.As a
	// *ReceiveMaximumError for the server having exceeded the client's.
	ErrReceiveMaximumExceeded = &ReasonError{Code: packet.ReceiveMaximumExceeded}
	// ErrTopicAliasInvalid: a topic alias above the receiver's Topic Alias
	// Maximum.
	ErrTopicAliasInvalid = &ReasonError{Code: packet.TopicAliasInvalid}
)

// DialError is Dial's error under WithDialOnce: every server was tried once
// and none accepted the client. Err is the last attempt's error.
type DialError struct {
	Servers string // the servers tried, in order, without passwords
	Err     error
}

func (e *DialError) Error() string {
	return fmt.Sprintf("mqttkit: could not connect to %s (each tried once): %v", e.Servers, e.Err)
}

// Unwrap returns the last attempt's error.
func (e *DialError) Unwrap() error { return e.Err }

// ViolationError is why a connection ended when the server broke the
// protocol: the client sent DISCONNECT with Code and dropped the
// connection, so that it does not act on packets it cannot trust. The
// client reconnects as usual. errors.Is matches the sentinels by Code.
type ViolationError struct {
	Code   packet.ReasonCode // the reason code of the client's DISCONNECT
	Detail string            // what the server did
}

func (e *ViolationError) Error() string {
	return fmt.Sprintf("mqttkit: the server broke the protocol: %s; the client disconnected with reason 0x%02X (%s)",
		e.Detail, byte(e.Code), reasonName(e.Code))
}

// Is reports whether target is a sentinel *ReasonError with the same code.
func (e *ViolationError) Is(target error) bool {
	return (&ReasonError{Code: e.Code}).Is(target)
}

// ReceiveMaximumError is why a connection ended when the server sent more
// unacknowledged QoS 1 and 2 messages than the client's Receive Maximum
// (WithReceiveMaximum) allows (MQTT-3.3.4-9) and no acknowledgement freed
// room for Waited: the client sent DISCONNECT 0x93. The counts are the
// evidence: when the PUBLISH came, the client had acknowledged Acknowledged
// of the Received messages before it, leaving the Receive Maximum of them
// unacknowledged. (Mosquitto 2.0.11 exceeds the limit under load; while
// handlers keep finishing the client only pauses reading, see the log.)
type ReceiveMaximumError struct {
	ReceiveMaximum uint16        // the client's, announced in CONNECT
	Received       uint64        // QoS 1 and 2 PUBLISH packets received on the connection before it
	Acknowledged   uint64        // PUBACK and PUBREC packets the client sent on it
	PacketID       uint16        // of the PUBLISH that exceeded the limit
	QoS            QoS           // of that PUBLISH
	Waited         time.Duration // for room, before disconnecting
}

func (e *ReceiveMaximumError) Error() string {
	return fmt.Sprintf("mqttkit: the server exceeded the client's Receive Maximum of %d: it sent QoS %d PUBLISH (packet id %d) while %d QoS 1 and 2 messages it sent were unacknowledged (%d received before it, %d acknowledged on this connection), and no handler finished within %v to make room; the client disconnected with reason 0x93 (receive maximum exceeded). The server broke the protocol; handlers that never return (or wait for this connection) keep the window full",
		e.ReceiveMaximum, e.QoS, e.PacketID, e.ReceiveMaximum, e.Received, e.Acknowledged, e.Waited)
}

// Is matches ErrReceiveMaximumExceeded.
func (e *ReceiveMaximumError) Is(target error) bool {
	return ErrReceiveMaximumExceeded.Is(target)
}

// Errors of the client itself.
var (
	// ErrClosed is returned by every call on a client after Close or Drain.
	ErrClosed = errors.New("mqttkit: client is closed; Dial a new one")
	// ErrQueueFull is returned by PublishAsync when the outbound queue
	// (WithQueueSize) is full while disconnected or while the server's
	// Receive Maximum is used up; the message was not queued.
	ErrQueueFull = errors.New("mqttkit: outbound queue is full; wait for results, raise WithQueueSize, or use Publish to wait for room")
	// ErrKeepAliveTimeout is the connection loss reported when the server
	// did not answer a PINGREQ in time (a half-open connection).
	ErrKeepAliveTimeout = errors.New("mqttkit: no PINGRESP from the server within the keepalive; connection considered dead")
	// ErrDraining is returned by Subscribe and Publish while Drain runs.
	ErrDraining = errors.New("mqttkit: client is draining; no new work is accepted")
)

// reasonName names a code the way the specification does.
func reasonName(c packet.ReasonCode) string {
	if n, ok := reasonNames[c]; ok {
		return n
	}
	return fmt.Sprintf("reason code 0x%02X", byte(c))
}

var reasonNames = map[packet.ReasonCode]string{
	packet.Success:                             "success",
	packet.NoMatchingSubscribers:               "no matching subscribers",
	packet.UnspecifiedError:                    "unspecified error",
	packet.MalformedPacket:                     "malformed packet",
	packet.ProtocolError:                       "protocol error",
	packet.ImplementationSpecificError:         "implementation specific error",
	packet.UnsupportedProtocolVersion:          "unsupported protocol version",
	packet.ClientIdentifierNotValid:            "client identifier not valid",
	packet.BadUserNameOrPassword:               "bad user name or password",
	packet.NotAuthorized:                       "not authorized",
	packet.ServerUnavailable:                   "server unavailable",
	packet.ServerBusy:                          "server busy",
	packet.Banned:                              "banned",
	packet.ServerShuttingDown:                  "server shutting down",
	packet.BadAuthenticationMethod:             "bad authentication method",
	packet.KeepAliveTimeout:                    "keep alive timeout",
	packet.SessionTakenOver:                    "session taken over",
	packet.TopicFilterInvalid:                  "topic filter invalid",
	packet.TopicNameInvalid:                    "topic name invalid",
	packet.PacketIdentifierInUse:               "packet identifier in use",
	packet.PacketIdentifierNotFound:            "packet identifier not found",
	packet.ReceiveMaximumExceeded:              "receive maximum exceeded",
	packet.TopicAliasInvalid:                   "topic alias invalid",
	packet.PacketTooLarge:                      "packet too large",
	packet.MessageRateTooHigh:                  "message rate too high",
	packet.QuotaExceeded:                       "quota exceeded",
	packet.AdministrativeAction:                "administrative action",
	packet.PayloadFormatInvalid:                "payload format invalid",
	packet.RetainNotSupported:                  "retain not supported",
	packet.QoSNotSupported:                     "QoS not supported",
	packet.UseAnotherServer:                    "use another server",
	packet.ServerMoved:                         "server moved",
	packet.SharedSubscriptionsNotSupported:     "shared subscriptions not supported",
	packet.ConnectionRateExceeded:              "connection rate exceeded",
	packet.MaximumConnectTime:                  "maximum connect time",
	packet.SubscriptionIdentifiersNotSupported: "subscription identifiers not supported",
	packet.WildcardSubscriptionsNotSupported:   "wildcard subscriptions not supported",
}

// reasonHint says what to do about the codes a user can act on.
func reasonHint(c packet.ReasonCode) string {
	switch c {
	case packet.BadUserNameOrPassword:
		return "check the user name and password (WithCredentials)"
	case packet.NotAuthorized:
		return "the server's ACL does not allow this client or topic"
	case packet.ClientIdentifierNotValid:
		return "choose another client id (WithClientID)"
	case packet.SessionTakenOver:
		return "another client connected with the same client id; give each instance its own"
	case packet.PacketTooLarge:
		return "send a smaller payload"
	case packet.ReceiveMaximumExceeded:
		return "the server counted more unacknowledged QoS 1 and 2 publishes from this client than its Receive Maximum; the client keeps to the Receive Maximum in the server's CONNACK, so report this with the server's name and version"
	case packet.TopicAliasInvalid:
		return "the server refused a topic alias; publish without WithOutboundTopicAliases"
	case packet.QoSNotSupported:
		return "publish or subscribe at a lower QoS"
	case packet.RetainNotSupported:
		return "publish without Retain"
	case packet.UnsupportedProtocolVersion:
		return "the server does not speak MQTT v5"
	}
	return ""
}

// isFatalConnack reports whether a refused CONNACK should end Dial instead
// of being retried: retrying cannot fix credentials, a ban or a protocol
// mismatch.
func isFatalConnack(c packet.ReasonCode) bool {
	switch c {
	case packet.ServerUnavailable, packet.ServerBusy, packet.QuotaExceeded,
		packet.ConnectionRateExceeded, packet.UseAnotherServer, packet.ServerMoved,
		packet.ServerShuttingDown, packet.UnspecifiedError, packet.ImplementationSpecificError:
		return false
	}
	return true
}
