package broker

import (
	"bytes"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/xdg-go/scram"
)

// securityHook authenticates clients by what the TLS handshake proved
// (CertificateIdentityAsUsername) and by MQTT v5 enhanced authentication
// (SCRAM, Config.SCRAMFile). Mochi lets a client in when any hook's
// OnConnectAuthenticate says so, so this hook only ever adds a way in;
// refusals it decides itself (a failed SCRAM exchange) are answered in
// OnConnect, before the other hooks are asked.
type securityHook struct {
	mqtt.HookBase
	srv   *Server
	scram *scramStore // nil without Config.SCRAMFile

	mu      sync.Mutex
	passed  map[*mqtt.Client][]byte                    // SCRAM done, server-final for CONNACK
	reauths map[*mqtt.Client]*scram.ServerConversation // re-authentications in progress
}

func newSecurityHook(s *Server) *securityHook {
	return &securityHook{srv: s, passed: map[*mqtt.Client][]byte{}, reauths: map[*mqtt.Client]*scram.ServerConversation{}}
}

// ID names the hook in mochi's logs.
func (h *securityHook) ID() string { return "mqttkit-security" }

// Init loads the SCRAM file; mochi calls it when the hook is added.
func (h *securityHook) Init(any) error {
	if h.srv.cfg.SCRAMFile == "" {
		return nil
	}
	s, err := loadSCRAM(h.srv.cfg.SCRAMFile)
	h.scram = s
	return err
}

// Provides lists the events the hook handles.
func (h *securityHook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mqtt.OnConnect,
		mqtt.OnConnectAuthenticate,
		mqtt.OnAuthPacket,
		mqtt.OnPacketEncode,
		mqtt.OnDisconnect,
	}, []byte{b})
}

// OnConnect replaces the username of a client with a verified certificate
// by the certificate's Common Name, when the broker is configured so, and
// runs the SCRAM exchange of a CONNECT with an Authentication Method.
func (h *securityHook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	if h.srv.cfg.CertificateIdentityAsUsername {
		if cert := peerCertificate(cl.Net.Conn); cert != nil {
			cl.Properties.Username = []byte(cert.Subject.CommonName)
		}
	}
	if pk.Properties.AuthenticationMethod == "" {
		return nil
	}
	final, user, code := h.scramConnect(cl, pk)
	if code != packets.CodeSuccess {
		h.srv.log.Info("broker: enhanced authentication failed", "client", cl.ID, "method", pk.Properties.AuthenticationMethod, "remote", cl.Net.Remote, "reason", code.Reason)
		_ = h.srv.mochi.SendConnack(cl, code, false, nil)
		return code
	}
	cl.Properties.Username = []byte(user)
	h.mu.Lock()
	h.passed[cl] = final
	h.mu.Unlock()
	return nil
}

// OnConnectAuthenticate lets in a client whose certificate is its identity
// or that passed SCRAM.
func (h *securityHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	h.mu.Lock()
	_, ok := h.passed[cl]
	h.mu.Unlock()
	if ok {
		return true
	}
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

// OnPacketEncode puts the server's final SCRAM message into the CONNACK,
// with which the client verifies the broker.
func (h *securityHook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type != packets.Connack {
		return pk
	}
	h.mu.Lock()
	final, ok := h.passed[cl]
	delete(h.passed, cl)
	h.mu.Unlock()
	if ok && pk.ReasonCode == packets.CodeSuccess.Code {
		pk.Properties.AuthenticationMethod = cl.Properties.Props.AuthenticationMethod
		pk.Properties.AuthenticationData = final
	}
	return pk
}

// OnDisconnect forgets the client's exchanges.
func (h *securityHook) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	h.mu.Lock()
	delete(h.passed, cl)
	delete(h.reauths, cl)
	h.mu.Unlock()
}
