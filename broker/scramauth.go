package broker

import (
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// scramConnect runs the SCRAM exchange of a CONNECT on the connection's
// own goroutine, before CONNACK: AUTH (continue) with the server's first
// message, the client's AUTH with its proof, then the final message that
// OnPacketEncode puts into CONNACK. It returns that message and the
// authenticated user, or the CONNACK reason code of the refusal.
func (h *securityHook) scramConnect(cl *mqtt.Client, pk packets.Packet) (final []byte, user string, code packets.Code) {
	method := pk.Properties.AuthenticationMethod
	if h.scram == nil || h.scram.servers[method] == nil {
		return nil, "", packets.ErrBadAuthenticationMethod
	}
	conv := h.scram.servers[method].NewConversation()
	first, err := conv.Step(string(pk.Properties.AuthenticationData))
	if err != nil {
		return nil, "", packets.ErrBadUsernameOrPassword
	}
	if err := cl.WritePacket(authPacket(packets.CodeContinueAuthentication, method, first)); err != nil {
		return nil, "", packets.ErrUnspecifiedError
	}
	var fh packets.FixedHeader
	if err := cl.ReadFixedHeader(&fh); err != nil {
		return nil, "", packets.ErrUnspecifiedError
	}
	resp, err := cl.ReadPacket(&fh)
	if err != nil || fh.Type != packets.Auth || resp.ReasonCode != packets.CodeContinueAuthentication.Code || resp.Properties.AuthenticationMethod != method {
		return nil, "", packets.ErrProtocolViolation
	}
	last, err := conv.Step(string(resp.Properties.AuthenticationData))
	if err != nil || !conv.Valid() {
		return nil, "", packets.ErrBadUsernameOrPassword
	}
	return []byte(last), conv.Username(), packets.CodeSuccess
}

// OnAuthPacket runs a re-authentication (AUTH with reason 0x19, then the
// client's AUTH continue). The method must be the one of the CONNECT and
// the user the same; a failure disconnects the client with 0x87 (Not
// authorized). Mochi ignores what this returns but an error, and logs the
// packet with an error, so failures disconnect here and return nil: the
// Authentication Data stays out of the log.
func (h *securityHook) OnAuthPacket(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	method := cl.Properties.Props.AuthenticationMethod
	fail := func(code packets.Code) (packets.Packet, error) {
		h.mu.Lock()
		delete(h.reauths, cl)
		h.mu.Unlock()
		h.srv.log.Info("broker: re-authentication failed", "client", cl.ID, "method", method, "reason", code.Reason)
		_ = h.srv.mochi.DisconnectClient(cl, code)
		return pk, nil
	}
	if method == "" || h.scram == nil || pk.Properties.AuthenticationMethod != method {
		return fail(packets.ErrProtocolViolation) // [MQTT-4.12.1-1]: same method as CONNECT
	}
	switch pk.ReasonCode {
	case packets.CodeReAuthenticate.Code:
		conv := h.scram.servers[method].NewConversation()
		first, err := conv.Step(string(pk.Properties.AuthenticationData))
		if err != nil || conv.Username() != string(cl.Properties.Username) {
			return fail(packets.ErrNotAuthorized)
		}
		h.mu.Lock()
		h.reauths[cl] = conv
		h.mu.Unlock()
		_ = cl.WritePacket(authPacket(packets.CodeContinueAuthentication, method, first))
	case packets.CodeContinueAuthentication.Code:
		h.mu.Lock()
		conv := h.reauths[cl]
		delete(h.reauths, cl)
		h.mu.Unlock()
		if conv == nil {
			return fail(packets.ErrProtocolViolation)
		}
		last, err := conv.Step(string(pk.Properties.AuthenticationData))
		if err != nil || !conv.Valid() {
			return fail(packets.ErrNotAuthorized)
		}
		_ = cl.WritePacket(authPacket(packets.CodeSuccess, method, last))
	default:
		return fail(packets.ErrProtocolViolation)
	}
	return pk, nil
}

func authPacket(code packets.Code, method, data string) packets.Packet {
	return packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Auth},
		ReasonCode:  code.Code,
		Properties:  packets.Properties{AuthenticationMethod: method, AuthenticationData: []byte(data)},
	}
}
