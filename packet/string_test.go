package packet

import (
	"fmt"
	"strings"
	"testing"
)

// TestStringRedactsSecrets prints packets carrying a password and
// authentication data in every fmt verb and looks for the secrets.
func TestStringRedactsSecrets(t *testing.T) {
	const secret = "hunter2-secret"
	props := Properties{AuthenticationMethod: "PLAIN", AuthenticationData: []byte(secret)}
	packets := []any{
		&Connect{ClientID: "c", Username: "u", Password: []byte(secret), Properties: props},
		Connect{ClientID: "c", Username: "u", Password: []byte(secret)},
		&Connack{Properties: props},
		&Auth{ReasonCode: ContinueAuthentication, Properties: props},
		Auth{Properties: props},
		props,
	}
	for _, p := range packets {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, p)
			if strings.Contains(out, secret) || strings.Contains(out, fmt.Sprint([]byte(secret))) {
				t.Errorf("%s of %T leaks the secret: %s", verb, p, out)
			}
		}
	}
	out := fmt.Sprint(packets[0])
	for _, want := range []string{"password=<redacted>", "AuthenticationData=<redacted 14 bytes>", `AuthenticationMethod="PLAIN"`, `username="u"`} {
		if !strings.Contains(out, want) {
			t.Errorf("%s lacks %q", out, want)
		}
	}
}

func TestStringDescribesPackets(t *testing.T) {
	for _, tc := range []struct {
		p    Packet
		want string
	}{
		{&Publish{Topic: "a/b", QoS: 1, PacketID: 7, Payload: make([]byte, 64)}, `PUBLISH{topic="a/b" qos=1 id=7 dup=false retain=false payload=64B props={}}`},
		{&Puback{PacketID: 3, ReasonCode: NoMatchingSubscribers}, "PUBACK{id=3 reason=0x10 No matching subscribers props={}}"},
		{&Suback{PacketID: 2, ReasonCodes: []ReasonCode{1, 0x80}}, "SUBACK{id=2 reasons=[01 80] props={}}"},
		{&Disconnect{Properties: Properties{SessionExpiryInterval: 5, UserProperties: []UserProperty{{"k", "v"}}}}, `DISCONNECT{reason=0x00 Success props={SessionExpiryInterval=5 UserProperty="k":"v"}}`},
		{&Pingreq{}, "PINGREQ{}"},
	} {
		if got := fmt.Sprint(tc.p); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
	// Every packet type has a String method of its own.
	for _, p := range basePackets(V5) {
		if s := fmt.Sprint(p); !strings.HasPrefix(s, p.Type().String()+"{") {
			t.Errorf("%T prints as %q", p, s)
		}
	}
}

func TestReasonCodeString(t *testing.T) {
	for rc, want := range map[ReasonCode]string{
		Success: "Success", MalformedPacket: "Malformed Packet", ProtocolError: "Protocol Error",
		WildcardSubscriptionsNotSupported: "Wildcard Subscriptions not supported", 0x03: "ReasonCode(0x03)",
	} {
		if got := rc.String(); got != want {
			t.Errorf("ReasonCode(0x%02X).String() = %q, want %q", byte(rc), got, want)
		}
	}
	// Every code allowed in some packet has a name.
	for t2 := range reasonSets {
		for c := 0; c < 256; c++ {
			if reasonSets[t2][c>>6]&(1<<(c&63)) != 0 && strings.HasPrefix(ReasonCode(c).String(), "ReasonCode(") {
				t.Errorf("reason code 0x%02X allowed in %s has no name", c, Type(t2))
			}
		}
	}
}

func TestPropertyTable(t *testing.T) {
	for _, tc := range []struct {
		id   PropertyID
		t    Type
		want bool
	}{
		{PropTopicAlias, PUBLISH, true},
		{PropTopicAlias, CONNECT, false},
		{PropWillDelayInterval, CONNECT, false},
		{PropSubscriptionIdentifier, SUBSCRIBE, true},
		{PropSubscriptionIdentifier, SUBACK, false},
		{PropUserProperty, PINGREQ, false},
		{PropReasonString, AUTH, true},
		{PropertyID(0x04), PUBLISH, false},
	} {
		if got := tc.id.AllowedIn(tc.t); got != tc.want {
			t.Errorf("%s.AllowedIn(%s) = %t", tc.id, tc.t, got)
		}
	}
	if !PropWillDelayInterval.AllowedInWill() || PropSessionExpiryInterval.AllowedInWill() || !PropContentType.AllowedInWill() {
		t.Error("AllowedInWill is wrong for Will Delay Interval, Session Expiry Interval or Content Type")
	}
	n := 0
	for id := range propSpecs {
		if propSpecs[id].kind != 0 {
			n++
		}
	}
	if n != 27 {
		t.Errorf("%d properties in the table, MQTT 5 has 27", n)
	}
}
