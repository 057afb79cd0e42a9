package linux

import (
	"testing"

	"github.com/mdlayher/netlink"
	"github.com/uspmesh/uspmesh/radio"
)

func bssAttrs(t testing.TB) []byte {
	ies := []byte{
		ieSSID, 4, 'h', 'o', 'm', 'e',
		ieBSSLoad, 5, 3, 0, 128, 0, 0,
		ieHTOper, 22, 6, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		ieRSN, 20, 1, 0, 0x00, 0x0f, 0xac, 4, 1, 0, 0x00, 0x0f, 0xac, 4, 1, 0, 0x00, 0x0f, 0xac, 2, 0, 0,
	}
	return encode(t, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(attrIfindex, 2)
		ae.Nested(attrBSS, func(nae *netlink.AttributeEncoder) error {
			nae.Bytes(bssBSSID, testMAC)
			nae.Uint32(bssFrequency, 2437)
			nae.Int32(bssSignalMBM, -4500)
			nae.Uint16(bssCapability, 0x0411)
			nae.Bytes(bssIEs, ies)
			return nil
		})
	})
}

func TestDecodeBSS(t *testing.T) {
	b, ok, err := decodeBSS(bssAttrs(t))
	if err != nil || !ok {
		t.Fatalf("decodeBSS: %v %v", ok, err)
	}
	if b.BSSID.String() != testMAC.String() || b.SSID != "home" || b.Channel != 6 || b.FreqMHz != 2437 ||
		b.SignalDBm != -45 || b.Width != 40 || b.Utilization != 50 || b.Security != "WPA2-Personal" {
		t.Errorf("bss %+v", b)
	}
}

func TestSecurity(t *testing.T) {
	const oui = 0x000fac00
	for _, tc := range []struct {
		rsn, wpa, privacy bool
		akms              []uint32
		want              string
	}{
		{want: "None"},
		{privacy: true, want: "WEP-128"},
		{wpa: true, want: "WPA-Personal"},
		{rsn: true, akms: []uint32{oui | 2}, want: "WPA2-Personal"},
		{rsn: true, akms: []uint32{oui | 8}, want: "WPA3-Personal"},
		{rsn: true, akms: []uint32{oui | 2, oui | 8}, want: "WPA2-WPA3-Personal"},
		{rsn: true, akms: []uint32{oui | 1}, want: "WPA2-Enterprise"},
	} {
		if got := security(tc.rsn, tc.wpa, tc.akms, tc.privacy); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc, got, tc.want)
		}
	}
}

// The fuzz targets feed arbitrary attribute bytes to each nl80211
// decoder: none may panic, and what they return must be self-consistent.

func FuzzDecodeInterface(f *testing.F) {
	f.Add(encode(f, ifaceAttrs(2412)))
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := decodeInterface(b)
		if err == nil && it.Width < 0 {
			t.Fatalf("width %d", it.Width)
		}
	})
}

func FuzzDecodeWiphy(f *testing.F) {
	for _, p := range wiphyParts(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var w wiphy
		if err := decodeWiphy(&w, b); err != nil {
			return
		}
		for bd, band := range w.Bands {
			for _, c := range band.caps(bd).Channels {
				if _, n, ok := radio.FreqChannel(c.FreqMHz); !ok || n != c.Number {
					t.Fatalf("channel %+v", c)
				}
			}
		}
	})
}

func FuzzDecodeSurvey(f *testing.F) {
	f.Add(encode(f, surveyAttrs(5180, true)))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, ok, err := decodeSurvey(b)
		if err == nil && ok && e.FreqMHz == 0 {
			t.Fatal("entry without a frequency")
		}
	})
}

func FuzzDecodeStation(f *testing.F) {
	f.Add(encode(f, stationAttrs))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeStation(b)
		if err == nil && len(st.MAC) != 6 {
			t.Fatalf("station MAC %v", st.MAC)
		}
	})
}

func FuzzDecodeBSS(f *testing.F) {
	f.Add(bssAttrs(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		bss, ok, err := decodeBSS(b)
		if err != nil || !ok {
			return
		}
		if len(bss.BSSID) != 6 || bss.Security == "" || bss.Utilization < -1 || bss.Utilization > 100 {
			t.Fatalf("bss %+v", bss)
		}
	})
}
