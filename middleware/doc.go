// Package middleware holds the error handling and the guards of mqttkit
// handlers: each function here returns an mqttkit.Middleware, a
// func(mqttkit.Handler) mqttkit.Handler, to combine with mqttkit.Chain.
//
// MQTT has no negative acknowledgement, so what a handler's error means is
// the subscription's mqttkit.ErrorPolicy. Under the default,
// mqttkit.AckOnError, the client logs the error, counts it in
// Stats.HandlerErrors and acknowledges the message anyway: it is gone. (It
// cannot hold one message back: acknowledgements leave in arrival order, so
// every later one would wait behind it.) The middleware therefore decides
// before the error reaches the client. A usual chain, outermost first:
//
//	h = mqttkit.Chain(h,
//		middleware.Dedupe(store),          // a copy of a handled (or parked) message is skipped
//		middleware.DeadLetter(pub, "dlq"), // a final error is parked, and the handler returns nil
//		middleware.Retry(),                // transient errors are retried in process
//		middleware.Timeout(5*time.Second), // every attempt gets a deadline
//		middleware.Recoverer(logger),      // a panic becomes an error like any other
//	)
//
// An error that still leaves the chain — DeadLetter could not publish, or
// the client is shutting down — is acknowledged under AckOnError, with only
// the log line and the counter to show for it. For a message that must not
// be lost that way, subscribe with mqttkit.OnError(mqttkit.RedeliverOnError)
// and a session that outlives the connection (WithSessionExpiry or a
// Group): the client then leaves it unacknowledged and reconnects, and the
// server sends it again.
//
// A value returned by Concurrency, RateLimit or Dedupe holds shared state:
// every handler it wraps shares the same limit or store.
package middleware
