package hostapd

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Event names of client steering.
const (
	// EventBSSTMResp is a station's BSS transition management response:
	// "BSS-TM-RESP <addr> dialog_token=<n> status_code=<n>
	// bss_termination_delay=<n> [target_bssid=<bssid>]".
	EventBSSTMResp = "BSS-TM-RESP"
	// EventBeaconRespRx is a beacon report: "BEACON-RESP-RX <addr>
	// <dialog token> <report mode hex> <report hex>".
	EventBeaconRespRx = "BEACON-RESP-RX"
)

// Neighbor is one candidate of a BSS transition management request, a
// neighbour report element: hostapd's
// neighbor=<BSSID>,<BSSID Information>,<Operating Class>,<Channel>,<PHY Type>[,<subelements hex>].
type Neighbor struct {
	BSSID net.HardwareAddr
	// BSSIDInfo is the BSSID information field (reachability, security,
	// capabilities bits).
	BSSIDInfo uint32
	OpClass   int
	Channel   int
	// PHYType is the 802.11 PHY type (7 HT, 9 VHT, 14 HE).
	PHYType int
	// Preference is the BSS transition candidate preference subelement,
	// 1..255; 0 leaves it out.
	Preference int
}

// BSSTMReq is a BSS_TM_REQ command.
type BSSTMReq struct {
	Station   net.HardwareAddr
	Neighbors []Neighbor
	// DisassocImminent sets the disassociation imminent bit; the AP then
	// disassociates the station after DisassocTimer beacon intervals.
	DisassocImminent bool
	DisassocTimer    int
	// ValidInt is the validity interval in beacon intervals; 0 leaves
	// hostapd's default (1).
	ValidInt    int
	DialogToken int
	// Abridged marks BSSes absent from the list as not preferred.
	Abridged bool
}

// Command renders the request as hostapd's command line, after checking
// its ranges.
func (r BSSTMReq) Command() (string, error) {
	if len(r.Station) != 6 {
		return "", fmt.Errorf("hostapd: BSS_TM_REQ: station %q is not a MAC address", r.Station)
	}
	if r.DisassocTimer < 0 || r.DisassocTimer > 65535 || r.ValidInt < 0 || r.ValidInt > 255 || r.DialogToken < 0 || r.DialogToken > 255 {
		return "", fmt.Errorf("hostapd: BSS_TM_REQ: timer %d, validity %d or dialog token %d out of range", r.DisassocTimer, r.ValidInt, r.DialogToken)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "BSS_TM_REQ %s", r.Station)
	if r.DialogToken != 0 {
		fmt.Fprintf(&b, " dialog_token=%d", r.DialogToken)
	}
	if r.DisassocImminent {
		b.WriteString(" disassoc_imminent=1")
	}
	if r.DisassocTimer != 0 {
		fmt.Fprintf(&b, " disassoc_timer=%d", r.DisassocTimer)
	}
	if r.ValidInt != 0 {
		fmt.Fprintf(&b, " valid_int=%d", r.ValidInt)
	}
	if len(r.Neighbors) > 0 {
		b.WriteString(" pref=1")
	}
	if r.Abridged {
		b.WriteString(" abridged=1")
	}
	for _, n := range r.Neighbors {
		if len(n.BSSID) != 6 || n.OpClass < 0 || n.OpClass > 255 || n.Channel < 0 || n.Channel > 255 ||
			n.PHYType < 0 || n.PHYType > 255 || n.Preference < 0 || n.Preference > 255 {
			return "", fmt.Errorf("hostapd: BSS_TM_REQ: neighbor %+v out of range", n)
		}
		fmt.Fprintf(&b, " neighbor=%s,0x%04x,%d,%d,%d", n.BSSID, n.BSSIDInfo, n.OpClass, n.Channel, n.PHYType)
		if n.Preference > 0 {
			// Subelement 3: BSS transition candidate preference.
			fmt.Fprintf(&b, ",0301%02x", n.Preference)
		}
	}
	return b.String(), nil
}

// RequestTransition sends BSS_TM_REQ. hostapd answers once the frame is
// queued; the station's answer arrives as a BSS-TM-RESP event.
func (c *Conn) RequestTransition(ctx context.Context, r BSSTMReq) error {
	cmd, err := r.Command()
	if err != nil {
		return err
	}
	return c.okCommand(ctx, cmd)
}

