package linux

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// The lab's proof of what the leader's measurements rest on: the survey
// counters and the BSS Load element, read through nl80211 from the real
// kernel.

// testSurveyCounters proves what mac80211_hwsim's survey reports.
// mac80211_hwsim (drivers/net/wireless/virtual/mac80211_hwsim.c,
// mac80211_hwsim_get_survey) surveys only channels a software scan
// visited: ActiveTime is the time of the last visit (from arriving on the
// channel to leaving it, in ms), BusyTime a fixed eighth of it ("report
// 12.5% of channel time is used"), the noise a fixed -92 dBm, and no
// receive or transmit time. So the counters are not cumulative: each scan
// replaces them; the binding's delta logic sees such a driver as one that
// resets (a negative delta restarts the baseline) and, without own time,
// reports the radio's airtime as unmeasured. Real drivers (ath9k, ath10k,
// mt76) accumulate all four counters.
func testSurveyCounters(t *testing.T, peer *Radio) {
	ctx := labCtx(t)
	freqs := []int{5180, 5200}
	read := func(round int) map[int]radio.SurveyEntry {
		t.Helper()
		scanned := false
		for !scanned {
			_, err := peer.Scan(ctx, radio.ScanRequest{FreqsMHz: freqs})
			switch {
			case err == nil:
				scanned = true
			case ctx.Err() != nil:
				t.Fatalf("scan %d: %v", round, err)
			default:
				t.Logf("scan %d: %v; again", round, err) // a scan under way
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
		}
		entries, err := peer.Survey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int]radio.SurveyEntry{}
		for _, e := range entries {
			t.Logf("read %d: survey %d MHz in-use %v noise %d active %v busy %v rx %v tx %v",
				round, e.FreqMHz, e.InUse, e.NoiseDBm, e.ActiveTime, e.BusyTime, e.RxTime, e.TxTime)
			out[e.FreqMHz] = e
		}
		return out
	}
	for round := 1; round <= 2; round++ {
		got := read(round)
		for _, f := range freqs {
			e, ok := got[f]
			if !ok {
				t.Errorf("read %d: no survey of %d MHz, which the scan visited", round, f)
				continue
			}
			activeMS := int64(e.ActiveTime / time.Millisecond)
			if e.ActiveTime <= 0 || e.ActiveTime > 2*time.Second {
				t.Errorf("read %d, %d MHz: ActiveTime %v, want one scan visit (0 < t ≤ 2 s)", round, f, e.ActiveTime)
			}
			if want := time.Duration(activeMS/8) * time.Millisecond; e.BusyTime != want {
				t.Errorf("read %d, %d MHz: BusyTime %v, want ActiveTime/8 = %v", round, f, e.BusyTime, want)
			}
			if e.NoiseDBm != -92 || e.RxTime != 0 || e.TxTime != 0 {
				t.Errorf("read %d, %d MHz: noise %d rx %v tx %v, want -92 dBm and no own time", round, f, e.NoiseDBm, e.RxTime, e.TxTime)
			}
			if e.InUse != (f == 5180) {
				t.Errorf("read %d, %d MHz: InUse %v", round, f, e.InUse)
			}
		}
	}
}

// iwUtilisation matches the BSS Load element as iw prints it.
var iwUtilisation = regexp.MustCompile(`channel utilisation: (\d+)/255`)

// iwScanUtil returns the BSS Load channel utilisation (0..255) iw's own
// parser reads for bssid in iface's scan results, -1 when the BSS has no
// BSS Load element, and whether iw lists the BSS at all.
func iwScanUtil(ctx context.Context, iface string, bssid string) (int, bool, error) {
	out, err := exec.CommandContext(ctx, "iw", "dev", iface, "scan", "dump").CombinedOutput()
	if err != nil {
		return 0, false, fmt.Errorf("iw scan dump: %v: %s", err, out)
	}
	for _, block := range strings.Split("\n"+string(out), "\nBSS ")[1:] {
		if !strings.HasPrefix(strings.ToLower(block), strings.ToLower(bssid)) {
			continue
		}
		m := iwUtilisation.FindStringSubmatch(block)
		if m == nil {
			return -1, true, nil
		}
		n, _ := strconv.Atoi(m[1])
		return n, true, nil
	}
	return 0, false, nil
}

// testBSSLoad proves the BSS Load parsing on a real hostapd beacon: the
// peer's hostapd sends the element (bss_load_update_period=1), the AP's
// does not; the backend's Utilization must match what iw reads of the
// same scan results (utilisation/255 in percent), and be -1 without it.
func testBSSLoad(t *testing.T, ap, peer *Radio, peerMAC []byte) {
	ctx := labCtx(t)
	apMAC := ifaceMAC(t, labAPIface)
	// The contract tests moved the AP: scan where it is now.
	st, err := ap.State(ctx)
	if err != nil || st.FreqMHz == 0 {
		t.Fatalf("AP state %+v, %v", st, err)
	}
	for _, c := range []struct {
		name      string
		scanner   *Radio
		iface     string
		freq      int
		bssid     []byte
		advertise bool
	}{
		{"peer with BSS Load", ap, labAPIface, 5180, peerMAC, true},
		{"AP without", peer, labPeerIface, st.FreqMHz, apMAC, false},
	} {
		var got radio.BSS
		found := false
		for !found {
			bsses, err := c.scanner.Scan(ctx, radio.ScanRequest{FreqsMHz: []int{c.freq}})
			if err == nil {
				for _, b := range bsses {
					if bytes.Equal(b.BSSID, c.bssid) {
						got, found = b, true
					}
				}
			}
			if found {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("%s: BSS %x not found on %d MHz (last scan error %v)", c.name, c.bssid, c.freq, err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
		util, listed, err := iwScanUtil(ctx, c.iface, macText(c.bssid))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: backend utilisation %d%%, iw %d/255 (listed %v)", c.name, got.Utilization, util, listed)
		switch {
		case !listed:
			t.Errorf("%s: iw does not list %s", c.name, macText(c.bssid))
		case c.advertise && (util < 0 || got.Utilization != util*100/255):
			t.Errorf("%s: Utilization %d, want iw's %d/255 = %d%%", c.name, got.Utilization, util, util*100/255)
		case !c.advertise && (util != -1 || got.Utilization != -1):
			t.Errorf("%s: Utilization %d (iw %d), want -1: no BSS Load element", c.name, got.Utilization, util)
		}
	}
}

// macText formats a MAC address as iw prints it.
func macText(mac []byte) string {
	parts := make([]string, len(mac))
	for i, b := range mac {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":")
}
