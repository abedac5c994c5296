package main

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// publishProps are the MQTT v5 publish properties pub and rr set.
type publishProps struct {
	contentType     string
	expiry          string
	responseTopic   string
	correlationData string
	userProps       []string
	payloadFormat   string
}

func (pp *publishProps) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&pp.contentType, "content-type", "", "content type (MIME) of the payload")
	f.StringVar(&pp.expiry, "expiry", "", "message expiry: seconds or a duration such as 10m")
	f.StringVar(&pp.responseTopic, "response-topic", "", "response topic for request/response")
	f.StringVar(&pp.correlationData, "correlation-data", "", "correlation data (text, or hex:0A1B… for bytes)")
	f.StringArrayVar(&pp.userProps, "user-property", nil, "user property KEY=VALUE (repeatable)")
	f.StringVar(&pp.payloadFormat, "payload-format", "", "payload format indicator: 0 or bytes, 1 or utf8 (checked before sending)")
}

// options returns the publish options for the flags, after those given with
// -D publish ….
func (pp *publishProps) options(cmd *cobra.Command, fromD []mqttkit.PublishOption) ([]mqttkit.PublishOption, error) {
	opts := append([]mqttkit.PublishOption(nil), fromD...)
	if pp.contentType != "" {
		opts = append(opts, mqttkit.ContentType(pp.contentType))
	}
	if pp.expiry != "" {
		d, err := parseSeconds(pp.expiry)
		if err != nil {
			return nil, usageErr(cmd, "--expiry %q: %v", pp.expiry, err)
		}
		opts = append(opts, mqttkit.MessageExpiry(d))
	}
	if pp.responseTopic != "" {
		if err := packet.ValidateTopicName(pp.responseTopic); err != nil {
			return nil, usageErr(cmd, "--response-topic %q: %v", pp.responseTopic, err)
		}
		opts = append(opts, mqttkit.ResponseTopic(pp.responseTopic))
	}
	if pp.correlationData != "" {
		b, err := hexOrText(pp.correlationData)
		if err != nil {
			return nil, usageErr(cmd, "--correlation-data: %v after hex:", err)
		}
		opts = append(opts, mqttkit.CorrelationData(b))
	}
	for _, kv := range pp.userProps {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErr(cmd, "--user-property %q: write it as KEY=VALUE", kv)
		}
		opts = append(opts, mqttkit.WithUserProperty(k, v))
	}
	switch strings.ToLower(pp.payloadFormat) {
	case "", "0", "bytes":
	case "1", "utf8", "utf-8":
		opts = append(opts, mqttkit.UTF8Payload())
	default:
		return nil, usageErr(cmd, "--payload-format %q: use 0 (bytes) or 1 (utf8)", pp.payloadFormat)
	}
	return opts, nil
}

// parseSeconds reads "30" as 30 seconds, or a Go duration such as "1m30s".
func parseSeconds(s string) (time.Duration, error) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("use seconds (30) or a duration (10m)")
	}
	return d, nil
}
