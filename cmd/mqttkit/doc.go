// Command mqttkit is the command-line face of the toolkit: pub and sub with
// mosquitto_pub/mosquitto_sub's flags, rr for request/response, consume to
// run a consumer-group member without writing Go, broker for the embedded
// broker, demo to see a consumer group split a stream, and version.
//
// Every sub-command lives in its own file and adds itself to the root
// command from its init function through register, so a command (bench.go,
// for example) is added by adding a file. Connection flags shared by the
// client commands are in connflags.go; exit codes in exit.go and
// docs/CLI.md.
package main
