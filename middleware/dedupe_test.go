package middleware

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

func withID(topic, id string) *mqttkit.Message {
	m := msg(topic)
	m.Properties.UserProperties = []packet.UserProperty{{Key: MessageIDProperty, Value: id}}
	return m
}

func TestDedupe(t *testing.T) {
	failOnce := errors.New("fails the first time")
	type delivery struct {
		m       *mqttkit.Message
		wantRun bool  // the handler must run for it
		wantErr error // what Dedupe must return
	}
	tests := []struct {
		name       string
		opts       []DedupeOption
		fail       map[int]error // handler errors by call number (1-based)
		deliveries []delivery
		wantDups   int
	}{
		{name: "repeated id is skipped", deliveries: []delivery{
			{m: withID("a", "id-1"), wantRun: true},
			{m: withID("a", "id-1")},
			{m: withID("b", "id-1")}, // the id, not the topic, identifies a message
			{m: withID("a", "id-2"), wantRun: true},
		}, wantDups: 2},
		{name: "failed message is handled again", fail: map[int]error{1: failOnce}, deliveries: []delivery{
			{m: withID("a", "id-1"), wantRun: true, wantErr: failOnce},
			{m: withID("a", "id-1"), wantRun: true},
			{m: withID("a", "id-1")},
		}, wantDups: 1},
		{name: "no id is never deduplicated", deliveries: []delivery{
			{m: msg("a"), wantRun: true},
			{m: msg("a"), wantRun: true},
			{m: withID("a", ""), wantRun: true},
			{m: withID("a", ""), wantRun: true},
		}},
		{name: "key function", opts: []DedupeOption{DedupeKey(func(m *mqttkit.Message) (string, bool) {
			return string(m.Payload), len(m.Payload) > 0
		})}, deliveries: []delivery{
			{m: &mqttkit.Message{Topic: "a", Payload: []byte("x")}, wantRun: true},
			{m: &mqttkit.Message{Topic: "b", Payload: []byte("x")}},
			{m: &mqttkit.Message{Topic: "a"}, wantRun: true},
			{m: &mqttkit.Message{Topic: "a"}, wantRun: true},
		}, wantDups: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, dups := 0, 0
			opts := append([]DedupeOption{OnDuplicate(func(context.Context, *mqttkit.Message, string) { dups++ })}, tt.opts...)
			h := Dedupe(NewMemoryStore(100, time.Hour), opts...)(mqttkit.HandlerFunc(func(context.Context, *mqttkit.Message) error {
				calls++
				return tt.fail[calls]
			}))
			for i, d := range tt.deliveries {
				before := calls
				err := h.HandleMessage(context.Background(), d.m)
				if ran := calls > before; ran != d.wantRun {
					t.Errorf("delivery %d: handler ran: %v, want %v", i, ran, d.wantRun)
				}
				if !errors.Is(err, d.wantErr) || (d.wantErr == nil && err != nil) {
					t.Errorf("delivery %d: err = %v, want %v", i, err, d.wantErr)
				}
			}
			if dups != tt.wantDups {
				t.Errorf("OnDuplicate called %d times, want %d", dups, tt.wantDups)
			}
		})
	}
}

// brokenStore fails every call.
type brokenStore struct{ seen, marked int }

func (s *brokenStore) Seen(context.Context, string) (bool, error) {
	s.seen++
	return false, errors.New("store unreachable")
}

func (s *brokenStore) Mark(context.Context, string) error {
	s.marked++
	return errors.New("store unreachable")
}

// A failing store must not stop the consumer: messages are still handled
// and acked (at least once), and the failures are logged.
func TestDedupeFailsOpen(t *testing.T) {
	store := &brokenStore{}
	calls := 0
	h := Dedupe(store, DedupeLogger(discardLogger))(failing(&calls))
	for range 2 {
		if err := h.HandleMessage(context.Background(), withID("a", "id-1")); err != nil {
			t.Fatalf("err = %v, want nil with a broken store", err)
		}
	}
	if calls != 2 || store.seen != 2 || store.marked != 2 {
		t.Fatalf("calls=%d seen=%d marked=%d, want 2 each", calls, store.seen, store.marked)
	}
}

func TestDedupeNilStoreUsesMemory(t *testing.T) {
	calls := 0
	h := Dedupe(nil)(failing(&calls))
	for range 3 {
		if err := h.HandleMessage(context.Background(), withID("a", "same")); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Fatalf("handler ran %d times for one id, want 1", calls)
	}
}

func TestDedupeNilKeyKeepsDefault(t *testing.T) {
	calls := 0
	h := Dedupe(nil, DedupeKey(nil))(failing(&calls))
	for range 2 {
		if err := h.HandleMessage(context.Background(), withID("a", "x")); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Fatalf("handler ran %d times, want 1", calls)
	}
}
