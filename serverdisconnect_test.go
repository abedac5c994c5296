package mqttkit_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/packet"
)

// How a connection ends reaches OnConnectionLost as a typed error that says
// who did what: a server's DISCONNECT (0x93, 0x95) as a *ReasonError with
// the server's reason string and a hint, and a server that broke the
// protocol (an oversized packet, a bad topic alias) as a *ViolationError
// after the client's own DISCONNECT with the matching code.
func TestConnectionEndReasons(t *testing.T) {
	big := &packet.Publish{Topic: "t", Payload: make([]byte, 2000)}
	for _, tc := range []struct {
		name      string
		opts      []mqttkit.Option
		send      []packet.Packet
		is        error
		violation packet.ReasonCode // 0: the server's DISCONNECT
		says      []string
	}{
		{name: "server DISCONNECT 0x93", is: mqttkit.ErrReceiveMaximumExceeded,
			send: []packet.Packet{&packet.Disconnect{ReasonCode: packet.ReceiveMaximumExceeded, Properties: packet.Properties{ReasonString: "21 > 20"}}},
			says: []string{"DISCONNECT from server: receive maximum exceeded (reason 0x93): 21 > 20", "report this"}},
		{name: "server DISCONNECT 0x95", is: mqttkit.ErrPacketTooLarge,
			send: []packet.Packet{&packet.Disconnect{ReasonCode: packet.PacketTooLarge}},
			says: []string{"DISCONNECT from server: packet too large (reason 0x95)", "smaller payload"}},
		{name: "PUBLISH over the client's Maximum Packet Size", opts: []mqttkit.Option{mqttkit.WithMaxPacketSize(1024)},
			send: []packet.Packet{big}, is: mqttkit.ErrPacketTooLarge, violation: packet.PacketTooLarge,
			says: []string{"the server broke the protocol", "1024", "disconnected with reason 0x95"}},
		{name: "topic alias above the client's maximum", opts: []mqttkit.Option{mqttkit.WithTopicAliasMaximum(2)},
			send: []packet.Packet{&packet.Publish{Topic: "t", Properties: packet.Properties{TopicAlias: 3}}},
			is:   mqttkit.ErrTopicAliasInvalid, violation: packet.TopicAliasInvalid,
			says: []string{"topic alias 3 is above the client's Topic Alias Maximum of 2", "disconnected with reason 0x94"}},
		{name: "topic alias never set", opts: []mqttkit.Option{mqttkit.WithTopicAliasMaximum(2)},
			send:      []packet.Packet{&packet.Publish{Properties: packet.Properties{TopicAlias: 1}}},
			violation: packet.ProtocolError,
			says:      []string{"topic alias 1 was never set on this connection", "disconnected with reason 0x82"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, got := fakeServer(t, func(string) []packet.Packet { return append([]packet.Packet{&packet.Connack{}}, tc.send...) })
			lost := make(chan error, 16)
			opts := append(tc.opts, mqttkit.WithBackoff(time.Second, 2*time.Second),
				mqttkit.OnConnectionLost(func(_ *mqttkit.Client, err error) {
					select {
					case lost <- err:
					default:
					}
				}))
			_ = dialURL(t, url, opts...)
			var err error
			select {
			case err = <-lost:
			case <-time.After(10 * time.Second):
				t.Fatal("the connection did not end")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
			var re *mqttkit.ReasonError
			var ve *mqttkit.ViolationError
			switch {
			case tc.violation == 0 && !errors.As(err, &re):
				t.Errorf("%T %v: want the server's *ReasonError", err, err)
			case tc.violation != 0 && (!errors.As(err, &ve) || ve.Code != tc.violation):
				t.Errorf("%T %v: want a *ViolationError with code %v", err, err, tc.violation)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if tc.violation == 0 {
				return
			}
			for {
				select {
				case p := <-got:
					if d, ok := p.(*packet.Disconnect); ok {
						if d.ReasonCode != tc.violation || !strings.Contains(d.Properties.ReasonString, tc.says[0]) {
							t.Errorf("client sent DISCONNECT %v %q; want code %v and the reason", d.ReasonCode, d.Properties.ReasonString, tc.violation)
						}
						return
					}
				case <-time.After(5 * time.Second):
					t.Fatal("the client did not send DISCONNECT")
				}
			}
		})
	}
}
