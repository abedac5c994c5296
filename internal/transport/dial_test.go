package transport

import (
	"strings"
	"testing"
)

func TestParseURLs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []string
		want    []string // hosts
		wantErr string
	}{
		{"one", []string{"mqtt://127.0.0.1:1883"}, []string{"127.0.0.1:1883"}, ""},
		{"comma list and extra", []string{"mqtt://a:1, tcp://b:2", "c:3"}, []string{"a:1", "b:2", "c:3"}, ""},
		{"secure and WebSocket schemes", []string{"mqtts://a:8883,tls://b,ssl://c:1", "ws://d:80/mqtt,wss://e/mqtt"}, []string{"a:8883", "b", "c:1", "d:80", "e"}, ""},
		{"empty", []string{""}, nil, "no server URL"},
		{"bad scheme", []string{"http://a:1"}, nil, "unsupported URL scheme"},
		{"no host", []string{"mqtt://:1883"}, nil, "no host"},
		{"password hidden", []string{"ftp://user:hunter2@a:1"}, nil, "xxxxx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			us, err := ParseURLs(tc.in...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("err = %v, want one mentioning %q without the password", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var hosts []string
			for _, u := range us {
				hosts = append(hosts, u.Host)
			}
			if strings.Join(hosts, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("hosts %v, want %v", hosts, tc.want)
			}
		})
	}
}
