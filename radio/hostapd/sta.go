package hostapd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/uspmesh/uspmesh/radio"
)

// StationInfo is hostapd's reply to "STA <addr>": what the station said
// of itself in its association request, and hostapd's flags.
type StationInfo struct {
	MAC net.HardwareAddr
	// Flags are hostapd's station flags without brackets, e.g. "AUTH",
	// "ASSOC", "AUTHORIZED", "WMM", "HT", "VHT", "HE".
	Flags []string
	// ExtCapab is the extended capabilities element's body.
	ExtCapab []byte
	// SuppOpClasses is the supported operating classes element's body:
	// the current operating class, then the supported ones.
	SuppOpClasses []byte
	// SupportedRates are the rates in 500 kbit/s units, basic bit cleared.
	SupportedRates []int
	// SignalDBm is the last signal, 0 when not reported.
	SignalDBm int
	// Fields holds every key=value line as hostapd sent it.
	Fields map[string]string
}

// extCapabBTM is the BSS Transition bit of the extended capabilities.
const extCapabBTM = 19

// HasFlag reports whether hostapd set flag (without brackets).
func (s StationInfo) HasFlag(flag string) bool { return slices.Contains(s.Flags, flag) }

// Caps derives the station capabilities steering uses. Bands come from
// the supported operating classes; hostapd does not report the RRM
// enabled capabilities, so BeaconReport stays false (REQ_BEACON is
// refused by hostapd for stations without them).
func (s StationInfo) Caps() radio.StationCaps {
	var c radio.StationCaps
	if len(s.ExtCapab) > extCapabBTM/8 {
		c.BTM = s.ExtCapab[extCapabBTM/8]&(1<<(extCapabBTM%8)) != 0
	}
	if len(s.SuppOpClasses) > 0 {
		seen := map[int]bool{}
		for _, oc := range s.SuppOpClasses {
			// 130 is the delimiter of the optional alternating classes.
			if oc == 130 || seen[int(oc)] {
				continue
			}
			seen[int(oc)] = true
			c.OpClasses = append(c.OpClasses, int(oc))
			if b := radio.OpClassBand(int(oc)); b != "" && !slices.Contains(c.Bands, b) {
				c.Bands = append(c.Bands, b)
			}
		}
		slices.Sort(c.OpClasses)
	}
	c.HT = s.HasFlag("HT") || s.Fields["ht_caps_info"] != ""
	c.VHT = s.HasFlag("VHT") || s.Fields["vht_caps_info"] != ""
	c.HE = s.HasFlag("HE") || s.Fields["he_capab"] != ""
	c.EHT = s.HasFlag("EHT") || s.Fields["eht_capab"] != ""
	for _, r := range s.SupportedRates {
		c.MaxRateKbps = max(c.MaxRateKbps, r*500)
	}
	return c
}

// maxStationReply bounds what ParseStationInfo reads.
const maxStationReply = 64 << 10

// ParseStationInfo parses a STA reply. It fails on FAIL, an empty reply,
// a first line that is not a MAC address, a line that is not key=value
// and malformed hex in the fields it decodes.
func ParseStationInfo(b []byte) (StationInfo, error) {
	if len(b) > maxStationReply {
		return StationInfo{}, fmt.Errorf("hostapd: sta: reply of %d bytes", len(b))
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxStationReply+1)
	if !sc.Scan() {
		return StationInfo{}, errors.New("hostapd: sta: empty reply")
	}
	first := strings.TrimSpace(sc.Text())
	mac, err := net.ParseMAC(first)
	if err != nil || len(mac) != 6 {
		return StationInfo{}, fmt.Errorf("hostapd: sta: first line %.30q is not a MAC address", first)
	}
	s := StationInfo{MAC: mac, Fields: map[string]string{}}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return StationInfo{}, fmt.Errorf("hostapd: sta: malformed line %.40q", line)
		}
		s.Fields[k] = v
		if err := s.setField(k, v); err != nil {
			return StationInfo{}, fmt.Errorf("hostapd: sta %s: %w", mac, err)
		}
	}
	if err := sc.Err(); err != nil {
		return StationInfo{}, fmt.Errorf("hostapd: sta: %w", err)
	}
	return s, nil
}

func (s *StationInfo) setField(k, v string) error {
	var err error
	switch k {
	case "flags":
		for _, f := range strings.Split(v, "]") {
			if f = strings.TrimPrefix(f, "["); f != "" {
				s.Flags = append(s.Flags, f)
			}
		}
	case "ext_capab":
		s.ExtCapab, err = hexField(k, v)
	case "supp_op_classes":
		s.SuppOpClasses, err = hexField(k, v)
	case "supported_rates":
		for _, w := range strings.Fields(v) {
			n, perr := strconv.ParseUint(w, 16, 8)
			if perr != nil {
				return fmt.Errorf("supported_rates: %.10q is not a hex byte", w)
			}
			s.SupportedRates = append(s.SupportedRates, int(n&0x7f))
		}
	case "signal":
		n, perr := strconv.Atoi(v)
		if perr != nil || n < -200 || n > 100 {
			return fmt.Errorf("signal: %.10q is not a level in dBm", v)
		}
		s.SignalDBm = n
	}
	return err
}

func hexField(k, v string) ([]byte, error) {
	b, err := hex.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k, err)
	}
	return b, nil
}

// Station asks for "STA <addr>". A station hostapd does not know gives
// an error wrapping ErrFailed.
func (c *Conn) Station(ctx context.Context, mac net.HardwareAddr) (StationInfo, error) {
	if len(mac) != 6 {
		return StationInfo{}, fmt.Errorf("hostapd: STA: %q is not a MAC address", mac)
	}
	cmd := "STA " + mac.String()
	reply, err := c.Request(ctx, cmd)
	if err != nil {
		return StationInfo{}, err
	}
	if t := strings.TrimSpace(reply); t == "" || strings.HasPrefix(t, "FAIL") {
		return StationInfo{}, &CommandError{Command: cmd, Reply: reply, Err: ErrFailed}
	}
	return ParseStationInfo([]byte(reply))
}
