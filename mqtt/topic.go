package mqtt

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxTopicLen is the longest MQTT topic: a UTF-8 string with a 16-bit length.
const maxTopicLen = 65535

// ValidTopicFilter reports why f cannot be an MQTT topic filter (MQTT 5.0
// §4.7): empty, too long, not UTF-8, NUL, a '#' that is not the whole last
// level, or a '+' that is not a whole level. Nil means f is valid.
func ValidTopicFilter(f string) error {
	if err := validTopicString(f); err != nil {
		return fmt.Errorf("topic filter %q: %w", f, err)
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		switch {
		case l == "#" && i != len(levels)-1:
			return fmt.Errorf("topic filter %q: '#' must be the last level", f)
		case l != "#" && strings.Contains(l, "#"):
			return fmt.Errorf("topic filter %q: '#' must be a whole level", f)
		case l != "+" && strings.Contains(l, "+"):
			return fmt.Errorf("topic filter %q: '+' must be a whole level", f)
		}
	}
	return nil
}

// ValidTopicName reports why t cannot be the topic of a PUBLISH: the topic
// filter rules, and no wildcard at all. Nil means t is valid.
func ValidTopicName(t string) error {
	if err := validTopicString(t); err != nil {
		return fmt.Errorf("topic %q: %w", t, err)
	}
	if strings.ContainsAny(t, "+#") {
		return fmt.Errorf("topic %q: wildcards are not allowed in a topic name", t)
	}
	return nil
}

func validTopicString(s string) error {
	switch {
	case s == "":
		return errors.New("empty")
	case len(s) > maxTopicLen:
		return fmt.Errorf("%d bytes, longer than %d", len(s), maxTopicLen)
	case !utf8.ValidString(s):
		return errors.New("not UTF-8")
	case strings.ContainsRune(s, 0):
		return errors.New("contains NUL")
	}
	return nil
}

// MatchTopic reports whether the topic name t matches the topic filter f
// (MQTT 5.0 §4.7): '+' matches one level, a final '#' matches the parent
// level and everything below it, and wildcards at the start of a filter do
// not match topics that begin with '$'.
func MatchTopic(f, t string) bool {
	if strings.HasPrefix(t, "$") && (strings.HasPrefix(f, "+") || strings.HasPrefix(f, "#")) {
		return false
	}
	fl := strings.Split(f, "/")
	tl := strings.Split(t, "/")
	for i, l := range fl {
		if l == "#" {
			return i == len(fl)-1
		}
		if i >= len(tl) {
			return false
		}
		if l != "+" && l != tl[i] {
			return false
		}
	}
	return len(fl) == len(tl)
}

// covered reports whether topic t is matched by one of the filters.
func covered(filters []string, t string) bool {
	for _, f := range filters {
		if MatchTopic(f, t) {
			return true
		}
	}
	return false
}
