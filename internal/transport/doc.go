// Package transport connects mqttkit's client to a server and writes to the
// connection: Dialer opens a net.Conn for a server URL (mqtt:// and tcp://
// today; mqtts, ws and wss plug in behind the same interface), and Writer is
// the single owner of a connection's write side, which coalesces the packets
// queued while it was writing into one syscall.
package transport
