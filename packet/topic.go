package packet

import (
	"strings"
	"unicode/utf8"
)

// sharePrefix starts a shared subscription filter (§4.8.2).
const sharePrefix = "$share/"

// ValidateTopicName checks a topic name a PUBLISH may carry (§4.7.3): at least
// one character, a valid UTF-8 string, and no wildcard. Every failure is an
// *Error with Code TopicNameInvalid, so a publisher learns before it sends.
func ValidateTopicName(topic string) error {
	return recode(validateTopicName(0, topic, "topic name"), TopicNameInvalid)
}

// ValidateTopicFilter checks a topic filter a SUBSCRIBE or UNSUBSCRIBE may
// carry (§4.7): valid UTF-8, '#' only as a whole last level, '+' only as a
// whole level, and for $share/<group>/<filter> a valid group and filter.
// Every failure is an *Error with Code TopicFilterInvalid.
func ValidateTopicFilter(filter string) error {
	return recode(validateTopicFilter(0, filter), TopicFilterInvalid)
}

// ParseShared splits a shared subscription filter $share/<group>/<filter>
// into its group and filter (§4.8.2). For a filter that is not shared it
// returns group "" and the filter unchanged. The group must be non-empty and
// hold no '/', '+' or '#'; the filter after it must be a valid filter.
func ParseShared(filter string) (group, topicFilter string, err error) {
	if err := checkString(0, "topic filter", filter); err != nil {
		return "", "", recode(err, TopicFilterInvalid)
	}
	group, topicFilter, err = parseShared(0, filter)
	return group, topicFilter, recode(err, TopicFilterInvalid)
}

func recode(err error, code ReasonCode) error {
	if e, ok := err.(*Error); ok {
		return &Error{Code: code, Msg: e.Msg}
	}
	return err
}

// plainTopicByte marks the bytes a topic name may hold without a closer
// look: ASCII other than U+0000 and the wildcards.
var plainTopicByte = func() (t [256]bool) {
	for c := 1; c < utf8.RuneSelf; c++ {
		t[c] = c != '+' && c != '#'
	}
	return t
}()

func validateTopicName(t Type, topic, what string) error {
	// Fast path for the common topic: short, ASCII, no NUL, no wildcard.
	if topic != "" && len(topic) <= maxString {
		i := 0
		for ; i < len(topic) && plainTopicByte[topic[i]]; i++ {
		}
		if i == len(topic) {
			return nil
		}
	}
	if err := checkString(t, what, topic); err != nil {
		return err
	}
	if topic == "" {
		return errf(TopicNameInvalid, t, "%s is empty; a topic name has at least one character (MQTT-4.7.3-1)", what)
	}
	if i := strings.IndexAny(topic, "+#"); i >= 0 {
		return errf(TopicNameInvalid, t, "%s %q contains the wildcard %q at byte %d; wildcards belong in subscriptions (MQTT-3.3.2-2)", what, topic, topic[i], i)
	}
	return nil
}

func validateTopicFilter(t Type, filter string) error {
	if err := checkString(t, "topic filter", filter); err != nil {
		return err
	}
	_, _, err := parseShared(t, filter)
	return err
}

func parseShared(t Type, filter string) (group, topicFilter string, err error) {
	rest, shared := strings.CutPrefix(filter, sharePrefix)
	if !shared {
		return "", filter, checkFilterLevels(t, filter)
	}
	group, topicFilter, ok := strings.Cut(rest, "/")
	if !ok {
		return "", "", errf(TopicFilterInvalid, t, "shared subscription %q has no topic filter after the group; use $share/<group>/<filter> (MQTT-4.8.2-2)", filter)
	}
	if group == "" {
		return "", "", errf(TopicFilterInvalid, t, "shared subscription %q has an empty group name (MQTT-4.8.2-1)", filter)
	}
	if strings.ContainsAny(group, "+#") {
		return "", "", errf(TopicFilterInvalid, t, "shared subscription group %q contains a wildcard (MQTT-4.8.2-2)", group)
	}
	if topicFilter == "" {
		return "", "", errf(TopicFilterInvalid, t, "shared subscription %q has an empty topic filter after the group", filter)
	}
	return group, topicFilter, checkFilterLevels(t, topicFilter)
}

// checkFilterLevels checks wildcard placement (§4.7.1).
func checkFilterLevels(t Type, filter string) error {
	if filter == "" {
		return errf(TopicFilterInvalid, t, "topic filter is empty; a filter has at least one character (MQTT-4.7.3-1)")
	}
	for i := 0; i < len(filter); i++ {
		switch filter[i] {
		case '#':
			if i != len(filter)-1 || (i > 0 && filter[i-1] != '/') {
				return errf(TopicFilterInvalid, t, "topic filter %q has '#' at byte %d; '#' must be a whole level and the last one (MQTT-4.7.1-1)", filter, i)
			}
		case '+':
			if (i > 0 && filter[i-1] != '/') || (i < len(filter)-1 && filter[i+1] != '/') {
				return errf(TopicFilterInvalid, t, "topic filter %q has '+' at byte %d; '+' must occupy a whole level (MQTT-4.7.1-2)", filter, i)
			}
		}
	}
	return nil
}

// MatchTopic reports whether a topic name matches a topic filter (§4.7). The
// filter must not be a shared one (strip it with ParseShared first). Topics
// starting with '$' are not matched by a filter starting with a wildcard
// (MQTT-4.7.2-1).
func MatchTopic(filter, topic string) bool {
	if topic != "" && topic[0] == '$' && filter != "" && (filter[0] == '+' || filter[0] == '#') {
		return false
	}
	for {
		fl, frest, fmore := strings.Cut(filter, "/")
		if fl == "#" {
			return true
		}
		tl, trest, tmore := strings.Cut(topic, "/")
		if fl != "+" && fl != tl {
			return false
		}
		switch {
		case !fmore && !tmore:
			return true
		case !tmore:
			return frest == "#" // "a/#" matches "a"
		case !fmore:
			return false
		}
		filter, topic = frest, trest
	}
}