// BeaconReq is a REQ_BEACON command: a beacon measurement request
// (IEEE 802.11 9.4.2.21.7).
type BeaconReq struct {
	Station net.HardwareAddr
	OpClass int
	// Channel 0 measures every channel of OpClass; 255 those of an AP
	// channel report.
	Channel int
	// DurationTU is the measurement duration in time units (1.024 ms).
	DurationTU int
	// Mode is 0 passive, 1 active, 2 beacon table.
	Mode  int
	BSSID net.HardwareAddr // nil means the wildcard BSSID
}

// Command renders the request.
func (r BeaconReq) Command() (string, error) {
	if len(r.Station) != 6 || r.OpClass < 0 || r.OpClass > 255 || r.Channel < 0 || r.Channel > 255 ||
		r.DurationTU < 0 || r.DurationTU > 65535 || r.Mode < 0 || r.Mode > 2 || (r.BSSID != nil && len(r.BSSID) != 6) {
		return "", fmt.Errorf("hostapd: REQ_BEACON: request %+v out of range", r)
	}
	body := []byte{byte(r.OpClass), byte(r.Channel), 0, 0, byte(r.DurationTU), byte(r.DurationTU >> 8), byte(r.Mode)}
	bssid := r.BSSID
	if bssid == nil {
		bssid = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	}
	body = append(body, bssid...)
	return fmt.Sprintf("REQ_BEACON %s %s", r.Station, hex.EncodeToString(body)), nil
}

// RequestBeacon sends REQ_BEACON and returns the dialog token hostapd
// assigned (the report's BEACON-RESP-RX event carries it).
func (c *Conn) RequestBeacon(ctx context.Context, r BeaconReq) (int, error) {
	cmd, err := r.Command()
	if err != nil {
		return 0, err
	}
	reply, err := c.Request(ctx, cmd)
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(reply)
	if s == "FAIL" || strings.HasPrefix(s, "FAIL") {
		return 0, &CommandError{Command: cmd, Reply: reply, Err: ErrFailed}
	}
	tok, err := strconv.Atoi(s)
	if err != nil || tok < 0 || tok > 255 {
		return 0, &CommandError{Command: cmd, Reply: reply, Err: errors.New("reply is not a dialog token")}
	}
	return tok, nil
}

// DenyMAC adds mac to the deny list (DENY_ACL ADD_MAC): with hostapd's
// default macaddr_acl=0 (accept unless denied) the station is refused and,
// if associated, disconnected.
func (c *Conn) DenyMAC(ctx context.Context, mac net.HardwareAddr) error {
	if len(mac) != 6 {
		return fmt.Errorf("hostapd: DENY_ACL: %q is not a MAC address", mac)
	}
	return c.okCommand(ctx, "DENY_ACL ADD_MAC "+mac.String())
}

// AllowMAC removes mac from the deny list (DENY_ACL DEL_MAC).
func (c *Conn) AllowMAC(ctx context.Context, mac net.HardwareAddr) error {
	if len(mac) != 6 {
		return fmt.Errorf("hostapd: DENY_ACL: %q is not a MAC address", mac)
	}
	return c.okCommand(ctx, "DENY_ACL DEL_MAC "+mac.String())
}

// BSSTMResp is a parsed BSS-TM-RESP event.
type BSSTMResp struct {
	Station     net.HardwareAddr
	DialogToken int // -1 when hostapd did not report it (older versions)
	Status      int
	// TerminationDelay is the BSS termination delay in minutes.
	TerminationDelay int
	Target           net.HardwareAddr // nil unless the station named one
}

