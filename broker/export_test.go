package broker

import (
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"golang.org/x/crypto/bcrypt"
)

// ShippedHashCost is the cost HashPassword uses outside tests, read before
// init below lowers it.
var ShippedHashCost = hashCost

// The tests hash at bcrypt's minimum cost: the default costs about a second
// per hash under the race detector, far more on a loaded machine.
func init() { hashCost = bcrypt.MinCost }

// inFlight returns client id's current connection and its in-flight
// message packetID.
func (s *Server) inFlight(clientID string, packetID uint16) (*mqtt.Client, packets.Packet, bool) {
	cl, ok := s.mochi.Clients.Get(clientID)
	if !ok {
		return nil, packets.Packet{}, false
	}
	pk, ok := cl.State.Inflight.Get(packetID)
	return cl, pk, ok
}

// DelayedQosPublish captures message packetID as client id's current
// connection holds it, and returns a function that reports it to the
// broker's hook again, as mochi's routing goroutine does right after it
// stored the message: called after a takeover, it is that goroutine
// descheduled between the two steps.
func (s *Server) DelayedQosPublish(clientID string, packetID uint16) (report func(), ok bool) {
	cl, pk, ok := s.inFlight(clientID, packetID)
	return func() { s.hook.OnQosPublish(cl, pk, pk.Created, 0) }, ok
}

// DelayedWrite captures message packetID as client id's current
// connection holds it, and returns a function that writes it to that
// connection, as mochi's writer goroutine does with the copy it queued when
// the message was routed: called later, it is that goroutine running late.
func (s *Server) DelayedWrite(clientID string, packetID uint16) (write func() error, ok bool) {
	cl, pk, ok := s.inFlight(clientID, packetID)
	return func() error { return cl.WritePacket(pk) }, ok
}
