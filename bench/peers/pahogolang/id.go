package main

import "math/rand/v2"

// randID makes client ids unique across runs, so that no session of an
// earlier run is resumed.
func randID() uint32 { return rand.Uint32() }
