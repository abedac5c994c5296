package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/mqtttest"
)

// TestPubSubRoundTrip publishes with the built binary and checks what
// another mqttkit sub process prints, one case per flag group.
func TestPubSubRoundTrip(t *testing.T) {
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		dir := t.TempDir()
		payloadFile := filepath.Join(dir, "payload")
		if err := os.WriteFile(payloadFile, []byte("from a file"), 0o600); err != nil {
			t.Fatal(err)
		}
		hp := hostPort(srv.Addr())
		cases := []struct {
			name      string
			sub       []string // {t} is the case's topic
			pub       []string
			stdin     string
			retained  bool // publish before subscribing
			count     int  // messages sub waits for (default 1)
			want      string
			checkJSON bool
		}{
			{name: "qos0 default output", sub: []string{"-t", "{t}"}, pub: []string{"-t", "{t}", "-m", "hello world"}, want: "hello world\n"},
			{name: "qos1 verbose", sub: []string{"-t", "{t}/+", "-q", "1", "-v"}, pub: []string{"-t", "{t}/x", "-m", "hi", "-q", "1"}, want: "{t}/x hi\n"},
			{name: "qos2 format", sub: []string{"-t", "{t}", "-q", "2", "-F", "%t|%q|%p|%l|%r"}, pub: []string{"-t", "{t}", "-m", "x", "-q", "2"}, want: "{t}|2|x|1|0\n"},
			{name: "v5 properties", sub: []string{"-t", "{t}", "-F", "%C|%R|%D|%E|%F"},
				pub:  []string{"-t", "{t}", "-m", "p", "--content-type", "text/plain", "--response-topic", "re/ply", "--correlation-data", "c-42", "--expiry", "3600", "--payload-format", "utf8"},
				want: "text/plain|re/ply|c-42|3600|1\n"},
			{name: "-D publish property", sub: []string{"-t", "{t}", "-F", "%C"}, pub: []string{"-t", "{t}", "-m", "p", "-D", "publish content-type app/x"}, want: "app/x\n"},
			{name: "user properties", sub: []string{"-t", "{t}", "-q", "1", "-F", "%P"}, pub: []string{"-t", "{t}", "-m", "p", "-q", "1", "--user-property", "a=1", "--user-property", "b=two"}, want: "a:1 b:two\n"},
			{name: "payload from file", sub: []string{"-t", "{t}"}, pub: []string{"-t", "{t}", "-f", payloadFile}, want: "from a file\n"},
			{name: "payload from stdin", sub: []string{"-t", "{t}", "-F", "%l:%x"}, pub: []string{"-t", "{t}", "-s"}, stdin: "a\nb", want: "3:610a62\n"},
			{name: "null payload", sub: []string{"-t", "{t}", "-F", "[%p]%l"}, pub: []string{"-t", "{t}", "-n"}, want: "[]0\n"},
			{name: "hex", sub: []string{"-t", "{t}", "--hex"}, pub: []string{"-t", "{t}", "-m", "AB"}, want: "4142\n"},
			{name: "base64 verbose", sub: []string{"-t", "{t}", "--base64", "-v"}, pub: []string{"-t", "{t}", "-m", "hi"}, want: "{t} aGk=\n"},
			{name: "no newline and repeat", sub: []string{"-t", "{t}", "-N", "-q", "1"}, pub: []string{"-t", "{t}", "-m", "ab", "-q", "1", "--repeat", "3"}, count: 3, want: "ababab"},
			{name: "escapes", sub: []string{"-t", "{t}", "-F", `%t\t%p\\`}, pub: []string{"-t", "{t}", "-m", "v"}, want: "{t}\tv\\\n"},
			{name: "lines with topic", sub: []string{"-t", "{t}/#", "-T", "{t}/skip", "-v", "-q", "1"}, pub: []string{"-l", "--topic-from-line", "-q", "1"},
				stdin: "{t}/skip\tno\n{t}/keep\tyes\n", want: "{t}/keep yes\n"},
			{name: "url with topic", sub: []string{"-L", "mqtt://" + srv.Addr() + "/{t}"}, pub: []string{"-L", "mqtt://" + srv.Addr() + "/{t}", "-m", "via url"}, want: "via url\n"},
			{name: "retained only", sub: []string{"-t", "{t}", "--retained-only"}, pub: []string{"-t", "{t}", "-m", "old", "-r", "-q", "1"}, retained: true, want: "old\n"},
			{name: "json", sub: []string{"-t", "{t}", "--json", "-q", "1"}, pub: []string{"-t", "{t}", "-m", "{\"v\":1}", "-q", "1", "--content-type", "application/json"}, checkJSON: true},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				topic := "rt/" + srv.Name() + "/" + string(rune('a'+i))
				sub := expand(tc.sub, topic)
				pub := expand(tc.pub, topic)
				if !contains(sub, "-L") {
					sub = append(sub, hp...)
				}
				if !contains(pub, "-L") {
					pub = append(pub, hp...)
				}
				if tc.retained {
					if r := run(t, "", nil, append([]string{"pub"}, pub...)...); r.code != 0 {
						t.Fatalf("pub: status %d: %s", r.code, r.stderr)
					}
				}
				count := max(tc.count, 1)
				s := start(t, nil, append([]string{"sub", "-d", "-C", itoa(count), "-W", "15"}, sub...)...)
				if !tc.retained {
					if r := run(t, strings.ReplaceAll(tc.stdin, "{t}", topic), nil, append([]string{"pub"}, pub...)...); r.code != 0 {
						t.Fatalf("pub: status %d: %s", r.code, r.stderr)
					}
				}
				if code := s.wait(t, 20*time.Second); code != 0 {
					t.Fatalf("sub: status %d: %s", code, s.stderrText())
				}
				got := s.stdout(t)
				if tc.checkJSON {
					checkJSONLine(t, got, topic)
					return
				}
				if want := strings.ReplaceAll(tc.want, "{t}", topic); got != want {
					t.Fatalf("sub printed %q, want %q", got, want)
				}
			})
		}
	})
}

func checkJSONLine(t *testing.T, line, topic string) {
	t.Helper()
	var m struct {
		Topic      string `json:"topic"`
		Payload    string `json:"payload"`
		QoS        int    `json:"qos"`
		Retain     bool   `json:"retain"`
		Received   string `json:"received"`
		Properties struct {
			ContentType string `json:"content_type"`
		} `json:"properties"`
	}
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("--json printed %q: %v", line, err)
	}
	if _, err := time.Parse(time.RFC3339Nano, m.Received); err != nil {
		t.Errorf("received %q is not RFC 3339: %v", m.Received, err)
	}
	if m.Topic != topic || m.Payload != `{"v":1}` || m.QoS != 1 || m.Retain || m.Properties.ContentType != "application/json" {
		t.Fatalf("--json printed %+v from %q", m, line)
	}
}

func expand(list []string, topic string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.ReplaceAll(s, "{t}", topic)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }
