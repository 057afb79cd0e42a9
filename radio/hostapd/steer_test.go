package hostapd

import (
	"context"
	"errors"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

func mac(t testing.TB, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBSSTMReqCommand(t *testing.T) {
	sta, peer := mac(t, "02:00:00:00:02:00"), mac(t, "02:00:00:00:01:00")
	for _, tc := range []struct {
		r    BSSTMReq
		want string
	}{
		{BSSTMReq{Station: sta, Neighbors: []Neighbor{{BSSID: peer, OpClass: 115, Channel: 36, PHYType: 9, Preference: 255}}},
			"BSS_TM_REQ 02:00:00:00:02:00 pref=1 neighbor=02:00:00:00:01:00,0x0000,115,36,9,0301ff"},
		{BSSTMReq{Station: sta, DialogToken: 7, DisassocImminent: true, DisassocTimer: 100, ValidInt: 50, Abridged: true,
			Neighbors: []Neighbor{{BSSID: peer, BSSIDInfo: 0x8f, OpClass: 81, Channel: 6, PHYType: 7}}},
			"BSS_TM_REQ 02:00:00:00:02:00 dialog_token=7 disassoc_imminent=1 disassoc_timer=100 valid_int=50 pref=1 abridged=1 neighbor=02:00:00:00:01:00,0x008f,81,6,7"},
		{BSSTMReq{Station: sta}, "BSS_TM_REQ 02:00:00:00:02:00"},
	} {
		got, err := tc.r.Command()
		if err != nil || got != tc.want {
			t.Errorf("Command() = %q, %v\nwant %q", got, err, tc.want)
		}
	}
	for _, bad := range []BSSTMReq{
		{},
		{Station: sta, DisassocTimer: 65536},
		{Station: sta, ValidInt: 256},
		{Station: sta, Neighbors: []Neighbor{{BSSID: peer[:4]}}},
		{Station: sta, Neighbors: []Neighbor{{BSSID: peer, Preference: 256}}},
	} {
		if got, err := bad.Command(); err == nil {
			t.Errorf("Command(%+v) = %q, want an error", bad, got)
		}
	}
}

func TestBeaconReqCommand(t *testing.T) {
	sta := mac(t, "02:00:00:00:02:00")
	got, err := BeaconReq{Station: sta, OpClass: 81, Channel: 0, DurationTU: 50, Mode: 1}.Command()
	if want := "REQ_BEACON 02:00:00:00:02:00 51000000320001ffffffffffff"; err != nil || got != want {
		t.Errorf("Command() = %q, %v, want %q", got, err, want)
	}
	if _, err := (BeaconReq{Station: sta, Mode: 3}).Command(); err == nil {
		t.Error("mode 3 accepted")
	}
}

func TestParseBSSTMResp(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want BSSTMResp
	}{
		{"<3>BSS-TM-RESP 02:00:00:00:02:00 dialog_token=1 status_code=0 bss_termination_delay=0 target_bssid=02:00:00:00:01:00",
			BSSTMResp{Station: mac(t, "02:00:00:00:02:00"), DialogToken: 1, Target: mac(t, "02:00:00:00:01:00")}},
		{"<3>BSS-TM-RESP 02:00:00:00:02:00 status_code=7 bss_termination_delay=0",
			BSSTMResp{Station: mac(t, "02:00:00:00:02:00"), DialogToken: -1, Status: 7}},
	} {
		ev, err := ParseEvent([]byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseBSSTMResp(ev)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %+v, %v\nwant %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{
		"<3>BSS-TM-RESP",
		"<3>BSS-TM-RESP zz:00 status_code=0",
		"<3>BSS-TM-RESP 02:00:00:00:02:00 dialog_token=1",
		"<3>BSS-TM-RESP 02:00:00:00:02:00 status_code=x",
		"<3>BSS-TM-RESP 02:00:00:00:02:00 status_code=300",
		"<3>BSS-TM-RESP 02:00:00:00:02:00 status_code=0 target_bssid=nope",
		"<3>BSS-TM-RESP 02:00:00:00:02:00 status_code=0 dialog_token=-1",
		"<3>AP-STA-CONNECTED 02:00:00:00:02:00",
	} {
		ev, err := ParseEvent([]byte(bad))
		if err != nil {
			continue
		}
		if got, err := ParseBSSTMResp(ev); err == nil {
			t.Errorf("ParseBSSTMResp(%q) = %+v, want an error", bad, got)
		}
	}
}

// staReply is hostapd 2.10's STA reply for a wpa_supplicant station on
// mac80211_hwsim (2.4 GHz, HT), trimmed.
const staReply = `02:00:00:00:02:00
flags=[AUTH][ASSOC][AUTHORIZED][WMM][HT]
aid=1
capability=0x431
listen_interval=5
supported_rates=82 84 8b 96 0c 12 18 24 30 48 60 6c
timeout_next=NULLFUNC POLL
rx_packets=12
tx_packets=9
rx_bytes=1330
tx_bytes=1107
inactive_msec=420
signal=-30
rx_rate_info=10
tx_rate_info=10
connected_time=3
supp_op_classes=51515354737475767778797a7b7c7d7e7f808182
ht_caps_info=0x116e
ext_capab=0000080400000040
`

func TestParseStationInfo(t *testing.T) {
	s, err := ParseStationInfo([]byte(staReply))
	if err != nil {
		t.Fatal(err)
	}
	if s.MAC.String() != "02:00:00:00:02:00" || s.SignalDBm != -30 || !s.HasFlag("AUTHORIZED") || s.HasFlag("VHT") {
		t.Errorf("parsed %+v", s)
	}
	c := s.Caps()
	want := radio.StationCaps{
		BTM: true, HT: true, MaxRateKbps: 54000,
		Bands:     []radio.Band{radio.Band2G4, radio.Band5G},
		OpClasses: []int{81, 83, 84, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Caps() =\n %+v\nwant\n %+v", c, want)
	}
	noBTM := strings.Replace(staReply, "ext_capab=0000080400000040", "ext_capab=0000000400000040", 1)
	if s, err := ParseStationInfo([]byte(noBTM)); err != nil || s.Caps().BTM {
		t.Errorf("station without the BSS transition bit: BTM %v, %v", s.Caps().BTM, err)
	}
	for _, bad := range []string{"", "FAIL\n", "not-a-mac\nflags=[AUTH]\n", "02:00:00:00:02:00\nnot key value\n",
		"02:00:00:00:02:00\next_capab=0g\n", "02:00:00:00:02:00\nsupported_rates=82 zz\n", "02:00:00:00:02:00\nsignal=loud\n"} {
		if _, err := ParseStationInfo([]byte(bad)); err == nil {
			t.Errorf("ParseStationInfo(%q) succeeded", bad)
		}
	}
}

func TestSteeringCommands(t *testing.T) {
	var got []string
	dir, _ := fakeHostapd(t, func(cmd string) string {
		got = append(got, cmd)
		switch {
		case strings.HasPrefix(cmd, "BSS_TM_REQ 02:00:00:00:02:00"), strings.HasPrefix(cmd, "DENY_ACL "):
			return "OK\n"
		case strings.HasPrefix(cmd, "REQ_BEACON 02:00:00:00:02:00"):
			return "3"
		case cmd == "STA 02:00:00:00:02:00":
			return staReply
		}
		return "FAIL\n"
	})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, dir, "wlan0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sta, other := mac(t, "02:00:00:00:02:00"), mac(t, "02:00:00:00:09:00")
	if err := c.RequestTransition(ctx, BSSTMReq{Station: sta}); err != nil {
		t.Errorf("RequestTransition: %v", err)
	}
	if err := c.RequestTransition(ctx, BSSTMReq{Station: other}); !errors.Is(err, ErrFailed) {
		t.Errorf("RequestTransition to an unknown station = %v, want ErrFailed", err)
	}
	if tok, err := c.RequestBeacon(ctx, BeaconReq{Station: sta, OpClass: 81}); err != nil || tok != 3 {
		t.Errorf("RequestBeacon = %d, %v", tok, err)
	}
	if _, err := c.RequestBeacon(ctx, BeaconReq{Station: other, OpClass: 81}); !errors.Is(err, ErrFailed) {
		t.Errorf("RequestBeacon to a station without RRM = %v, want ErrFailed", err)
	}
	if err := c.DenyMAC(ctx, sta); err != nil {
		t.Error(err)
	}
	if err := c.AllowMAC(ctx, sta); err != nil {
		t.Error(err)
	}
	if s, err := c.Station(ctx, sta); err != nil || !s.Caps().BTM {
		t.Errorf("Station = %+v, %v", s, err)
	}
	if _, err := c.Station(ctx, other); !errors.Is(err, ErrFailed) {
		t.Errorf("Station(unknown) = %v, want ErrFailed", err)
	}
	for _, want := range []string{"DENY_ACL ADD_MAC 02:00:00:00:02:00", "DENY_ACL DEL_MAC 02:00:00:00:02:00"} {
		if !slices.Contains(got, want) {
			t.Errorf("hostapd never got %q (got %q)", want, got)
		}
	}
}

func FuzzParseBSSTMResp(f *testing.F) {
	f.Add([]byte("<3>BSS-TM-RESP 02:00:00:00:02:00 dialog_token=1 status_code=0 bss_termination_delay=0 target_bssid=02:00:00:00:01:00"))
	f.Add([]byte("<3>BSS-TM-RESP 02:00:00:00:02:00 status_code=7"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseEvent(b)
		if err != nil {
			return
		}
		r, err := ParseBSSTMResp(ev)
		if err != nil {
			return
		}
		if len(r.Station) != 6 || r.Status < 0 || r.Status > 255 || (r.Target != nil && len(r.Target) != 6) {
			t.Fatalf("accepted %+v", r)
		}
	})
}

func FuzzParseStationInfo(f *testing.F) {
	f.Add([]byte(staReply))
	f.Add([]byte("02:00:00:00:02:00\nsupp_op_classes=\next_capab=00\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStationInfo(b)
		if err != nil {
			return
		}
		if len(s.MAC) != 6 {
			t.Fatalf("MAC %v", s.MAC)
		}
		c := s.Caps()
		if len(c.Bands) > 3 || c.MaxRateKbps > 127*500 {
			t.Fatalf("caps %+v", c)
		}
	})
}

func TestParseBeaconResp(t *testing.T) {
	// op class 81, channel 6, start time, duration 50, frame info 0,
	// RCPI 140 (-40 dBm), RSNI 60, BSSID 02:00:00:00:01:00, antenna 0, TSF.
	report := "5106" + "0000000000000000" + "3200" + "00" + "8c" + "3c" + "020000000100" + "00" + "00000000"
	ev, err := ParseEvent([]byte("<3>BEACON-RESP-RX 02:00:00:00:02:00 3 00 " + report))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseBeaconResp(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := BeaconResp{Station: mac(t, "02:00:00:00:02:00"), DialogToken: 3, OpClass: 81, Channel: 6, RCPI: 140, RSNI: 60, BSSID: mac(t, "02:00:00:00:01:00")}
	if !reflect.DeepEqual(r, want) || r.RCPIDBm() != -40 {
		t.Errorf("got %+v (%v dBm)\nwant %+v", r, r.RCPIDBm(), want)
	}
	refused, _ := ParseEvent([]byte("<3>BEACON-RESP-RX 02:00:00:00:02:00 3 04"))
	if r, err := ParseBeaconResp(refused); err != nil || r.ReportMode != 4 || r.BSSID != nil {
		t.Errorf("refusal = %+v, %v", r, err)
	}
	for _, bad := range []string{
		"<3>BEACON-RESP-RX 02:00:00:00:02:00 3",
		"<3>BEACON-RESP-RX 02:00:00:00:02:00 3 00",
		"<3>BEACON-RESP-RX nope 3 00 " + report,
		"<3>BEACON-RESP-RX 02:00:00:00:02:00 x 00 " + report,
		"<3>BEACON-RESP-RX 02:00:00:00:02:00 3 zz " + report,
		"<3>BEACON-RESP-RX 02:00:00:00:02:00 3 00 5106",
		"<3>BEACON-RESP-RX 02:00:00:00:02:00 3 00 51g6",
	} {
		ev, err := ParseEvent([]byte(bad))
		if err != nil {
			continue
		}
		if r, err := ParseBeaconResp(ev); err == nil {
			t.Errorf("ParseBeaconResp(%q) = %+v, want an error", bad, r)
		}
	}
}

func FuzzParseBeaconResp(f *testing.F) {
	f.Add([]byte("<3>BEACON-RESP-RX 02:00:00:00:02:00 3 00 51060000000000000000320000" + "8c3c02000000010000000000000000"))
	f.Add([]byte("<3>BEACON-RESP-RX 02:00:00:00:02:00 3 04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseEvent(b)
		if err != nil {
			return
		}
		r, err := ParseBeaconResp(ev)
		if err != nil {
			return
		}
		if len(r.Station) != 6 || (r.BSSID != nil && len(r.BSSID) != 6) || r.RCPIDBm() < -110 || r.RCPIDBm() > 17.5 {
			t.Fatalf("accepted %+v", r)
		}
	})
}
