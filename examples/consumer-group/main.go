// Command consumer-group runs one member of an MQTT consumer group, or the
// publisher that feeds it, so that several OS processes can share a topic
// the way the instances of a real service would.
//
//	consumer-group member  --url mqtt://127.0.0.1:1883 --group ingest --id ingest-0 --out ingest-0.log
//	consumer-group publish --url mqtt://127.0.0.1:1883 --count 30000 --out acked.log
//
// A member subscribes to $share/<group>/<filter> with a persistent session
// under a fixed client id, so that a member killed and started again with
// the same --id resumes its session and gets back what was in flight to it.
// It writes one line per message it handled ("handled <id> <topic>") and one
// per copy the Dedupe middleware skipped ("duplicate <id> <topic>"), each
// with a single unbuffered write before the message is acknowledged, so the
// file never misses a message the broker considers done, even after SIGKILL.
//
// The publisher publishes QoS 1 messages to the plain topic
// sensors/<n>/temp (never to $share/…), each with a unique id in the
// mqttkit-id user property and in the JSON payload, and writes
// "acked <id>" once the broker acknowledged it. Comparing the two kinds of
// file tells what was delivered once, delivered twice, or lost.
//
// "consumer-group broker" runs mqttkit's embedded broker in its own process
// with explicit limits, so that a test can treat it like Mosquitto.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage:
  consumer-group member  [flags]   run one member of a consumer group
  consumer-group publish [flags]   publish QoS 1 messages to sensors/<n>/temp
  consumer-group broker  [flags]   run the embedded broker (package broker)
Run "consumer-group member -h" or "consumer-group publish -h" for the flags.`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "member":
		err = runMember(ctx, os.Args[2:])
	case "publish":
		err = runPublish(ctx, os.Args[2:])
	case "broker":
		err = runBroker(ctx, os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "consumer-group: unknown mode %q\n%s\n", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "consumer-group:", err)
		os.Exit(1)
	}
}
