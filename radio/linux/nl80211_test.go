package linux

import (
	"context"
	"errors"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"github.com/uspmesh/uspmesh/radio"
)

var (
	testMAC    = net.HardwareAddr{0x02, 0, 0, 0, 0, 0}
	testSTAMAC = net.HardwareAddr{0x02, 0, 0, 0, 2, 0}
)

func encode(t testing.TB, fn func(ae *netlink.AttributeEncoder)) []byte {
	t.Helper()
	ae := netlink.NewAttributeEncoder()
	fn(ae)
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ifaceAttrs(freq int) func(ae *netlink.AttributeEncoder) {
	return func(ae *netlink.AttributeEncoder) {
		ae.Uint32(attrIfindex, 2)
		ae.String(attrIfname, "wlan0")
		ae.Uint32(attrIftype, iftypeAP)
		ae.Uint32(attrWiphy, 0)
		ae.Bytes(attrMAC, testMAC)
		ae.Bytes(attrSSID, []byte("home"))
		ae.Uint32(attrWiphyFreq, uint32(freq))
		ae.Uint32(attrChannelWidth, 1)
		ae.Uint32(attrCenterFreq1, uint32(freq))
		ae.Uint32(attrTxPowerLevel, 2000)
	}
}

// wiphyParts is a split dump of a dual-band wiphy in two messages.
func wiphyParts(t testing.TB) [][]byte {
	freq := func(nae *netlink.AttributeEncoder, i uint16, f int, flags ...uint16) {
		nae.Nested(i, func(fae *netlink.AttributeEncoder) error {
			fae.Uint32(freqAttrFreq, uint32(f))
			fae.Uint32(freqAttrMaxTxPower, 2000)
			for _, fl := range flags {
				fae.Flag(fl, true)
			}
			return nil
		})
	}
	first := encode(t, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(attrWiphy, 0)
		ae.String(attrWiphyName, "phy0")
		ae.Nested(attrWiphyBands, func(bae *netlink.AttributeEncoder) error {
			bae.Nested(0, func(nae *netlink.AttributeEncoder) error {
				nae.Uint16(bandAttrHTCapa, 0x0002)
				nae.Nested(bandAttrFreqs, func(fae *netlink.AttributeEncoder) error {
					for ch := 1; ch <= 13; ch++ {
						freq(fae, uint16(ch), 2407+5*ch)
					}
					freq(fae, 14, 2484, freqAttrDisabled)
					return nil
				})
				return nil
			})
			return nil
		})
	})
	second := encode(t, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(attrWiphy, 0)
		ae.Nested(attrWiphyBands, func(bae *netlink.AttributeEncoder) error {
			bae.Nested(1, func(nae *netlink.AttributeEncoder) error {
				nae.Uint16(bandAttrHTCapa, 0x0002)
				nae.Uint32(bandAttrVHTCapa, 1<<2)
				nae.Nested(bandAttrFreqs, func(fae *netlink.AttributeEncoder) error {
					for i, ch := range []int{36, 40, 44, 48} {
						freq(fae, uint16(i+1), 5000+5*ch)
					}
					freq(fae, 5, 5260, freqAttrRadar)
					// Radar was detected on 56: its non-occupancy period runs.
					fae.Nested(6, func(dae *netlink.AttributeEncoder) error {
						dae.Uint32(freqAttrFreq, 5280)
						dae.Flag(freqAttrRadar, true)
						dae.Uint32(freqAttrDFSState, dfsUnavailable)
						return nil
					})
					return nil
				})
				return nil
			})
			return nil
		})
	})
	return [][]byte{first, second}
}

func surveyAttrs(freq int, inUse bool) func(ae *netlink.AttributeEncoder) {
	return func(ae *netlink.AttributeEncoder) {
		ae.Uint32(attrIfindex, 2)
		ae.Nested(attrSurveyInfo, func(nae *netlink.AttributeEncoder) error {
			nae.Uint32(surveyFreq, uint32(freq))
			nae.Int8(surveyNoise, -92)
			nae.Flag(surveyInUse, inUse)
			nae.Uint64(surveyTime, 1000)
			nae.Uint64(surveyTimeBusy, 250)
			return nil
		})
	}
}

func stationAttrs(ae *netlink.AttributeEncoder) {
	ae.Uint32(attrIfindex, 2)
	ae.Bytes(attrMAC, testSTAMAC)
	ae.Nested(attrStaInfo, func(nae *netlink.AttributeEncoder) error {
		nae.Uint32(staInactiveTime, 1500)
		nae.Uint32(staConnectedTime, 12)
		nae.Uint32(staRxBytes, 7)
		nae.Uint64(staRxBytes64, 1<<33)
		nae.Uint32(staTxBytes, 409)
		nae.Uint32(staRxPackets, 10)
		nae.Uint32(staTxPackets, 4)
		nae.Uint32(staTxRetries, 1)
		nae.Uint32(staTxFailed, 2)
		nae.Int8(staSignal, -30)
		nae.Nested(staTxBitrate, func(rae *netlink.AttributeEncoder) error {
			rae.Uint16(rateBitrate, 10)
			return nil
		})
		nae.Nested(staRxBitrate, func(rae *netlink.AttributeEncoder) error {
			rae.Uint32(rateBitrate32, 540)
			return nil
		})
		return nil
	})
}

// staIfaceAttrs is a station interface on wiphy 0 beside wlan0,
// associated on freq.
func staIfaceAttrs(freq int) func(ae *netlink.AttributeEncoder) {
	return func(ae *netlink.AttributeEncoder) {
		ae.Uint32(attrIfindex, 3)
		ae.String(attrIfname, "wlan0-sta")
		ae.Uint32(attrIftype, iftypeSTA)
		ae.Uint32(attrWiphy, 0)
		ae.Bytes(attrMAC, testSTAMAC)
		ae.Uint32(attrWiphyFreq, uint32(freq))
		ae.Uint32(attrChannelWidth, 1)
	}
}

// uplinkAttrs is the station list of wlan0-sta: its AP.
func uplinkAttrs(ae *netlink.AttributeEncoder) {
	ae.Uint32(attrIfindex, 3)
	ae.Bytes(attrMAC, testUplinkMAC)
	ae.Nested(attrStaInfo, func(nae *netlink.AttributeEncoder) error {
		nae.Int8(staSignal, -58)
		nae.Nested(staTxBitrate, func(rae *netlink.AttributeEncoder) error {
			rae.Uint32(rateBitrate32, 1441)
			return nil
		})
		nae.Nested(staRxBitrate, func(rae *netlink.AttributeEncoder) error {
			rae.Uint32(rateBitrate32, 1200)
			return nil
		})
		return nil
	})
}

var testUplinkMAC = net.HardwareAddr{0x02, 0, 0, 0, 0x09, 0x01}

// ifindexOf reads the ifindex attribute of a request.
func ifindexOf(b []byte) int {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return 0
	}
	for ad.Next() {
		if ad.Type() == attrIfindex {
			return int(ad.Uint32())
		}
	}
	return 0
}

// fakeKernel serves nl80211 requests at the wire and records SET_WIPHY.
// With staFreq set, a station interface on wlan0's wiphy is associated
// there to testUplinkMAC.
type fakeKernel struct {
	t       *testing.T
	freq    int
	staFreq int
	setMBm  int
	family  genetlink.Family
	lastReq []byte
}

