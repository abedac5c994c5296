package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mqttkit/mqttkit"
)

// output turns a received message into the bytes sub prints for it.
type output struct {
	verbose bool   // -v: topic, space, payload
	format  string // -F, mosquitto's format string
	json    bool   // --json: one object per line
	hex     bool   // --hex: payload as hex
	base64  bool   // --base64: payload as base64
	noEOL   bool   // -N: no newline after each message
}

// check reports an unusable combination or format string.
func (o *output) check() error {
	modes := 0
	for _, on := range []bool{o.verbose, o.format != "", o.json} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return fmt.Errorf("-v, -F and --json choose the output format; give one of them")
	}
	if o.hex && o.base64 {
		return fmt.Errorf("--hex and --base64 both encode the payload; give one of them")
	}
	if o.format != "" {
		_, err := o.formatted(nil, &mqttkit.Message{}, time.Now())
		return err
	}
	return nil
}

// render appends the output for m to dst.
func (o *output) render(dst []byte, m *mqttkit.Message, received time.Time) []byte {
	switch {
	case o.json:
		dst = appendJSON(dst, m, received, true, o.encoding(m.Payload))
	case o.format != "":
		dst, _ = o.formatted(dst, m, received) // checked at start-up
	default:
		if o.verbose {
			dst = append(append(dst, m.Topic...), ' ')
		}
		dst = o.appendPayload(dst, m.Payload)
	}
	if !o.noEOL {
		dst = append(dst, '\n')
	}
	return dst
}

// encoding is how a JSON payload is written: text, hex or base64.
func (o *output) encoding(p []byte) string {
	switch {
	case o.hex:
		return "hex"
	case o.base64 || !utf8.Valid(p):
		return "base64"
	}
	return ""
}

func (o *output) appendPayload(dst, p []byte) []byte {
	switch {
	case o.hex:
		return hex.AppendEncode(dst, p)
	case o.base64:
		return base64.StdEncoding.AppendEncode(dst, p)
	}
	return append(dst, p...)
}

