package broker

import (
	"bytes"
	"sort"
	"sync"
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/mqttkit/mqttkit/packet"
)

// hook is the broker's mochi hook: authentication, ACL, shared-subscription
// member choice, accounting of dropped messages and CONNACK properties.
type hook struct {
	mqtt.HookBase
	srv *Server

	dropped atomic.Int64 // messages dropped that mochi does not count
	invalid atomic.Int64 // connections closed for malformed packets
	rescued atomic.Int64 // messages mochi would have lost (Stats.MessagesRescued)

	rrMu sync.Mutex
	rr   map[string]uint64 // shared filter -> next member index

	late      lateMessages
	establish establishLocks
}

func newHook(s *Server) *hook {
	return &hook{srv: s, rr: map[string]uint64{}}
}

// ID names the hook in mochi's logs.
func (h *hook) ID() string { return "mqttkit" }

// Provides lists the events the hook handles.
func (h *hook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mqtt.OnConnectAuthenticate,
		mqtt.OnACLCheck,
		mqtt.OnSelectSubscribers,
		mqtt.OnPublishDropped,
		mqtt.OnQosDropped,
		mqtt.OnPacketIDExhausted,
		mqtt.OnPacketEncode,
		mqtt.OnUnsubscribed,
		mqtt.OnConnect,
		mqtt.OnClientExpired,
		mqtt.OnSessionEstablish,
		mqtt.OnSessionEstablished,
		mqtt.OnDisconnect,
		mqtt.OnPublish,
		mqtt.OnQosPublish,
		mqtt.OnPacketProcessed,
	}, []byte{b})
}

// OnConnectAuthenticate checks the CONNECT's credentials; false makes mochi
// answer CONNACK 0x86 (v5) / 0x04 (v3).
func (h *hook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	ok := h.srv.auth.connect(pk.Connect.Username, pk.Connect.Password)
	if !ok {
		h.srv.log.Info("broker: authentication failed", "client", cl.ID, "username", string(pk.Connect.Username), "remote", cl.Net.Remote)
	}
	return ok
}

// OnACLCheck applies the ACL file to publishes (write), subscriptions and
// deliveries (read).
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	ok := h.srv.auth.allowed(cl.Properties.Username, cl.ID, topic, write)
	if !ok {
		h.srv.log.Debug("broker: ACL denied", "client", cl.ID, "username", string(cl.Properties.Username), "topic", topic, "write", write)
	}
	return ok
}

