package hostapd

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Event names this package interprets; ParseEvent accepts any other name.
const (
	EventStationConnected    = "AP-STA-CONNECTED"
	EventStationDisconnected = "AP-STA-DISCONNECTED"
	EventCSAFinished         = "AP-CSA-FINISHED"
	EventChannelSwitchStart  = "CTRL-EVENT-STARTED-CHANNEL-SWITCH"
	EventRadarDetected       = "DFS-RADAR-DETECTED"
	EventCACStart            = "DFS-CAC-START"
	EventCACCompleted        = "DFS-CAC-COMPLETED"
	EventAPEnabled           = "AP-ENABLED"
	EventAPDisabled          = "AP-DISABLED"
)

// Event is one unsolicited message of an attached control socket, e.g.
// "<3>AP-CSA-FINISHED freq=2437 dfs=0".
type Event struct {
	// Level is hostapd's message level, the number in "<3>".
	Level int
	// Interface is set when the message carried an "IFNAME=" prefix (the
	// global control interface adds it).
	Interface string
	Name      string
	// Args are the words after the name that are not key=value.
	Args []string
	// Fields are the key=value words after the name.
	Fields map[string]string
}

// ParseEvent parses one event message.
func ParseEvent(b []byte) (Event, error) {
	s := strings.TrimRight(string(b), "\r\n\x00")
	var ev Event
	if rest, ok := strings.CutPrefix(s, "IFNAME="); ok {
		name, tail, _ := strings.Cut(rest, " ")
		ev.Interface, s = name, tail
	}
	if !strings.HasPrefix(s, "<") {
		return Event{}, fmt.Errorf("hostapd: event without level: %.40q", s)
	}
	end := strings.IndexByte(s, '>')
	if end < 0 {
		return Event{}, fmt.Errorf("hostapd: event level not closed: %.40q", s)
	}
	lvl, err := strconv.Atoi(s[1:end])
	if err != nil {
		return Event{}, fmt.Errorf("hostapd: event level %.10q: %w", s[1:end], err)
	}
	ev.Level = lvl
	words := strings.Fields(s[end+1:])
	if len(words) == 0 {
		return Event{}, fmt.Errorf("hostapd: empty event")
	}
	ev.Name = words[0]
	for _, w := range words[1:] {
		if k, v, ok := strings.Cut(w, "="); ok && k != "" {
			if ev.Fields == nil {
				ev.Fields = map[string]string{}
			}
			ev.Fields[k] = v
			continue
		}
		ev.Args = append(ev.Args, w)
	}
	return ev, nil
}

// Int returns the integer value of field key, and whether it was present
// and numeric. A trailing unit such as the "s" of cac_time=60s is ignored.
func (e Event) Int(key string) (int, bool) {
	v, ok := e.Fields[key]
	if !ok {
		return 0, false
	}
	v = strings.TrimRight(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// Station returns the station address of a station event (its first
// argument), or nil.
func (e Event) Station() net.HardwareAddr {
	if len(e.Args) == 0 {
		return nil
	}
	mac, err := net.ParseMAC(e.Args[0])
	if err != nil {
		return nil
	}
	return mac
}
