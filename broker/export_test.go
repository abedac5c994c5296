package broker

import "golang.org/x/crypto/bcrypt"

// ShippedHashCost is the cost HashPassword uses outside tests, read before
// init below lowers it.
var ShippedHashCost = hashCost

// The tests hash at bcrypt's minimum cost: the default costs about a second
// per hash under the race detector, far more on a loaded machine.
func init() { hashCost = bcrypt.MinCost }

// DelayedQosPublish captures message packetID as client id's current
// connection holds it, and returns a function that reports it to the
// broker's hook again, as mochi's routing goroutine does right after it
// stored the message: called after a takeover, it is that goroutine
// descheduled between the two steps.
func (s *Server) DelayedQosPublish(clientID string, packetID uint16) (report func(), ok bool) {
	cl, ok := s.mochi.Clients.Get(clientID)
	if !ok {
		return nil, false
	}
	pk, ok := cl.State.Inflight.Get(packetID)
	return func() { s.hook.OnQosPublish(cl, pk, pk.Created, 0) }, ok
}
