package packet_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"

	"github.com/mqttkit/mqttkit/packet"
)

// Encode into a reused buffer and read packets back from a stream.
func ExampleReadPacket() {
	var buf []byte
	buf, _ = (&packet.Publish{Topic: "orders/created", QoS: packet.QoS1, PacketID: 1, Payload: []byte(`{"id":42}`)}).Append(buf, packet.V5)
	buf, _ = (&packet.Puback{PacketID: 1}).Append(buf, packet.V5)

	r := bufio.NewReader(bytes.NewReader(buf))
	for range 2 {
		p, err := packet.ReadPacket(r, packet.V5, 1<<20)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(p)
	}
	// Output:
	// PUBLISH{topic="orders/created" qos=1 id=1 dup=false retain=false payload=9B props={}}
	// PUBACK{id=1 reason=0x00 Success props={}}
}

// A malformed packet is an *Error carrying the reason code to send back.
func ExampleDecodePacket_malformed() {
	truncated := []byte{0x82, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 'a'} // SUBSCRIBE without its options byte
	_, _, err := packet.DecodePacket(truncated, packet.V5, 0)
	var e *packet.Error
	if errors.As(err, &e) {
		fmt.Printf("reason 0x%02X (%s): %v\n", byte(e.Code), e.Code, err)
	}
	fmt.Println(errors.Is(err, packet.ErrMalformed))
	// Output:
	// reason 0x81 (Malformed Packet): mqtt: malformed SUBSCRIBE packet: subscription options needs 1 bytes at offset 6 but only 0 remain
	// true
}

// Shared subscriptions: consumers subscribe to $share/<group>/<filter>,
// publishers publish to the plain topic.
func ExampleParseShared() {
	group, filter, err := packet.ParseShared("$share/billing/orders/+/created")
	fmt.Println(group, filter, err)
	fmt.Println(packet.MatchTopic(filter, "orders/eu/created"))
	fmt.Println(packet.ValidateTopicName("$share/billing/orders/eu/created") == nil) // valid, but nobody subscribes to it
	group, filter, _ = packet.ParseShared("$share/bill/ing")                         // the group ends at the first '/'
	fmt.Println(group, filter)
	_, _, err = packet.ParseShared("$share/bi+ll/orders")
	fmt.Println(err)
	// Output:
	// billing orders/+/created <nil>
	// true
	// true
	// bill ing
	// mqtt: Topic Filter invalid (0x8F): shared subscription group "bi+ll" contains a wildcard (MQTT-4.8.2-2)
}
