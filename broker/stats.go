package broker

import (
	"sort"
	"strings"
	"sync/atomic"

	"github.com/mqttkit/mqttkit/packet"
)

// Stats is a snapshot of what the broker is doing, for dashboards, tests
// and the metrics that will be built on it.
type Stats struct {
	ClientsConnected int // clients with an open connection
	Sessions         int // sessions known, connected or kept offline
	Subscriptions    int // subscriptions of all sessions, shared ones included
	SharedGroups     []SharedGroup

	MessagesIn  int64 // PUBLISH packets received from clients
	MessagesOut int64 // PUBLISH packets sent to clients
	// MessagesDropped counts messages the broker could not deliver and gave
	// up on: a session's queue full (Limits.MaxQueuedMessages), a client's
	// pending writes full (Limits.MaxPendingWrites), packet ids exhausted,
	// expired, or discarded with the session that held them. Each one is
	// also logged at warning level.
	MessagesDropped int64
	// MalformedPackets counts connections closed because a client sent a
	// malformed, oversized or forbidden packet.
	MalformedPackets int64
	// MessagesRescued counts messages that plain mochi v2.7.9 would have
	// lost and the broker delivered: acknowledged to a publisher whose
	// connection closed before mochi routed them, or routed to a
	// connection whose session was being taken over (docs/BROKER.md,
	// hardening items 7 and 8). Nonzero is not a fault; it shows those
	// races happening.
	MessagesRescued int64

	Retained int // retained messages, $SYS topics excluded
}

// SharedGroup is one shared subscription ($share/Group/Filter) and the
// sessions that share it.
type SharedGroup struct {
	Group   string
	Filter  string
	Members []SharedMember // sorted by ClientID
}

// SharedMember is one session in a shared subscription group.
type SharedMember struct {
	ClientID  string
	Connected bool
}

// Stats returns a snapshot of the broker's counters and state.
func (s *Server) Stats() Stats {
	info := s.mochi.Info
	st := Stats{
		ClientsConnected: int(atomic.LoadInt64(&info.ClientsConnected)),
		MessagesIn:       atomic.LoadInt64(&info.MessagesReceived),
		MessagesOut:      atomic.LoadInt64(&info.MessagesSent),
		MessagesDropped: atomic.LoadInt64(&info.MessagesDropped) +
			atomic.LoadInt64(&info.InflightDropped) + s.hook.dropped.Load(),
		MalformedPackets: s.hook.invalid.Load(),
		MessagesRescued:  s.hook.rescued.Load(),
	}
	groups := map[string]*SharedGroup{}
	for id, cl := range s.mochi.Clients.GetAll() {
		if cl.Net.Inline {
			continue
		}
		st.Sessions++
		for filter := range cl.State.Subscriptions.GetAll() {
			st.Subscriptions++
			group, f, err := packet.ParseShared(filter)
			if err != nil || group == "" {
				continue
			}
			g := groups[filter]
			if g == nil {
				g = &SharedGroup{Group: group, Filter: f}
				groups[filter] = g
			}
			g.Members = append(g.Members, SharedMember{ClientID: id, Connected: !cl.Closed()})
		}
	}
	for _, g := range groups {
		sort.Slice(g.Members, func(i, j int) bool { return g.Members[i].ClientID < g.Members[j].ClientID })
		st.SharedGroups = append(st.SharedGroups, *g)
	}
	sort.Slice(st.SharedGroups, func(i, j int) bool {
		a, b := st.SharedGroups[i], st.SharedGroups[j]
		return a.Group < b.Group || (a.Group == b.Group && a.Filter < b.Filter)
	})
	for topic := range s.mochi.Topics.Retained.GetAll() {
		if !strings.HasPrefix(topic, "$SYS") {
			st.Retained++
		}
	}
	return st
}