// OnSelectSubscribers picks one member per shared subscription group:
// round-robin over the connected members whose sessions are less than half
// full (else the connected member with the fewest unacknowledged messages),
// and only when none is connected round-robin over the members whose
// sessions persist offline. Mochi's own choice is Go map order, offline
// members included.
func (h *hook) OnSelectSubscribers(subs *mqtt.Subscribers, pk packets.Packet) *mqtt.Subscribers {
	if subs.SharedSelected == nil {
		subs.SharedSelected = map[string]packets.Subscription{}
	}
	for filter, members := range subs.Shared {
		ids := make([]string, 0, len(members))
		for id := range members {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		// Connected members whose sessions are less than half full take
		// turns. A slow or stuck member that filled half its session gets
		// nothing new while another has room, so it neither makes
		// publishers wait (see serverConn.pace) nor, stuck, loses what its
		// session cannot hold; when none has room, the least loaded gets it.
		var room, offline []string
		var leastLoaded string
		fewest := -1
		for _, id := range ids {
			cl, ok := h.srv.mochi.Clients.Get(id)
			if !ok {
				continue
			}
			if cl.Closed() {
				offline = append(offline, id)
				continue
			}
			n := cl.State.Inflight.Len()
			if n < h.paceAt() {
				room = append(room, id)
			}
			if fewest < 0 || n < fewest {
				leastLoaded, fewest = id, n
			}
		}
		pick := room
		if len(pick) == 0 && leastLoaded != "" {
			pick = []string{leastLoaded}
		}
		if len(pick) == 0 {
			pick = offline
		}
		if len(pick) == 0 {
			continue
		}
		h.rrMu.Lock()
		n := h.rr[filter]
		h.rr[filter] = n + 1
		h.rrMu.Unlock()
		id := pick[n%uint64(len(pick))]
		sub := members[id]
		if prev, ok := subs.SharedSelected[id]; ok {
			sub = prev.Merge(sub)
		}
		subs.SharedSelected[id] = sub
	}
	return subs
}

// OnUnsubscribed forgets round-robin positions of groups that no longer
// exist, so the map does not grow with every group ever seen.
func (h *hook) OnUnsubscribed(cl *mqtt.Client, pk packets.Packet) {
	for _, f := range pk.Filters {
		if len(h.srv.mochi.Topics.Subscribers(stripShare(f.Filter)).Shared[f.Filter]) > 0 {
			continue
		}
		h.rrMu.Lock()
		delete(h.rr, f.Filter)
		h.rrMu.Unlock()
	}
}

// OnPublishDropped counts and logs a message dropped because the client's
// pending-write queue (Limits.MaxPendingWrites) was full. Mochi counts it
// in its own MessagesDropped; the hook makes it visible.
func (h *hook) OnPublishDropped(cl *mqtt.Client, pk packets.Packet) {
	h.srv.log.Warn("broker: message dropped: client's pending-write queue is full; raise Limits.MaxPendingWrites or make the client read faster",
		"client", cl.ID, "topic", pk.TopicName, "qos", pk.FixedHeader.Qos)
}

// OnQosDropped counts and logs a queued QoS 1/2 message the broker gave up
// on: it expired, or its session ended before delivery.
func (h *hook) OnQosDropped(cl *mqtt.Client, pk packets.Packet) {
	if pk.FixedHeader.Type != packets.Publish || cl.IsTakenOver() {
		// Acknowledgements, mochi's second report of the same expiry, or a
		// session handing its messages to the client's new connection.
		return
	}
	h.dropped.Add(1)
	h.srv.log.Warn("broker: queued message dropped: it expired or its session ended",
		"client", cl.ID, "topic", pk.TopicName, "qos", pk.FixedHeader.Qos)
}

// OnPacketIDExhausted logs a message dropped because all 65535 packet ids
// of a session are in use (mochi counts it as InflightDropped).
func (h *hook) OnPacketIDExhausted(cl *mqtt.Client, pk packets.Packet) {
	h.srv.log.Warn("broker: message dropped: the session has no free packet id",
		"client", cl.ID, "topic", pk.TopicName)
}

// OnPacketEncode announces the broker's Maximum Packet Size in CONNACK, so
// v5 clients know the limit before they exceed it.
// It also puts a will's properties back in place (see willPropsKey),
// answers a resent QoS 2 PUBLISH with a successful PUBREC, and keeps a
// stale copy of a message from being sent (see staleCopy).
func (h *hook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	switch pk.FixedHeader.Type {
	case packets.Connack:
		if c := connOf(cl); c != nil {
			h.establish.release(c) // registered: the next connection may take over from it
		}
		if pk.ReasonCode < packets.ErrUnspecifiedError.Code {
			pk.Properties.MaximumPacketSize = h.srv.cfg.Limits.MaxPacketSize
		}
	case packets.Publish:
		if staleCopy(cl, pk) {
			h.srv.log.Debug("broker: not sending a copy of a message the client has acknowledged already",
				"client", cl.ID, "packet_id", pk.PacketID, "topic", pk.TopicName)
			pk.FixedHeader.Type = packets.Reserved // encodes nothing: mochi's write fails, and its writer goes on
			return pk
		}
		if len(pk.Properties.User) > 0 {
			pk = restoreWillProperties(pk)
		}
	case packets.Pubrec:
		// mochi answers a QoS 2 PUBLISH resent with an id whose PUBREC it
		// still holds with reason 0x91 (Packet Identifier in use); the
		// message was received, and MQTT-4.3.3 asks for the PUBREC again,
		// so that the sender goes on with PUBREL instead of failing a
		// delivered message.
		if pk.ReasonCode == packets.ErrPacketIdentifierInUse.Code {
			pk.ReasonCode = packets.CodeSuccess.Code
			pk.Properties.ReasonString = ""
		}
	}
	return pk
}

// countInvalid counts a connection closed for a malformed packet.
func (h *hook) countInvalid(*serverConn, *packet.Error) {
	h.invalid.Add(1)
}

// staleCopy reports whether pk, a first send (no DUP) of a QoS 1/2 message
// whose packet id the connection's session resend used, is no longer what
// the session holds under that id: its exchange is over (or a later
// message took the id), so sending it would deliver it again as a new
// message.
//
// mochi v2.7.9 queues a message routed to a connection for that
// connection's writer goroutine and, when the connection resumes a session,
// resends every message of the session, including those routed to it
// since it was registered. Such a message is sent twice: the resend (DUP)
// and the queued copy. When the writer ran late (a saturated machine), the
// client had already handled the resend and completed its QoS 2 exchange,
// and the queued copy, sent afterwards under the freed packet id, was
// handled again (TestQoS2WhileConnectionsDrop, persistent sessions: packet
// id 1 with DUP, then without, 7 ms later). Only the resend's ids are
// checked: the in-flight map's lock, taken for every PUBLISH written,
// cost a quarter of the embedded broker's QoS 1 throughput.
func staleCopy(cl *mqtt.Client, pk packets.Packet) bool {
	if pk.FixedHeader.Qos == 0 || pk.FixedHeader.Dup {
		return false
	}
	c := connOf(cl)
	if c == nil {
		return false
	}
	ids := c.resentIDs.Load()
	if ids == nil {
		return false
	}
	if _, ok := (*ids)[pk.PacketID]; !ok {
		return false
	}
	have, ok := cl.State.Inflight.Get(pk.PacketID)
	return !ok || !sameMessage(have, pk)
}