func (k *fakeKernel) serve(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
	msg := func(data ...[]byte) []genetlink.Message {
		out := make([]genetlink.Message, len(data))
		for i, d := range data {
			out[i] = genetlink.Message{Header: genetlink.Header{Command: greq.Header.Command}, Data: d}
		}
		return out
	}
	k.lastReq = greq.Data
	switch greq.Header.Command {
	case cmdGetInterface:
		if k.staFreq != 0 && nreq.Header.Flags&netlink.Dump != 0 {
			return msg(encode(k.t, ifaceAttrs(k.freq)), encode(k.t, staIfaceAttrs(k.staFreq))), nil
		}
		return msg(encode(k.t, ifaceAttrs(k.freq))), nil
	case cmdGetWiphy:
		if nreq.Header.Flags&netlink.Dump == 0 {
			return nil, genltest.Error(22)
		}
		return msg(wiphyParts(k.t)...), nil
	case cmdGetSurvey:
		return msg(encode(k.t, surveyAttrs(2412, true)), encode(k.t, surveyAttrs(2437, false))), nil
	case cmdGetStation:
		if ifindexOf(greq.Data) == 3 {
			return msg(encode(k.t, uplinkAttrs)), nil
		}
		return msg(encode(k.t, stationAttrs)), nil
	case cmdSetWiphy:
		it, _ := decodeSetWiphy(greq.Data)
		k.setMBm = it
		return msg(nil), nil
	}
	return nil, genltest.Error(95)
}

func decodeSetWiphy(b []byte) (int, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return 0, err
	}
	mBm := 0
	for ad.Next() {
		if ad.Type() == attrTxPowerLevel {
			mBm = int(ad.Uint32())
		}
	}
	return mBm, ad.Err()
}

