// Package middleware holds the error policy and the guards of mqttkit
// handlers: each function here returns an mqttkit.Middleware, a
// func(mqttkit.Handler) mqttkit.Handler, to combine with mqttkit.Chain.
//
// MQTT has no negative acknowledgement: a handler that returns nil gets its
// message acked, and one that returns an error leaves the message unacked,
// to be redelivered only after a reconnect with the session still present.
// The middleware decides what an error means before that happens. A usual
// chain, outermost first:
//
//	h = mqttkit.Chain(h,
//		middleware.Dedupe(store),          // a copy of a handled (or parked) message is skipped
//		middleware.DeadLetter(pub, "dlq"), // a final error is parked, the message acked
//		middleware.Retry(),                // transient errors are retried in process
//		middleware.Timeout(5*time.Second), // every attempt gets a deadline
//		middleware.Recoverer(logger),      // a panic becomes an error like any other
//	)
//
// A value returned by Concurrency, RateLimit or Dedupe holds shared state:
// every handler it wraps shares the same limit or store.
package middleware
