package main

import (
	"net"
	"strings"
	"testing"
)

// TestUsageErrors checks that bad flags, arguments and topics end with exit
// status 2 and one line that says what was wrong, before connecting.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"pub", "--bogus"}, "unknown flag: --bogus"},
		{"unknown command", []string{"publish"}, "unknown command"},
		{"no topic", []string{"pub", "-m", "x"}, "needs a topic"},
		{"no payload", []string{"pub", "-t", "a"}, "exactly one payload source"},
		{"two payloads", []string{"pub", "-t", "a", "-m", "x", "-n"}, "exactly one payload source"},
		{"wildcard in topic", []string{"pub", "-t", "a/+", "-m", "x"}, "wildcard"},
		{"publish to share", []string{"pub", "-t", "$share/g/a", "-m", "x"}, "publish to the plain topic"},
		{"bad filter", []string{"sub", "-t", "a/#/b"}, "topic filter"},
		{"bad group", []string{"sub", "-t", "a", "--group", "a/b"}, "group name"},
		{"qos 3", []string{"pub", "-t", "a", "-m", "x", "-q", "3"}, "QoS is 0, 1 or 2"},
		{"protocol version", []string{"sub", "-t", "a", "-V", "311"}, "only MQTT v5 is supported"},
		{"bad format code", []string{"sub", "-t", "a", "-F", "%Z"}, "unknown code %Z"},
		{"json and verbose", []string{"sub", "-t", "a", "--json", "-v"}, "give one of them"},
		{"bad property", []string{"pub", "-t", "a", "-m", "x", "-D", "publish colour red"}, "unsupported publish property"},
		{"bad user property", []string{"pub", "-t", "a", "-m", "x", "--user-property", "novalue"}, "KEY=VALUE"},
		{"bad port", []string{"pub", "-t", "a", "-m", "x", "-p", "70000"}, "not a port"},
		{"bad url", []string{"pub", "-m", "x", "-L", "http://h/t"}, "not supported"},
		{"will without topic", []string{"pub", "-t", "a", "-m", "x", "--will-payload", "p"}, "--will-topic"},
		{"consume without sink", []string{"consume", "-t", "a"}, "exactly one sink"},
		{"rr without payload", []string{"rr", "-t", "a"}, "exactly one request payload"},
		{"demo members", []string{"demo", "--members", "0"}, "at least 1"},
		{"passwd arguments", []string{"broker", "passwd", "only-file"}, "accepts 2 arg"},
		{"topic-from-line without -l", []string{"pub", "-m", "x", "--topic-from-line"}, "works with -l only"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", nil, tc.args...)
			if r.code != exitUsage {
				t.Fatalf("status %d, want %d; stderr %q", r.code, exitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("stderr %q does not say %q", r.stderr, tc.want)
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
				t.Fatalf("stderr has %d lines, want one: %q", n+1, r.stderr)
			}
			if !strings.Contains(r.stderr, "--help") {
				t.Fatalf("stderr %q does not point at --help", r.stderr)
			}
		})
	}
}

// TestBrokerDown checks that pub and sub fail at once with exit status 3
// and a hint when nothing listens.
func TestBrokerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, cmd := range [][]string{{"pub", "-t", "a", "-m", "x"}, {"sub", "-t", "a"}} {
		r := run(t, "", nil, append(cmd, hostPort(addr)...)...)
		if r.code != exitConnect || !strings.Contains(r.stderr, "connection refused") || !strings.Contains(r.stderr, "--retry") {
			t.Fatalf("%s: status %d, stderr %q; want %d, the cause and the --retry hint", cmd[0], r.code, r.stderr, exitConnect)
		}
	}
}
