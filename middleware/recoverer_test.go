package middleware

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/mqttkit/mqttkit"
)

func TestRecoverer(t *testing.T) {
	sentinel := errors.New("sentinel")
	tests := []struct {
		name    string
		handler func(context.Context, *mqttkit.Message) error
		wantErr error // nil: no error
		panics  bool
		value   any // the panic value
	}{
		{name: "string panic", handler: func(context.Context, *mqttkit.Message) error { panic("boom") }, panics: true, value: "boom"},
		{name: "error panic", handler: func(context.Context, *mqttkit.Message) error { panic(sentinel) }, panics: true, value: sentinel},
		{name: "nil map write", handler: func(context.Context, *mqttkit.Message) error {
			var m map[string]int
			m["x"] = 1
			return nil
		}, panics: true},
		{name: "error passes through", handler: func(context.Context, *mqttkit.Message) error { return sentinel }, wantErr: sentinel},
		{name: "success passes through", handler: func(context.Context, *mqttkit.Message) error { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, nil))
			err := Recoverer(logger)(mqttkit.HandlerFunc(tt.handler)).HandleMessage(context.Background(), msg("orders/1"))
			var pe *mqttkit.PanicError
			if got := errors.As(err, &pe); got != tt.panics {
				t.Fatalf("err = %v; is *PanicError: %v, want %v", err, got, tt.panics)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.wantErr)
			}
			if !tt.panics {
				if tt.wantErr == nil && err != nil {
					t.Errorf("err = %v, want nil", err)
				}
				if logs.Len() != 0 {
					t.Errorf("logged %q without a panic", logs.String())
				}
				return
			}
			if tt.value != nil && pe.Value != tt.value {
				t.Errorf("PanicError.Value = %v, want %v", pe.Value, tt.value)
			}
			if !strings.Contains(string(pe.Stack), "recoverer_test.go") {
				t.Errorf("stack does not show the panicking handler:\n%s", pe.Stack)
			}
			out := logs.String()
			for _, want := range []string{"level=ERROR", "orders/1", "recoverer_test.go"} {
				if !strings.Contains(out, want) {
					t.Errorf("log %q lacks %q", out, want)
				}
			}
		})
	}
}

func TestRecovererNilLoggerUsesDefault(t *testing.T) {
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(old)
	h := Recoverer(nil)(mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error { panic("x") }))
	if err := h.HandleMessage(context.Background(), msg("t")); err == nil {
		t.Fatal("panic not turned into an error")
	}
	if !strings.Contains(logs.String(), "panicked") {
		t.Errorf("default logger got %q", logs.String())
	}
}

// discardLogger keeps test output clean where logs are not under test.
var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))