// ParseBSSTMResp interprets a BSS-TM-RESP event, failing with a clear
// error when a required field is missing or malformed.
func ParseBSSTMResp(ev Event) (BSSTMResp, error) {
	if ev.Name != EventBSSTMResp {
		return BSSTMResp{}, fmt.Errorf("hostapd: %s is not %s", ev.Name, EventBSSTMResp)
	}
	r := BSSTMResp{DialogToken: -1}
	if len(ev.Args) == 0 {
		return BSSTMResp{}, errors.New("hostapd: BSS-TM-RESP without station address")
	}
	mac, err := net.ParseMAC(ev.Args[0])
	if err != nil || len(mac) != 6 {
		return BSSTMResp{}, fmt.Errorf("hostapd: BSS-TM-RESP station %.20q is not a MAC address", ev.Args[0])
	}
	r.Station = mac
	st, ok := ev.Fields["status_code"]
	if !ok {
		return BSSTMResp{}, errors.New("hostapd: BSS-TM-RESP without status_code")
	}
	if r.Status, err = byteField("status_code", st); err != nil {
		return BSSTMResp{}, err
	}
	if v, ok := ev.Fields["dialog_token"]; ok {
		if r.DialogToken, err = byteField("dialog_token", v); err != nil {
			return BSSTMResp{}, err
		}
	}
	if v, ok := ev.Fields["bss_termination_delay"]; ok {
		if r.TerminationDelay, err = byteField("bss_termination_delay", v); err != nil {
			return BSSTMResp{}, err
		}
	}
	if v, ok := ev.Fields["target_bssid"]; ok {
		t, err := net.ParseMAC(v)
		if err != nil || len(t) != 6 {
			return BSSTMResp{}, fmt.Errorf("hostapd: BSS-TM-RESP target_bssid %.20q is not a MAC address", v)
		}
		r.Target = t
	}
	return r, nil
}

func byteField(name, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf("hostapd: %s %.10q is not a number 0..255", name, v)
	}
	return n, nil
}

// BeaconResp is a parsed BEACON-RESP-RX event: one beacon report element
// of a station's answer to REQ_BEACON.
type BeaconResp struct {
	Station     net.HardwareAddr
	DialogToken int
	// ReportMode is the measurement report mode (0 when the station
	// measured; bits for late, incapable, refused).
	ReportMode int
	OpClass    int
	Channel    int
	// RCPI is the received channel power indicator: dBm = RCPI/2 - 110.
	RCPI  int
	RSNI  int
	BSSID net.HardwareAddr
}

// RCPIDBm converts the report's RCPI to dBm.
func (r BeaconResp) RCPIDBm() float64 { return float64(r.RCPI)/2 - 110 }

// beaconReportMin is the fixed part of a beacon report: operating class,
// channel, start time (8), duration (2), frame info, RCPI, RSNI, BSSID
// (6), antenna ID, parent TSF (4).
const beaconReportMin = 26

// ParseBeaconResp interprets a BEACON-RESP-RX event
// ("BEACON-RESP-RX <addr> <token> <report mode hex> <report hex>"). A
// refusal (report mode non-zero) may carry no report; it then has only
// the station, token and mode.
func ParseBeaconResp(ev Event) (BeaconResp, error) {
	if ev.Name != EventBeaconRespRx {
		return BeaconResp{}, fmt.Errorf("hostapd: %s is not %s", ev.Name, EventBeaconRespRx)
	}
	if len(ev.Args) < 3 {
		return BeaconResp{}, fmt.Errorf("hostapd: %s with %d arguments, want station, token, mode and report", ev.Name, len(ev.Args))
	}
	mac, err := net.ParseMAC(ev.Args[0])
	if err != nil || len(mac) != 6 {
		return BeaconResp{}, fmt.Errorf("hostapd: %s station %.20q is not a MAC address", ev.Name, ev.Args[0])
	}
	r := BeaconResp{Station: mac}
	if r.DialogToken, err = byteField("dialog token", ev.Args[1]); err != nil {
		return BeaconResp{}, err
	}
	mode, err := strconv.ParseUint(ev.Args[2], 16, 8)
	if err != nil {
		return BeaconResp{}, fmt.Errorf("hostapd: %s report mode %.10q is not a hex byte", ev.Name, ev.Args[2])
	}
	r.ReportMode = int(mode)
	if len(ev.Args) < 4 {
		if r.ReportMode == 0 {
			return BeaconResp{}, fmt.Errorf("hostapd: %s without a report", ev.Name)
		}
		return r, nil
	}
	body, err := hex.DecodeString(ev.Args[3])
	if err != nil {
		return BeaconResp{}, fmt.Errorf("hostapd: %s report: %w", ev.Name, err)
	}
	if len(body) < beaconReportMin {
		return BeaconResp{}, fmt.Errorf("hostapd: %s report of %d bytes, want at least %d", ev.Name, len(body), beaconReportMin)
	}
	r.OpClass, r.Channel = int(body[0]), int(body[1])
	r.RCPI, r.RSNI = int(body[13]), int(body[14])
	r.BSSID = net.HardwareAddr(append([]byte(nil), body[15:21]...))
	return r, nil
}
