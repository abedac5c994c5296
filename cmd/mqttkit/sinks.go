package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/mqttkit/mqttkit"
)

// A sink takes one message; nil means it is done with it and the message
// may be acknowledged.
type sink func(ctx context.Context, m *mqttkit.Message) error

// execSink runs command with sh -c for every message: the payload on
// stdin, the topic and properties in MQTT_* environment variables, its
// stdout passed through. Exit status 0 is success.
func execSink(command string) sink {
	return func(ctx context.Context, m *mqttkit.Message) error {
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
		cmd.Stdin = bytes.NewReader(m.Payload)
		cmd.Stdout = os.Stdout
		var stderr tailBuffer
		cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
		cmd.Env = append(childEnv(), messageEnv(m)...)
		if err := cmd.Run(); err != nil {
			if t := strings.TrimSpace(stderr.String()); t != "" {
				return fmt.Errorf("--exec %q: %v: %s", command, err, t)
			}
			return fmt.Errorf("--exec %q: %v", command, err)
		}
		return nil
	}
}

// childEnv is this process's environment without the broker password, so
// that a sink command never sees it.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MQTTKIT_PASSWORD=") {
			env = append(env, kv)
		}
	}
	return env
}

// messageEnv describes m in environment variables.
func messageEnv(m *mqttkit.Message) []string {
	p := &m.Properties
	env := []string{
		"MQTT_TOPIC=" + m.Topic,
		"MQTT_QOS=" + strconv.Itoa(int(m.QoS)),
		"MQTT_RETAIN=" + string(appendBit(nil, m.Retain)),
		"MQTT_DUP=" + string(appendBit(nil, m.Dup)),
	}
	add := func(k, v string) {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	add("MQTT_CONTENT_TYPE", p.ContentType)
	add("MQTT_RESPONSE_TOPIC", p.ResponseTopic)
	add("MQTT_CORRELATION_DATA", string(p.CorrelationData))
	if p.MessageExpiryInterval > 0 {
		add("MQTT_MESSAGE_EXPIRY", strconv.FormatUint(uint64(p.MessageExpiryInterval), 10))
	}
	if p.PayloadFormatIndicator > 0 {
		add("MQTT_PAYLOAD_FORMAT", "1")
	}
	for _, up := range p.UserProperties {
		add("MQTT_USER_PROPERTY_"+envName(up.Key), up.Value)
	}
	if len(p.UserProperties) > 0 {
		b, _ := json.Marshal(toJSONProperties(m).UserProperties)
		add("MQTT_USER_PROPERTIES", string(b))
	}
	return env
}

// envName turns a property name into an environment variable suffix:
// upper case, anything but letters and digits as _.
func envName(k string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return unicode.ToUpper(r)
		}
		return '_'
	}, k)
}

// tailBuffer keeps the last 512 bytes written, for error messages.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 512 {
		t.b = t.b[len(t.b)-512:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }

// httpSink POSTs each payload to url; a 2xx status is success. The topic
// and properties travel in X-MQTT-* headers.
func httpSink(url string) sink {
	client := &http.Client{Timeout: 30 * time.Second}
	return func(ctx context.Context, m *mqttkit.Message) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(m.Payload))
		if err != nil {
			return err
		}
		p := &m.Properties
		ct := p.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("X-MQTT-Topic", m.Topic)
		req.Header.Set("X-MQTT-QoS", strconv.Itoa(int(m.QoS)))
		req.Header.Set("X-MQTT-Retain", string(appendBit(nil, m.Retain)))
		if p.ResponseTopic != "" {
			req.Header.Set("X-MQTT-Response-Topic", p.ResponseTopic)
		}
		if len(p.CorrelationData) > 0 {
			req.Header.Set("X-MQTT-Correlation-Data", base64.StdEncoding.EncodeToString(p.CorrelationData))
		}
		for _, up := range p.UserProperties {
			req.Header.Add("X-MQTT-Property-"+envName(up.Key), up.Value)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("--http: %w", err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		_ = resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("--http %s: status %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
		}
		return nil
	}
}

// jsonlSink appends each message as a JSON line (the form of sub --json) to
// path and syncs the file before the message is acknowledged.
func jsonlSink(path string) (sink, func() error, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	var mu sync.Mutex
	out := &output{}
	s := func(_ context.Context, m *mqttkit.Message) error {
		line := append(appendJSON(nil, m, time.Now(), true, out.encoding(m.Payload)), '\n')
		mu.Lock()
		defer mu.Unlock()
		if _, err := f.Write(line); err != nil {
			return fmt.Errorf("--jsonl %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("--jsonl %s: %w", path, err)
		}
		return nil
	}
	return s, f.Close, nil
}
