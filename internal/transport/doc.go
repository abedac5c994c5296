// Package transport connects mqttkit's client to a server and writes to the
// connection: Dialer opens a net.Conn for a server URL (TCP for mqtt:// and
// tcp://, TLS for mqtts://, tls:// and ssl://, WebSocket for ws:// and
// wss://), explains certificate failures (CertificateError), reads
// encrypted client keys (LoadKeyPair), and Writer is the single owner of a
// connection's write side, which coalesces the packets queued while it was
// writing into one syscall. WebSocketConn is shared with the broker's
// WebSocket listeners.
package transport