func openFake(t *testing.T, k *fakeKernel) *Backend {
	t.Helper()
	k.t = t
	k.family = genetlink.Family{ID: 0x1c, Name: "nl80211", Version: 1, Groups: []genetlink.MulticastGroup{{ID: 5, Name: "scan"}}}
	c := genltest.Dial(genltest.ServeFamily(k.family, k.serve))
	b, err := openWith(t.Context(), Config{HostapdCtrlDir: t.TempDir()}, c, func() (*genetlink.Conn, error) {
		return nil, errors.New("no scan socket in the fake")
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestBackendReads(t *testing.T) {
	k := &fakeKernel{freq: 2412}
	b := openFake(t, k)
	rs, err := b.Radios(t.Context())
	if err != nil || len(rs) != 1 {
		t.Fatalf("Radios = %v, %v", rs, err)
	}
	r := b.Radio("wlan0")
	ctx := t.Context()
	info, err := r.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "phy0" || info.Interface != "wlan0" || info.MAC.String() != testMAC.String() {
		t.Errorf("info %+v", info)
	}
	c := info.Caps
	if c.Band != radio.Band2G4 || len(c.Channels) != 14 || !c.Channels[13].Disabled || c.TxPowerMaxDBm != 20 {
		t.Errorf("caps %+v", c)
	}
	if !reflect.DeepEqual(c.Widths, []int{20, 40}) || !slices.Contains(c.Standards, "n") {
		t.Errorf("widths %v standards %v", c.Widths, c.Standards)
	}
	s, err := r.Survey(ctx)
	if err != nil || len(s) != 2 {
		t.Fatalf("survey %+v, %v", s, err)
	}
	if s[0] != (radio.SurveyEntry{FreqMHz: 2412, Channel: 1, InUse: true, NoiseDBm: -92, ActiveTime: time.Second, BusyTime: 250 * time.Millisecond}) || s[0].Utilization() != 25 {
		t.Errorf("survey[0] %+v", s[0])
	}
	stas, err := r.Stations(ctx)
	if err != nil || len(stas) != 1 {
		t.Fatalf("stations %+v, %v", stas, err)
	}
	want := radio.Station{MAC: testSTAMAC, SignalDBm: -30, TxBitrateKbps: 1000, RxBitrateKbps: 54000, TxBytes: 409, RxBytes: 1 << 33,
		TxPackets: 4, RxPackets: 10, TxRetries: 1, TxFailed: 2, Connected: 12 * time.Second, Inactive: 1500 * time.Millisecond,
		Caps: radio.StationCaps{Bands: []radio.Band{radio.Band2G4}}}
	if !reflect.DeepEqual(stas[0], want) {
		t.Errorf("station\n got %+v\nwant %+v", stas[0], want)
	}
}

func TestBackendFiveGHzCaps(t *testing.T) {
	b := openFake(t, &fakeKernel{freq: 5180})
	info, err := b.Radio("wlan0").Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := info.Caps
	if c.Band != radio.Band5G || len(c.Channels) != 6 || !c.Channels[4].DFS || c.Channels[4].Number != 52 ||
		c.Channels[4].Unavailable || !c.Channels[5].Unavailable {
		t.Errorf("caps %+v", c)
	}
	st, err := b.Radio("wlan0").State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Unavailable, []int{56}) {
		t.Errorf("State.Unavailable %v, want [56] (radar on 56)", st.Unavailable)
	}
	if !reflect.DeepEqual(c.Widths, []int{20, 40, 80, 160}) || !slices.Contains(c.Standards, "ac") {
		t.Errorf("widths %v standards %v", c.Widths, c.Standards)
	}
}

// TestBackendUplink: a station interface associated on the AP's wiphy
// is the radio's uplink: State reports its AP's BSSID, level and rates,
// and a switch to a channel other than the station's fails with
// ErrUplink before it reaches hostapd. A radio without one has none.
func TestBackendUplink(t *testing.T) {
	r := openFake(t, &fakeKernel{freq: 2412, staFreq: 2412}).Radio("wlan0")
	st, err := r.State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := &radio.Uplink{Interface: "wlan0-sta", BSSID: testUplinkMAC, SignalDBm: -58, TxRateKbps: 144100, RxRateKbps: 120000}
	if !reflect.DeepEqual(st.Uplink, want) {
		t.Errorf("Uplink %+v, want %+v", st.Uplink, want)
	}
	_, err = r.Switch(t.Context(), radio.SwitchRequest{Channel: 6})
	if !errors.Is(err, radio.ErrUplink) || !strings.Contains(err.Error(), "wlan0-sta") || !strings.Contains(err.Error(), "channel 1") {
		t.Errorf("Switch to 6 = %v, want ErrUplink naming wlan0-sta on channel 1", err)
	}
	// To the station's own channel the switch goes on (to hostapd,
	// absent here).
	if _, err := r.Switch(t.Context(), radio.SwitchRequest{Channel: 1}); errors.Is(err, radio.ErrUplink) {
		t.Errorf("Switch to the uplink's channel = %v", err)
	}
	st, err = openFake(t, &fakeKernel{freq: 2412}).Radio("wlan0").State(t.Context())
	if err != nil || st.Uplink != nil {
		t.Errorf("without a station interface: Uplink %+v, %v", st.Uplink, err)
	}
}

func TestSetTxPower(t *testing.T) {
	k := &fakeKernel{freq: 2412}
	r := openFake(t, k).Radio("wlan0")
	evctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events := r.Events(evctx)
	if err := r.SetTxPower(t.Context(), 12.5); err != nil {
		t.Fatal(err)
	}
	if k.setMBm != 1250 {
		t.Errorf("SET_WIPHY level %d mBm, want 1250", k.setMBm)
	}
	if ev := <-events; ev.Kind != radio.EventTxPowerChanged {
		t.Errorf("event %+v", ev)
	}
	var op *radio.OpError
	if err := r.SetTxPower(t.Context(), 40); !errors.As(err, &op) {
		t.Errorf("SetTxPower(40) = %v, want an OpError", err)
	}
	cancel()
	if _, ok := <-events; ok {
		t.Error("events not closed after cancel")
	}
}

func TestSwitchValidation(t *testing.T) {
	r := openFake(t, &fakeKernel{freq: 2412}).Radio("wlan0")
	for _, req := range []radio.SwitchRequest{{Channel: 14}, {Channel: 36}, {Channel: 6, Width: 80}, {Channel: 99}} {
		_, err := r.Switch(t.Context(), req)
		if !errors.Is(err, radio.ErrInvalidChannel) {
			t.Errorf("Switch(%+v) = %v, want ErrInvalidChannel", req, err)
		}
	}
	// A valid request reaches hostapd, which is absent here.
	if _, err := r.Switch(t.Context(), radio.SwitchRequest{Channel: 6}); err == nil || errors.Is(err, radio.ErrInvalidChannel) {
		t.Errorf("Switch to 6 without hostapd = %v", err)
	}
	st, err := r.State(t.Context())
	if err == nil && st.Switching {
		t.Error("failed switch left the radio switching")
	}
}

func TestOpenUnknownInterface(t *testing.T) {
	k := &fakeKernel{freq: 2412, t: t}
	c := genltest.Dial(genltest.ServeFamily(genetlink.Family{ID: 0x1c, Name: "nl80211", Version: 1}, k.serve))
	defer c.Close()
	if _, err := openWith(t.Context(), Config{Interfaces: []string{"wlan7"}}, c, nil); !errors.Is(err, errNoInterface) {
		t.Errorf("open = %v, want errNoInterface", err)
	}
}

func TestPlanSwitch(t *testing.T) {
	five := radio.Capabilities{Band: radio.Band5G, Widths: []int{20, 40, 80}}
	for _, ch := range []int{36, 40, 44, 48, 52, 56, 60, 64} {
		five.Channels = append(five.Channels, radio.Channel{Number: ch, FreqMHz: 5000 + 5*ch, DFS: ch >= 52})
	}
	two := radio.Capabilities{Band: radio.Band2G4, Widths: []int{20, 40}}
	for ch := 1; ch <= 13; ch++ {
		two.Channels = append(two.Channels, radio.Channel{Number: ch, FreqMHz: 2407 + 5*ch})
	}
	for _, tc := range []struct {
		caps      radio.Capabilities
		ch, width int
		want      switchPlan
		err       bool
	}{
		{caps: five, ch: 36, width: 20, want: switchPlan{Channel: 36, FreqMHz: 5180, Width: 20, CenterFreqMHz: 5180}},
		{caps: five, ch: 40, width: 40, want: switchPlan{Channel: 40, FreqMHz: 5200, Width: 40, CenterFreqMHz: 5190, SecOffset: -1}},
		{caps: five, ch: 44, width: 80, want: switchPlan{Channel: 44, FreqMHz: 5220, Width: 80, CenterFreqMHz: 5210, SecOffset: 1}},
		{caps: five, ch: 60, width: 80, want: switchPlan{Channel: 60, FreqMHz: 5300, Width: 80, CenterFreqMHz: 5290, SecOffset: 1, DFS: true}},
		{caps: five, ch: 36, width: 160, err: true},
		{caps: five, ch: 6, width: 20, err: true},
		{caps: two, ch: 1, width: 40, want: switchPlan{Channel: 1, FreqMHz: 2412, Width: 40, CenterFreqMHz: 2422, SecOffset: 1}},
		{caps: two, ch: 11, width: 40, want: switchPlan{Channel: 11, FreqMHz: 2462, Width: 40, CenterFreqMHz: 2452, SecOffset: -1}},
		{caps: two, ch: 14, width: 20, err: true},
	} {
		got, err := planSwitch(tc.caps, tc.ch, tc.width)
		if tc.err {
			if !errors.Is(err, radio.ErrInvalidChannel) {
				t.Errorf("ch %d/%d: err %v, want ErrInvalidChannel", tc.ch, tc.width, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ch %d/%d: got %+v, %v; want %+v", tc.ch, tc.width, got, err, tc.want)
		}
	}
}
