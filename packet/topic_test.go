package packet

import (
	"errors"
	"testing"
)

func TestValidateTopicName(t *testing.T) {
	for _, tc := range []struct {
		name, topic string
		ok          bool
	}{
		{"simple", "a/b/c", true},
		{"single slash", "/", true},
		{"leading and trailing slash", "/a/", true},
		{"dollar topic", "$SYS/broker/load", true},
		{"unicode", "température/€", true},
		{"control character is only a SHOULD NOT", "a\x01b", true},
		{"empty", "", false},
		{"plus", "a/+", false},
		{"hash", "a/#", false},
		{"plus inside a level", "a+b", false},
		{"NUL", "a\x00", false},
		{"bad UTF-8", "a\xc3", false},
		{"surrogate", "\xed\xa0\x80", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateTopicName(tc.topic)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidateTopicName(%q) = %v, want ok=%t", tc.topic, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrTopicInvalid) {
				t.Errorf("error %v is not ErrTopicInvalid", err)
			}
		})
	}
}

func TestValidateTopicFilter(t *testing.T) {
	for _, tc := range []struct {
		name, filter string
		ok           bool
	}{
		{"plain", "a/b", true},
		{"hash alone", "#", true},
		{"plus alone", "+", true},
		{"plus levels", "+/+/+", true},
		{"hash last", "a/+/#", true},
		{"empty levels", "a//b", true},
		{"slash hash", "/#", true},
		{"shared", "$share/group/a/+/c", true},
		{"shared hash", "$share/g/#", true},
		{"shared with slash in the filter", "$share/g/sensors/+/temp", true},
		{"dollar share without slash is a plain filter", "$share", true},
		{"shared whose filter starts with $share/ (fuzz finding)", "$share/g/$share/", true},
		{"empty", "", false},
		{"hash not last", "a/#/b", false},
		{"hash inside a level", "a#", false},
		{"plus inside a level", "a/b+/c", false},
		{"plus prefix", "+a", false},
		{"shared empty group", "$share//a", false},
		{"shared no filter", "$share/g", false},
		{"shared empty filter", "$share/g/", false},
		{"shared group with plus", "$share/+/a", false},
		{"shared group with hash", "$share/g#/a", false},
		{"shared bad filter", "$share/g/a+", false},
		{"NUL", "a/\x00", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateTopicFilter(tc.filter)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidateTopicFilter(%q) = %v, want ok=%t", tc.filter, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrFilterInvalid) {
				t.Errorf("error %v is not ErrFilterInvalid", err)
			}
		})
	}
}

func TestParseShared(t *testing.T) {
	for _, tc := range []struct {
		in, group, filter string
		ok                bool
	}{
		{"a/b", "", "a/b", true},
		{"$share/billing/orders/+/created", "billing", "orders/+/created", true},
		{"$share/g/#", "g", "#", true},
		{"$SHARE/g/a", "", "$SHARE/g/a", true},
		{"$share/g", "", "", false},
		{"$share//a", "", "", false},
		{"$share/a+b/x", "", "", false},
	} {
		g, f, err := ParseShared(tc.in)
		if (err == nil) != tc.ok || g != tc.group || (tc.ok && f != tc.filter) {
			t.Errorf("ParseShared(%q) = %q, %q, %v; want %q, %q, ok=%t", tc.in, g, f, err, tc.group, tc.filter, tc.ok)
		}
	}
}

func TestMatchTopic(t *testing.T) {
	for _, tc := range []struct {
		filter, topic string
		want          bool
	}{
		{"a/b", "a/b", true},
		{"a/b", "a/c", false},
		{"a/b", "a/b/c", false},
		{"a/b/c", "a/b", false},
		{"a/+", "a/b", true},
		{"a/+", "a/b/c", false},
		{"a/+", "a", false},
		{"a/+", "a/", true},
		{"+/+", "/a", true},
		{"+", "/a", false},
		{"#", "a/b/c", true},
		{"#", "/", true},
		{"a/#", "a", true},
		{"a/#", "a/b/c", true},
		{"a/#", "ab", false},
		{"a/+/#", "a/b", true},
		{"a/+/#", "a", false},
		{"+/b/#", "x/b/y/z", true},
		{"#", "$SYS/x", false},
		{"+/x", "$SYS/x", false},
		{"$SYS/#", "$SYS/x", true},
		{"$SYS/+", "$SYS/x", true},
		{"a/b", "A/b", false},
		{"sensors/+/temp", "sensors/1/temp", true},
	} {
		if got := MatchTopic(tc.filter, tc.topic); got != tc.want {
			t.Errorf("MatchTopic(%q, %q) = %t, want %t", tc.filter, tc.topic, got, tc.want)
		}
	}
}
