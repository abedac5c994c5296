package broker_test

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit/broker"
	"github.com/mqttkit/mqttkit/mqtttest/pahotest"
	"github.com/mqttkit/mqttkit/packet"
)

// TestFuzzCorpusAgainstLiveBroker replays the packet codec's fuzz corpus
// (packet/testdata/fuzz, when present) and deterministic mutations of valid
// packets against a live broker, both as a connection's first bytes and
// after a valid CONNECT. Whatever the bytes, the broker must end or keep
// that connection without harm and keep serving a healthy client.
func TestFuzzCorpusAgainstLiveBroker(t *testing.T) {
	inputs := corpusInputs(t)
	inputs = append(inputs, mutatedSeeds(400)...)
	_, addr := start(t, func(c *broker.Config) { c.Limits.MaxPacketSize = 64 << 10 })
	healthy := pahotest.MustDial(t, addr, pahotest.Options{ClientID: "healthy"})
	healthy.Subscribe(t, "health", 1)
	t.Logf("replaying %d inputs", len(inputs))
	for i, in := range inputs {
		for _, afterConnect := range []bool{false, true} {
			replay(t, addr, "fuzz-"+strconv.Itoa(i), in, afterConnect)
		}
		if i%50 == 49 || i == len(inputs)-1 {
			payload := []byte(strconv.Itoa(i))
			healthy.Publish(t, "health", 1, false, payload)
			if m := healthy.Next(5 * time.Second); m == nil || !bytes.Equal(m.Payload, payload) {
				t.Fatalf("after input %d the healthy client got %v, want its message", i, m)
			}
		}
	}
}

// replay sends in on a new connection and waits until the broker has read
// it all and closed the connection (the client closes its side first).
func replay(t *testing.T, addr, clientID string, in []byte, afterConnect bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if afterConnect {
		if _, err := conn.Write(connectBytes(packet.V5, clientID)); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = conn.Write(in) // the broker may already have closed
	_ = conn.(*net.TCPConn).CloseWrite()
	r := bufio.NewReader(conn)
	for {
		if _, err := r.ReadByte(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("input %x: the broker kept the connection open for 10s after the client closed its side", in)
			}
			return
		}
	}
}

// corpusInputs reads the first []byte argument of every file under
// packet/testdata/fuzz, the format `go test -fuzz` writes.
func corpusInputs(t *testing.T) [][]byte {
	files, _ := filepath.Glob(filepath.Join("..", "packet", "testdata", "fuzz", "*", "*"))
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if q, ok := strings.CutPrefix(line, "[]byte("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(q, ")")); err == nil {
					out = append(out, []byte(s))
					break
				}
			}
		}
	}
	return out
}

// mutatedSeeds returns n deterministic mutations (byte flips, truncations,
// insertions, length-field changes) of valid packets of every type a client
// sends.
func mutatedSeeds(n int) [][]byte {
	seeds := validClientPackets()
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([][]byte, 0, n)
	for len(out) < n {
		b := bytes.Clone(seeds[rng.IntN(len(seeds))])
		for k := 1 + rng.IntN(3); k > 0 && len(b) > 0; k-- {
			switch rng.IntN(4) {
			case 0: // flip a byte
				b[rng.IntN(len(b))] = byte(rng.Uint32())
			case 1: // truncate
				b = b[:rng.IntN(len(b))]
			case 2: // insert a byte
				i := rng.IntN(len(b) + 1)
				b = append(b[:i], append([]byte{byte(rng.Uint32())}, b[i:]...)...)
			case 3: // corrupt the remaining length
				if len(b) > 1 {
					b[1] = byte(rng.Uint32())
				}
			}
		}
		out = append(out, b)
	}
	return out
}

// validClientPackets encodes one valid MQTT v5 packet of each kind a client
// sends.
func validClientPackets() [][]byte {
	pkts := []packet.Packet{
		&packet.Connect{ProtocolVersion: packet.V5, ClientID: "seed", KeepAlive: 30, Username: "u", Password: []byte("p"),
			Will: &packet.Will{Topic: "will", Payload: []byte("bye"), QoS: 1}},
		&packet.Publish{Topic: "a/b", Payload: []byte("hello"), QoS: 1, PacketID: 7},
		&packet.Publish{Topic: "a/b", Payload: []byte("hello")},
		&packet.Puback{PacketID: 7},
		&packet.Pubrec{PacketID: 7},
		&packet.Pubrel{PacketID: 7},
		&packet.Pubcomp{PacketID: 7},
		&packet.Subscribe{PacketID: 8, Subscriptions: []packet.Subscription{{Filter: "a/+", QoS: 1}, {Filter: "$share/g/b/#", QoS: 2}}},
		&packet.Unsubscribe{PacketID: 9, Filters: []string{"a/+"}},
		&packet.Pingreq{},
		&packet.Disconnect{ReasonCode: 0x04},
		&packet.Auth{ReasonCode: 0x18},
	}
	var out [][]byte
	for _, p := range pkts {
		b, err := p.Append(nil, packet.V5)
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}
