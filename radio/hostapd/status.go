// Package hostapd is a client of hostapd's control interface: the unix
// datagram socket hostapd creates per interface in its ctrl_interface
// directory (usually /var/run/hostapd/<iface>).
//
// A Conn sends commands and reads their replies (STATUS, CHAN_SWITCH); a
// Monitor is a second socket that sent ATTACH and receives hostapd's
// unsolicited events. Replies and events are text; ParseStatus and
// ParseEvent turn them into values and never fail on unknown keys or
// events, so a newer hostapd does not break the client.
package hostapd

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Status is hostapd's reply to STATUS for one interface.
type Status struct {
	// State is hostapd's interface state: ENABLED, DISABLED, DFS (during
	// the channel availability check), COUNTRY_UPDATE, ACS, HT_SCAN, ...
	State   string
	Phy     string
	FreqMHz int
	Channel int
	// SecondaryChannel is the HT40 secondary channel offset: 1 above,
	// -1 below, 0 none.
	SecondaryChannel int
	// HT, VHT, HE tell whether 802.11n, ac and ax are enabled.
	HT, VHT, HE bool
	// VHTChWidth is hostapd's vht_oper_chwidth (0: 20 or 40 MHz, 1: 80,
	// 2: 160, 3: 80+80); VHTCenterSeg0 the channel index of the centre.
	VHTChWidth, VHTCenterSeg0 int
	// CACTimeLeft is the remaining channel availability check in seconds,
	// -1 when no CAC runs.
	CACTimeLeft   int
	MaxTxPowerDBm int
	// BSSes are the BSSes of the interface, in hostapd's order.
	BSSes []StatusBSS
	// Fields holds every key=value line as hostapd sent it.
	Fields map[string]string
}

// StatusBSS is one BSS of a STATUS reply.
type StatusBSS struct {
	Interface string
	BSSID     net.HardwareAddr
	SSID      string
	Stations  int
}

// WidthMHz derives the operating channel width from the status.
func (s Status) WidthMHz() int {
	if s.VHT || s.HE {
		switch s.VHTChWidth {
		case 1:
			return 80
		case 2, 3:
			return 160
		}
	}
	if s.HT && s.SecondaryChannel != 0 {
		return 40
	}
	return 20
}

// ParseStatus parses a STATUS reply. It fails only when the reply is
// not key=value lines (e.g. "FAIL").
func ParseStatus(b []byte) (Status, error) {
	s := Status{Fields: map[string]string{}, CACTimeLeft: -1}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), len(b)+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return Status{}, fmt.Errorf("hostapd: status: malformed line %q", line)
		}
		s.Fields[k] = v
		s.setField(k, v)
	}
	if err := sc.Err(); err != nil {
		return Status{}, fmt.Errorf("hostapd: status: %w", err)
	}
	if len(s.Fields) == 0 {
		return Status{}, fmt.Errorf("hostapd: status: empty reply")
	}
	return s, nil
}

func (s *Status) setField(k, v string) {
	atoi := func() int { n, _ := strconv.Atoi(v); return n }
	switch k {
	case "state":
		s.State = v
	case "phy":
		s.Phy = v
	case "freq":
		s.FreqMHz = atoi()
	case "channel":
		s.Channel = atoi()
	case "secondary_channel":
		s.SecondaryChannel = atoi()
	case "ieee80211n":
		s.HT = v == "1"
	case "ieee80211ac":
		s.VHT = v == "1"
	case "ieee80211ax":
		s.HE = v == "1"
	case "vht_oper_chwidth":
		s.VHTChWidth = atoi()
	case "vht_oper_centr_freq_seg0_idx":
		s.VHTCenterSeg0 = atoi()
	case "cac_time_left_seconds":
		if n, err := strconv.Atoi(v); err == nil {
			s.CACTimeLeft = n
		}
	case "max_txpower":
		s.MaxTxPowerDBm = atoi()
	default:
		s.setBSSField(k, v)
	}
}

// setBSSField handles the indexed keys bss[i], bssid[i], ssid[i], num_sta[i].
func (s *Status) setBSSField(k, v string) {
	name, rest, ok := strings.Cut(k, "[")
	if !ok || !strings.HasSuffix(rest, "]") {
		return
	}
	i, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	if err != nil || i < 0 || i > 64 {
		return
	}
	for len(s.BSSes) <= i {
		s.BSSes = append(s.BSSes, StatusBSS{})
	}
	b := &s.BSSes[i]
	switch name {
	case "bss":
		b.Interface = v
	case "bssid":
		b.BSSID, _ = net.ParseMAC(v)
	case "ssid":
		b.SSID = v
	case "num_sta":
		b.Stations, _ = strconv.Atoi(v)
	}
}
