package broker

import (
	"bytes"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// securityHook authenticates clients by what the TLS handshake proved
// (CertificateIdentityAsUsername) and by MQTT v5 enhanced authentication
// (SCRAM). Mochi lets a client in when any hook's OnConnectAuthenticate
// says so, so this hook only ever adds a way in; refusals it decides itself
// (a failed SCRAM exchange) are answered in OnConnect, before the other
// hooks are asked.
type securityHook struct {
	mqtt.HookBase
	srv *Server
}

func newSecurityHook(s *Server) *securityHook { return &securityHook{srv: s} }

// ID names the hook in mochi's logs.
func (h *securityHook) ID() string { return "mqttkit-security" }

// Provides lists the events the hook handles.
func (h *securityHook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mqtt.OnConnect,
		mqtt.OnConnectAuthenticate,
	}, []byte{b})
}

// OnConnect replaces the username of a client with a verified certificate
// by the certificate's Common Name, when the broker is configured so.
func (h *securityHook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	if h.srv.cfg.CertificateIdentityAsUsername {
		if cert := peerCertificate(cl.Net.Conn); cert != nil {
			cl.Properties.Username = []byte(cert.Subject.CommonName)
		}
	}
	return nil
}

// OnConnectAuthenticate lets in a client whose certificate is its identity.
func (h *securityHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	if !h.srv.cfg.CertificateIdentityAsUsername {
		return false
	}
	cert := peerCertificate(cl.Net.Conn)
	if cert == nil || cert.Subject.CommonName == "" {
		return false
	}
	h.srv.log.Debug("broker: client authenticated by certificate", "client", cl.ID, "username", cert.Subject.CommonName)
	return true
}
