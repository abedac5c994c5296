package broker

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/mochi-mqtt/server/v2/packets"
)

// mochiLog adjusts the levels of mochi's own log lines: start-up chatter
// and advice that is not a problem become debug lines, so that a broker at
// warning level logs only what needs attention. It also replaces the whole
// packets mochi attaches to some lines ("error processing packet") by their
// type and packet id: a packet may hold a password, auth data or a payload,
// none of which belongs in a log.
type mochiLog struct {
	slog.Handler
}

// demoted lists mochi messages logged at debug level instead.
var demoted = map[string]bool{
	"added hook":                 true,
	"attached listener":          true,
	"mochi mqtt starting":        true,
	"mochi mqtt server started":  true,
	"gracefully stopping server": true,
	"stopping hook":              true,
	"mochi mqtt server stopped":  true,
	"client keepalive is below minimum recommended value and may exhibit connection instability": true,
}

// reworded maps mochi messages to ones that say what happened and what to do.
var reworded = map[string]string{
	"client store quota reached": "broker: message dropped: the session's queue is full; raise Limits.MaxQueuedMessages or let the client catch up",
}

// Handle logs r, at debug level when it is routine.
func (h mochiLog) Handle(ctx context.Context, r slog.Record) error {
	if msg, ok := reworded[r.Message]; ok {
		r.Message = msg
	}
	if demoted[r.Message] || (r.Message == "failed to get data" && recordErrorIs(r, "key not found")) {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, redactPackets(r))
}

// redactPackets returns r with every packet attribute summarised.
func redactPackets(r slog.Record) slog.Record {
	has := false
	r.Attrs(func(a slog.Attr) bool {
		_, has = a.Value.Any().(packets.Packet)
		return !has
	})
	if !has {
		return r
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if pk, ok := a.Value.Any().(packets.Packet); ok {
			a.Value = slog.StringValue(fmt.Sprintf("%s id=%d", packets.PacketNames[pk.FixedHeader.Type], pk.PacketID))
		}
		out.AddAttrs(a)
		return true
	})
	return out
}

// Enabled lets every record through that might be logged after demotion.
func (h mochiLog) Enabled(ctx context.Context, l slog.Level) bool {
	return h.Handler.Enabled(ctx, l)
}

// WithAttrs keeps the adjustment on derived loggers.
func (h mochiLog) WithAttrs(a []slog.Attr) slog.Handler { return mochiLog{h.Handler.WithAttrs(a)} }

// WithGroup keeps the adjustment on derived loggers.
func (h mochiLog) WithGroup(n string) slog.Handler { return mochiLog{h.Handler.WithGroup(n)} }

// recordErrorIs reports whether r has an "error" attribute containing text.
func recordErrorIs(r slog.Record, text string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "error" && strings.Contains(a.Value.String(), text) {
			found = true
			return false
		}
		return true
	})
	return found
}
