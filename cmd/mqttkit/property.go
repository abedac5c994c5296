package main

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// parseProperty reads a -D "COMMAND NAME VALUE" property, as mosquitto's -D
// takes it but in one argument, and returns the client or publish options it
// stands for.
func parseProperty(s string) ([]mqttkit.Option, []mqttkit.PublishOption, error) {
	f := strings.Fields(s)
	if len(f) < 3 {
		return nil, nil, fmt.Errorf(`write it as "COMMAND NAME VALUE", e.g. "connect user-property region eu" or "publish content-type text/plain"`)
	}
	command, name, args := strings.ToLower(f[0]), strings.ToLower(f[1]), f[2:]
	one := func() (string, error) {
		if len(args) != 1 {
			return "", fmt.Errorf("%s %s takes one value", command, name)
		}
		return args[0], nil
	}
	num := func(bits int) (uint64, error) {
		v, err := one()
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseUint(v, 10, bits)
		if err != nil {
			return 0, fmt.Errorf("%s %s: %q is not a number of at most %d bits", command, name, v, bits)
		}
		return n, nil
	}
	switch command + " " + name {
	case "connect user-property":
		if len(args) != 2 {
			return nil, nil, fmt.Errorf("user-property takes a name and a value")
		}
		return []mqttkit.Option{mqttkit.WithConnectUserProperty(args[0], args[1])}, nil, nil
	case "connect session-expiry-interval":
		n, err := num(32)
		return []mqttkit.Option{mqttkit.WithSessionExpiry(time.Duration(n) * time.Second)}, nil, err
	case "connect receive-maximum":
		n, err := num(16)
		return []mqttkit.Option{mqttkit.WithReceiveMaximum(uint16(n))}, nil, err
	case "connect maximum-packet-size":
		n, err := num(32)
		return []mqttkit.Option{mqttkit.WithMaxPacketSize(uint32(n))}, nil, err
	case "connect topic-alias-maximum":
		n, err := num(16)
		return []mqttkit.Option{mqttkit.WithTopicAliasMaximum(uint16(n))}, nil, err
	}
	po, err := publishProperty(command, name, args)
	if err != nil {
		return nil, nil, err
	}
	return nil, []mqttkit.PublishOption{po}, nil
}

// publishProperty maps a -D "publish NAME VALUE" to a publish option.
func publishProperty(command, name string, args []string) (mqttkit.PublishOption, error) {
	if command != "publish" {
		return nil, fmt.Errorf(`unsupported: use "connect" with user-property, session-expiry-interval, receive-maximum, maximum-packet-size or topic-alias-maximum, or "publish" with content-type, message-expiry-interval, payload-format-indicator, response-topic, correlation-data or user-property`)
	}
	if name == "user-property" {
		if len(args) != 2 {
			return nil, fmt.Errorf("user-property takes a name and a value")
		}
		return mqttkit.WithUserProperty(args[0], args[1]), nil
	}
	if len(args) != 1 {
		return nil, fmt.Errorf("publish %s takes one value", name)
	}
	v := args[0]
	switch name {
	case "content-type":
		return mqttkit.ContentType(v), nil
	case "response-topic":
		return mqttkit.ResponseTopic(v), nil
	case "correlation-data":
		return mqttkit.CorrelationData([]byte(v)), nil
	case "message-expiry-interval":
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("message-expiry-interval %q is not a number of seconds", v)
		}
		return mqttkit.MessageExpiry(time.Duration(n) * time.Second), nil
	case "payload-format-indicator":
		switch v {
		case "1":
			return mqttkit.UTF8Payload(), nil
		case "0":
			return func(*packet.Publish) {}, nil
		}
		return nil, fmt.Errorf("payload-format-indicator is 0 or 1")
	}
	return nil, fmt.Errorf("unsupported publish property %q: use content-type, message-expiry-interval, payload-format-indicator, response-topic, correlation-data or user-property", name)
}

// hexOrText decodes "hex:..." correlation data and keeps anything else as text.
func hexOrText(s string) ([]byte, error) {
	if h, ok := strings.CutPrefix(s, "hex:"); ok {
		return hex.DecodeString(h)
	}
	return []byte(s), nil
}
