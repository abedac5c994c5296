package mqttkit

import (
	"errors"
	"fmt"

	"github.com/xdg-go/scram"
)

// SCRAM mechanisms for the SCRAM Authenticator.
const (
	SCRAMSHA256 = "SCRAM-SHA-256"
	SCRAMSHA512 = "SCRAM-SHA-512"
)

// SCRAM returns an Authenticator for SCRAM-SHA-256 or SCRAM-SHA-512 (RFC
// 5802, 7677) over MQTT v5 enhanced authentication: the password never
// crosses the network, not even hashed, and the server proves in CONNACK
// that it knows the password's salted key too, so a server that merely
// accepts everyone is detected (AuthError). The exchange is built on
// github.com/xdg-go/scram. The password is prepared with SASLprep;
// SCRAM fails for one SASLprep forbids.
func SCRAM(mechanism, username, password string) (Authenticator, error) {
	var h scram.HashGeneratorFcn
	switch mechanism {
	case SCRAMSHA256:
		h = scram.SHA256
	case SCRAMSHA512:
		h = scram.SHA512
	default:
		return nil, fmt.Errorf("mqttkit: SCRAM mechanism %q is not supported; use %s or %s", mechanism, SCRAMSHA256, SCRAMSHA512)
	}
	c, err := h.NewClient(username, password, "")
	if err != nil {
		// The library's error may quote the input; it is not passed on.
		return nil, errors.New("mqttkit: SCRAM: the user name or password contains characters SASLprep does not allow")
	}
	return &scramAuth{mechanism: mechanism, username: username, client: c}, nil
}

type scramAuth struct {
	mechanism string
	username  string
	client    *scram.Client // holds the password
}

func (a *scramAuth) Method() string { return a.mechanism }

// String names the mechanism and user, never the password.
func (a *scramAuth) String() string { return a.mechanism + " authenticator for " + a.username }

// GoString keeps %#v from printing the client, which holds the password.
func (a *scramAuth) GoString() string { return a.String() }

func (a *scramAuth) Start() (AuthExchange, []byte, error) {
	conv := a.client.NewConversation()
	first, err := conv.Step("")
	if err != nil {
		return nil, nil, err
	}
	return scramExchange{conv}, []byte(first), nil
}

type scramExchange struct{ conv *scram.ClientConversation }

func (e scramExchange) Continue(challenge []byte) ([]byte, error) {
	final, err := e.conv.Step(string(challenge))
	if err != nil {
		return nil, fmt.Errorf("the server's challenge: %w", err)
	}
	return []byte(final), nil
}

func (e scramExchange) Finish(final []byte) error {
	if _, err := e.conv.Step(string(final)); err != nil || !e.conv.Valid() {
		return errors.New("the server's final message does not prove it knows the password; it may not be the server it claims to be")
	}
	return nil
}