// formatted expands the -F format string for m, as mosquitto_sub does:
// %-codes for the message, @-codes for strftime fields of the receive
// time, \-escapes.
func (o *output) formatted(dst []byte, m *mqttkit.Message, t time.Time) ([]byte, error) {
	f := o.format
	for i := 0; i < len(f); i++ {
		c := f[i]
		if (c != '%' && c != '@' && c != '\\') || i+1 == len(f) {
			dst = append(dst, c)
			continue
		}
		i++
		var err error
		switch c {
		case '%':
			dst, err = o.percent(dst, f[i], m, t)
		case '@':
			dst, err = strftime(dst, f[i], t)
		default:
			dst, err = escape(dst, f[i])
		}
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func (o *output) percent(dst []byte, c byte, m *mqttkit.Message, t time.Time) ([]byte, error) {
	p := &m.Properties
	switch c {
	case '%':
		return append(dst, '%'), nil
	case 't':
		return append(dst, m.Topic...), nil
	case 'p':
		return o.appendPayload(dst, m.Payload), nil
	case 'x':
		return hex.AppendEncode(dst, m.Payload), nil
	case 'X':
		return append(dst, strings.ToUpper(hex.EncodeToString(m.Payload))...), nil
	case 'l':
		return strconv.AppendInt(dst, int64(len(m.Payload)), 10), nil
	case 'q':
		return strconv.AppendInt(dst, int64(m.QoS), 10), nil
	case 'r':
		return appendBit(dst, m.Retain), nil
	case 'j':
		return appendJSON(dst, m, t, false, o.encoding(m.Payload)), nil
	case 'J':
		return appendJSON(dst, m, t, true, o.encoding(m.Payload)), nil
	case 'I':
		return t.AppendFormat(dst, "2006-01-02T15:04:05-0700"), nil
	case 'U':
		return fmt.Appendf(dst, "%d.%09d", t.Unix(), t.Nanosecond()), nil
	case 'C':
		return append(dst, p.ContentType...), nil
	case 'E':
		if p.MessageExpiryInterval == 0 {
			return dst, nil
		}
		return strconv.AppendUint(dst, uint64(p.MessageExpiryInterval), 10), nil
	case 'F':
		return strconv.AppendUint(dst, uint64(p.PayloadFormatIndicator), 10), nil
	case 'A':
		if p.TopicAlias == 0 {
			return dst, nil
		}
		return strconv.AppendUint(dst, uint64(p.TopicAlias), 10), nil
	case 'S':
		for i, id := range p.SubscriptionIdentifiers {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = strconv.AppendUint(dst, uint64(id), 10)
		}
		return dst, nil
	case 'R':
		return append(dst, p.ResponseTopic...), nil
	case 'D':
		return append(dst, p.CorrelationData...), nil
	case 'P':
		for i, up := range p.UserProperties {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = append(append(append(dst, up.Key...), ':'), up.Value...)
		}
		return dst, nil
	case 'm':
		return strconv.AppendUint(dst, uint64(m.PacketID), 10), nil
	}
	return dst, fmt.Errorf("-F: unknown code %%%c; see docs/CLI.md for the codes (%%t topic, %%p payload, %%j JSON, …)", c)
}

func appendBit(dst []byte, b bool) []byte {
	if b {
		return append(dst, '1')
	}
	return append(dst, '0')
}

// strftime appends the strftime(3) field c of t, for mosquitto's @-codes.
func strftime(dst []byte, c byte, t time.Time) ([]byte, error) {
	layouts := map[byte]string{
		'Y': "2006", 'y': "06", 'm': "01", 'd': "02", 'e': "_2", 'H': "15", 'I': "03", 'M': "04", 'S': "05",
		'p': "PM", 'b': "Jan", 'h': "Jan", 'B': "January", 'a': "Mon", 'A': "Monday", 'z': "-0700", 'Z': "MST",
		'F': "2006-01-02", 'T': "15:04:05", 'D': "01/02/06", 'R': "15:04", 'j': "002",
	}
	switch c {
	case '@':
		return append(dst, '@'), nil
	case 'N':
		return fmt.Appendf(dst, "%09d", t.Nanosecond()), nil
	case 's':
		return strconv.AppendInt(dst, t.Unix(), 10), nil
	}
	if l, ok := layouts[c]; ok {
		return t.AppendFormat(dst, l), nil
	}
	return dst, fmt.Errorf("-F: unsupported time code @%c; use @Y @m @d @H @M @S @N @s @z @F @T or another listed in docs/CLI.md", c)
}

// escape appends the character of the escape sequence \c.
func escape(dst []byte, c byte) ([]byte, error) {
	e := map[byte]byte{'\\': '\\', '0': 0, 'a': '\a', 'e': 0x1b, 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v'}
	if b, ok := e[c]; ok {
		return append(dst, b), nil
	}
	return dst, fmt.Errorf(`-F: unknown escape \%c; use \\ \0 \a \e \n \r \t or \v`, c)
}

// jsonMessage is the --json, %j and %J form of a message.
type jsonMessage struct {
	Topic      string          `json:"topic"`
	Payload    string          `json:"payload"`
	Encoding   string          `json:"payload_encoding,omitempty"` // "hex" or "base64"; absent for text
	QoS        int             `json:"qos"`
	Retain     bool            `json:"retain"`
	Properties *jsonProperties `json:"properties,omitempty"`
	Received   string          `json:"received"`
}

type jsonProperties struct {
	ContentType     string         `json:"content_type,omitempty"`
	PayloadFormat   byte           `json:"payload_format,omitempty"`
	MessageExpiry   uint32         `json:"message_expiry,omitempty"`
	ResponseTopic   string         `json:"response_topic,omitempty"`
	CorrelationData string         `json:"correlation_data,omitempty"` // text, or hex:… for bytes
	TopicAlias      uint16         `json:"topic_alias,omitempty"`
	SubscriptionIDs []uint32       `json:"subscription_identifiers,omitempty"`
	UserProperties  []jsonUserProp `json:"user_properties,omitempty"`
}

type jsonUserProp struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// appendJSON appends m as one JSON object, with its properties when props.
func appendJSON(dst []byte, m *mqttkit.Message, received time.Time, props bool, encoding string) []byte {
	jm := jsonMessage{Topic: m.Topic, Encoding: encoding, QoS: int(m.QoS), Retain: m.Retain,
		Received: received.UTC().Format(time.RFC3339Nano)}
	switch encoding {
	case "hex":
		jm.Payload = hex.EncodeToString(m.Payload)
	case "base64":
		jm.Payload = base64.StdEncoding.EncodeToString(m.Payload)
	default:
		jm.Payload = string(m.Payload)
	}
	if props {
		jm.Properties = toJSONProperties(m)
	}
	b, _ := json.Marshal(jm) // cannot fail: every field is a string, number, bool or list of them
	return append(dst, b...)
}

func toJSONProperties(m *mqttkit.Message) *jsonProperties {
	p := &m.Properties
	jp := &jsonProperties{ContentType: p.ContentType, PayloadFormat: p.PayloadFormatIndicator,
		MessageExpiry: p.MessageExpiryInterval, ResponseTopic: p.ResponseTopic, TopicAlias: p.TopicAlias,
		SubscriptionIDs: p.SubscriptionIdentifiers}
	if len(p.CorrelationData) > 0 {
		jp.CorrelationData = string(p.CorrelationData)
		if !utf8.Valid(p.CorrelationData) {
			jp.CorrelationData = "hex:" + hex.EncodeToString(p.CorrelationData)
		}
	}
	for _, up := range p.UserProperties {
		jp.UserProperties = append(jp.UserProperties, jsonUserProp{Key: up.Key, Value: up.Value})
	}
	if jp.ContentType == "" && jp.PayloadFormat == 0 && jp.MessageExpiry == 0 && jp.ResponseTopic == "" &&
		jp.CorrelationData == "" && jp.TopicAlias == 0 && jp.SubscriptionIDs == nil && jp.UserProperties == nil {
		return nil
	}
	return jp
}
