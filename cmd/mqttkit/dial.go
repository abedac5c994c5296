package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/mqttkit/mqttkit"
)

// logger returns the client's logger: debug lines on stderr with -d,
// nothing otherwise. The client never logs secrets.
func (cf *connFlags) logger() *slog.Logger {
	if cf.debug {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// dial connects to the servers. Without --retry it fails as soon as every
// server was tried once, so that a broker that is down gives an error at
// once instead of a silent wait; with --retry it keeps trying until ctx ends.
func (cf *connFlags) dial(ctx context.Context, extra ...mqttkit.Option) (*mqttkit.Client, error) {
	opts := append(append([]mqttkit.Option(nil), cf.options...), extra...)
	if !cf.retry {
		opts = append(opts, mqttkit.WithDialOnce())
	}
	c, err := mqttkit.Dial(ctx, cf.servers[0], append(opts, mqttkit.WithServers(cf.servers[1:]...))...)
	if err != nil {
		var re *mqttkit.ReasonError
		var ce *mqttkit.CertificateError
		if errors.As(err, &re) || errors.As(err, &ce) {
			return nil, connectErr("connecting to %s: %v", cf.serverList(), err)
		}
		if ctx.Err() != nil {
			return nil, connectErr("connecting to %s: interrupted", cf.serverList())
		}
		hint := "is the broker running? check -h/-p or -L, or add --retry to wait for it"
		if cf.retry {
			hint = "check -h/-p or -L"
		}
		var de *mqttkit.DialError
		if errors.As(err, &de) {
			return nil, connectErr("cannot connect to %s: %v; %s", cf.serverList(), de.Err, hint)
		}
		return nil, connectErr("cannot connect to %s: %s; %s", cf.serverList(), lastError(err), hint)
	}
	return c, nil
}

func (cf *connFlags) serverList() string {
	s := ""
	for i, u := range cf.servers {
		if i > 0 {
			s += ", "
		}
		s += u
	}
	return s
}

// lastError keeps the cause of a failed Dial: the last attempt's error
// rather than the context's cancellation.
func lastError(err error) string {
	s := err.Error()
	if _, last, ok := strings.Cut(s, "(last error: "); ok {
		return strings.TrimSuffix(last, ")")
	}
	return s
}
