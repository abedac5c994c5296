package broker

import "golang.org/x/crypto/bcrypt"

// ShippedHashCost is the cost HashPassword uses outside tests, read before
// init below lowers it.
var ShippedHashCost = hashCost

// The tests hash at bcrypt's minimum cost: the default costs about a second
// per hash under the race detector, far more on a loaded machine.
func init() { hashCost = bcrypt.MinCost }
