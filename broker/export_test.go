package broker

import "golang.org/x/crypto/bcrypt"

// The tests hash at bcrypt's minimum cost: the default costs about a second
// per hash under the race detector. TestHashPasswordDefaultCost checks the
// default.
func init() { hashCost = bcrypt.MinCost }

// DefaultHashCost is the cost HashPassword uses outside tests.
const DefaultHashCost = bcrypt.DefaultCost

// SetHashCost sets the cost for one test.
func SetHashCost(c int) (restore func()) {
	old := hashCost
	hashCost = c
	return func() { hashCost = old }
}
