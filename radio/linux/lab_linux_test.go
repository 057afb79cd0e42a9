package linux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/hostapd"
	"github.com/uspmesh/uspmesh/radio/radiotest"
)

// The lab's radios (mac80211_hwsim radios=5): two APs, a station, a
// DFS AP (later a mesh AP with a wireless backhaul) and that backhaul's
// uplink AP.
const (
	labAPIface   = "wlan0" // AP under test: 2.4 GHz channel 1, WPA2-PSK
	labPeerIface = "wlan1" // peer AP: 5 GHz channel 36
	labSTAIface  = "wlan2" // wpa_supplicant station
	labDFSIface  = "wlan3" // AP started on DFS channel 52 (the radar test)
	// The backhaul test's uplink AP (on the wiphy of the steering tests'
	// station, idle by then) and extender AP, whose wiphy carries the
	// uplink station. Not the radar test's wiphy: after radar during a CAC
	// there, mac80211 refused some later channel switches on it (EBUSY,
	// in about one run in four), which fresh wiphys never did in 15 runs.
	labRootIface = labSTAIface
	labExtIface  = "wlan4"
	labSSID      = "uspmesh-lab-a"
	labPSK       = "uspmesh-lab-secret"
	labTimeout   = 20 * time.Second // generous: the guest runs under TCG
)

// TestLab runs inside the radio lab guest (scripts/radiolab.sh sets
// USPMESH_RADIOLAB=1): real nl80211 on mac80211_hwsim, real hostapd and
// wpa_supplicant.
func TestLab(t *testing.T) {
	if os.Getenv("USPMESH_RADIOLAB") != "1" {
		t.Skip("runs inside the radio lab guest (make radiolab)")
	}
	dir := t.TempDir()
	ctrl := filepath.Join(dir, "hostapd")
	startHostapd(t, dir, ctrl, labAPIface, fmt.Sprintf(
		"hw_mode=g\nchannel=1\nieee80211n=1\nssid=%s\nwpa=2\nwpa_passphrase=%s\nwpa_key_mgmt=WPA-PSK\nrsn_pairwise=CCMP\nbss_transition=1\nrrm_beacon_report=1\n", labSSID, labPSK))
	// The peer advertises BSS Load (hostapd recomputes its channel
	// utilisation from the survey every beacon interval); the AP does not.
	stopPeer := startHostapd(t, dir, ctrl, labPeerIface, "hw_mode=a\nchannel=36\nieee80211n=1\nssid=uspmesh-lab-b\nbss_load_update_period=1\n")

	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithTimeout(t.Context(), labTimeout)
	defer cancel()
	b, err := Open(ctx, Config{Interfaces: []string{labAPIface, labPeerIface}, HostapdCtrlDir: ctrl, SwitchTimeout: labTimeout, Logger: logger})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	ap, peer := b.Radio(labAPIface), b.Radio(labPeerIface)
	peerMAC := ifaceMAC(t, labPeerIface)

	// mac80211_hwsim records survey data only for channels a scan visits
	// (and times a channel from arriving on it to leaving it), so scan each
	// AP's channel and a neighbour once before the survey tests.
	for _, p := range []struct {
		r     *Radio
		freqs []int
	}{{ap, []int{2412, 2417}}, {peer, []int{5180, 5200}}} {
		if _, err := p.r.Scan(ctx, radio.ScanRequest{FreqsMHz: p.freqs}); err != nil {
			t.Fatalf("priming scan on %s: %v", p.r.Interface(), err)
		}
	}

	sta := &station{dir: dir}
	t.Cleanup(sta.stop)
	t.Run("Contract", func(t *testing.T) {
		radiotest.Run(t, func(t *testing.T) radiotest.Target {
			return radiotest.Target{
				Radio:       ap,
				PeerBSSID:   peerMAC,
				PeerFreqMHz: 5180,
				SwitchTo:    radio.SwitchRequest{Channel: 6, Width: 20, CSACount: 3},
				Invalid:     radio.SwitchRequest{Channel: 14, Width: 20},
				TxPowerDBm:  10,
				Associate:   func(ctx context.Context) (net.HardwareAddr, error) { return sta.associate(ctx, ap) },
				Timeout:     labTimeout,
			}
		})
	})
	t.Run("HostapdStatus", func(t *testing.T) { testHostapdStatus(t, ctrl, ap) })
	t.Run("PeerCaps5GHz", func(t *testing.T) { testPeerCaps(t, peer) })
	t.Run("SurveyNoise", func(t *testing.T) { testSurveyNoise(t, peer) })
	t.Run("SurveyCounters", func(t *testing.T) { testSurveyCounters(t, peer) })
	t.Run("BSSLoad", func(t *testing.T) { testBSSLoad(t, ap, peer, peerMAC) })
	t.Run("SwitchRefusals", func(t *testing.T) { testSwitchRefusals(t, ap) })
	t.Run("LinkStats", func(t *testing.T) { testLinkStats(t, ap) })
	// Last: it replaces the peer's BSS and the contract's station.
	t.Run("Steering", func(t *testing.T) { testSteering(t, dir, ctrl, ap, peer, sta, stopPeer) })
	t.Run("Radar", func(t *testing.T) { testRadar(t, dir, ctrl, logger) })
	t.Run("Uplink", func(t *testing.T) { testUplink(t, dir, ctrl, logger, uplink24) })
	t.Run("Uplink80MHz", func(t *testing.T) { testUplink(t, dir, ctrl, logger, uplink80) })
}

// uplinkCase is a backhaul test's band: the hostapd settings of both
// APs (without channel), the channel they start on, the frequencies the
// station scans, a switch the extender must refuse (off its uplink's
// channel), and the uplink AP's move.
type uplinkCase struct {
	hostapd string
	channel int
	scan    string
	refused radio.SwitchRequest
	move    radio.SwitchRequest
}

var (
	// 2.4 GHz at 20 MHz: channel 11 to 6.
	uplink24 = uplinkCase{hostapd: "hw_mode=g\nieee80211n=1\n", channel: 11, scan: "2437 2462",
		refused: radio.SwitchRequest{Channel: 1, Width: 20, CSACount: 3}, move: radio.SwitchRequest{Channel: 6, Width: 20, CSACount: 5}}
	// 5 GHz at 80 MHz (a wide backhaul): primary 36 to 44 in the
	// 36-48 block, the one 80 MHz block without DFS in DE (a DFS block
	// would need a channel availability check before the move).
	uplink80 = uplinkCase{hostapd: "hw_mode=a\nieee80211n=1\nieee80211ac=1\nht_capab=[HT40+]\nvht_oper_chwidth=1\nvht_oper_centr_freq_seg0_idx=42\n",
		channel: 36, scan: "5180 5220",
		refused: radio.SwitchRequest{Channel: 48, Width: 80, CSACount: 3}, move: radio.SwitchRequest{Channel: 44, Width: 80, CSACount: 5}}
)

// testUplink: a mesh AP whose radio also carries the node's wireless
// backhaul, a station interface beside the AP interface on one wiphy,
// associated to another AP (the uplink) on the same channel. The backend
// reports the uplink (its BSSID, level, rates) from nl80211, and refuses
// a switch that would take the radio off the uplink's channel. When the
// uplink AP switches channel, the backend moves its AP to the announced
// channel at once, so that the kernel moves the station and the AP
// together; without it the kernel dropped the station (the AP stayed,
// and the supplicant could not authenticate on the new channel).
func testUplink(t *testing.T, dir, ctrl string, logger *slog.Logger, uc uplinkCase) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*labTimeout)
	defer cancel()
	const rootSSID = "uspmesh-lab-root"
	startHostapd(t, dir, ctrl, labRootIface, fmt.Sprintf("%schannel=%d\nssid=%s\n", uc.hostapd, uc.channel, rootSSID))
	startHostapd(t, dir, ctrl, labExtIface, fmt.Sprintf("%schannel=%d\nssid=uspmesh-lab-extender\n", uc.hostapd, uc.channel))
	staIface := labExtIface + "sta"
	if out, err := exec.CommandContext(ctx, "iw", "dev", labExtIface, "interface", "add", staIface, "type", "managed").CombinedOutput(); err != nil {
		t.Fatalf("iw interface add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("iw", "dev", staIface, "del").Run() })
	conf := filepath.Join(dir, "backhaul.conf")
	body := fmt.Sprintf("ctrl_interface=%s\nnetwork={\n\tssid=%q\n\tkey_mgmt=NONE\n\tscan_freq=%s\n}\n", filepath.Join(dir, "wpa_backhaul"), rootSSID, uc.scan)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command("wpa_supplicant", "-i", staIface, "-c", conf)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("wpa_supplicant: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("wpa_supplicant (backhaul):\n%s", out.String())
		}
	})

	b, err := Open(ctx, Config{Interfaces: []string{labExtIface, labRootIface}, HostapdCtrlDir: ctrl, SwitchTimeout: labTimeout, Logger: logger})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer b.Close()
	r, root := b.Radio(labExtIface), b.Radio(labRootIface)
	rootMAC := ifaceMAC(t, labRootIface)
	var st radio.State
	for {
		if st, err = r.State(ctx); err != nil {
			t.Fatal(err)
		}
		// Just associated, the station has heard no frame yet and
		// reports no level: wait for one.
		if st.Uplink != nil && st.Uplink.SignalDBm < 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no uplink reported: state %+v", st)
		case <-time.After(100 * time.Millisecond):
		}
	}
	up := st.Uplink
	t.Logf("uplink: %s to %s at %.0f dBm, tx %d kb/s, rx %d kb/s", up.Interface, up.BSSID, up.SignalDBm, up.TxRateKbps, up.RxRateKbps)
	if up.Interface != staIface || up.BSSID.String() != rootMAC.String() || up.SignalDBm >= 0 || up.TxRateKbps <= 0 {
		t.Errorf("uplink %+v, want %s associated to %s with a level and a rate", up, staIface, rootMAC)
	}
	if rs, err := root.State(ctx); err != nil || rs.Uplink != nil {
		t.Errorf("the uplink AP itself: Uplink %+v, %v; want none", rs.Uplink, err)
	}
	if st.Width != uc.move.Width {
		t.Errorf("the extender's AP operates at %d MHz, want %d", st.Width, uc.move.Width)
	}
	if _, err := r.Switch(ctx, uc.refused); !errors.Is(err, radio.ErrUplink) {
		t.Errorf("switch off the uplink's channel: %v, want ErrUplink", err)
	}

	// The uplink AP moves; the extender's AP follows and its station
	// associates again.
	t0 := time.Now()
	done, err := root.Switch(ctx, uc.move)
	if err != nil {
		t.Fatalf("uplink AP's switch: %v", err)
	}
	// The mesh leader then asks the extender to go there too; asked while
	// the AP follows, that switch is the follow's (before, it was refused:
	// the station was still on channel 11, or the radio busy).
	for {
		r.mu.Lock()
		f := r.following
		r.mu.Unlock()
		if f != nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the extender's AP did not start following its uplink")
		case <-time.After(10 * time.Millisecond):
		}
	}
	joined, err := r.Switch(ctx, radio.SwitchRequest{Channel: uc.move.Channel, Width: uc.move.Width})
	if err != nil {
		t.Fatalf("the leader's switch of the extender while it follows: %v", err)
	}
	if res := <-done; res.Err != nil {
		t.Fatalf("uplink AP's switch: %v", res.Err)
	}
	if res := <-joined; res.Err != nil || res.Channel != uc.move.Channel {
		t.Errorf("the leader's switch of the extender while it follows: %+v", res)
	}
	lost := false
	for {
		if st, err = r.State(ctx); err != nil {
			t.Fatal(err)
		}
		lost = lost || st.Uplink == nil
		if st.Channel == uc.move.Channel && st.Width == uc.move.Width && st.Up && st.Uplink != nil && st.Uplink.BSSID.String() == rootMAC.String() {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("after the uplink's switch to channel %d/%d MHz: AP on channel %d/%d MHz (up %v), uplink %+v",
				uc.move.Channel, uc.move.Width, st.Channel, st.Width, st.Up, st.Uplink)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Logf("the AP followed its uplink to channel %d/%d MHz; station associated again %v after the uplink's switch began (lost on the way: %v)",
		uc.move.Channel, uc.move.Width, time.Since(t0).Round(10*time.Millisecond), lost)
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func ifaceMAC(t *testing.T, name string) net.HardwareAddr {
	t.Helper()
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		t.Fatalf("interface %s: %v", name, err)
	}
	return ifi.HardwareAddr
}

// startHostapd runs hostapd on iface with body appended to the common
// configuration, and waits until the AP is enabled. The returned function
// stops it (SIGTERM, so hostapd says CTRL-EVENT-TERMINATING to monitors)
// and waits for it to exit.
func startHostapd(t *testing.T, dir, ctrl, iface, body string) (stop func()) {
	t.Helper()
	conf := filepath.Join(dir, iface+".conf")
	full := fmt.Sprintf("interface=%s\nctrl_interface=%s\ncountry_code=DE\nbeacon_int=100\n%s", iface, ctrl, body)
	if err := os.WriteFile(conf, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command("hostapd", conf)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("hostapd %s: %v", iface, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() && iface == "wlan3" {
			t.Logf("hostapd %s:\n%s", iface, out.String())
		}
	})
	stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(labTimeout):
			cmd.Process.Kill()
			<-done
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), labTimeout)
	defer cancel()
	for {
		if st, err := hostapdStatus(ctx, ctrl, iface); err == nil && st.State == "ENABLED" {
			return stop
		}
		select {
		case <-done:
			t.Fatalf("hostapd %s exited:\n%s", iface, out.String())
		case <-ctx.Done():
			t.Fatalf("hostapd %s not enabled in time:\n%s", iface, out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func hostapdStatus(ctx context.Context, ctrl, iface string) (hostapd.Status, error) {
	c, err := hostapd.Dial(ctx, ctrl, iface)
	if err != nil {
		return hostapd.Status{}, err
	}
	defer c.Close()
	return c.Status(ctx)
}

// station is wpa_supplicant on the lab's third radio.
type station struct {
	dir string
	mu  sync.Mutex
	cmd *exec.Cmd
	out bytes.Buffer
}

// associate starts wpa_supplicant for the AP's SSID, scanning only the
// AP's current frequency (a full scan is slow under emulation).
func (s *station) associate(ctx context.Context, ap *Radio) (net.HardwareAddr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ifi, err := net.InterfaceByName(labSTAIface)
	if err != nil {
		return nil, err
	}
	if s.cmd != nil {
		return ifi.HardwareAddr, nil
	}
	st, err := ap.State(ctx)
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(s.dir, "wpa_supplicant.conf")
	body := fmt.Sprintf("ctrl_interface=%s\nnetwork={\n\tssid=%q\n\tpsk=%q\n\tkey_mgmt=WPA-PSK\n\tproto=RSN\n\tscan_freq=%d\n}\n",
		filepath.Join(s.dir, "wpa_supplicant"), labSSID, labPSK, st.FreqMHz)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return nil, err
	}
	s.cmd = exec.Command("wpa_supplicant", "-i", labSTAIface, "-c", conf)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		s.cmd = nil
		return nil, err
	}
	return ifi.HardwareAddr, nil
}

func (s *station) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

func labCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), labTimeout)
	t.Cleanup(cancel)
	return ctx
}

// testHostapdStatus checks hostapd's STATUS against nl80211's view.
func testHostapdStatus(t *testing.T, ctrl string, ap *Radio) {
	ctx := labCtx(t)
	hs, err := hostapdStatus(ctx, ctrl, labAPIface)
	if err != nil {
		t.Fatalf("STATUS: %v", err)
	}
	st, err := ap.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if hs.State != "ENABLED" || hs.FreqMHz != st.FreqMHz || hs.Channel != st.Channel || !hs.HT {
		t.Errorf("STATUS state=%s freq=%d channel=%d ht=%v; nl80211 freq=%d channel=%d",
			hs.State, hs.FreqMHz, hs.Channel, hs.HT, st.FreqMHz, st.Channel)
	}
	if hs.WidthMHz() != st.Width {
		t.Errorf("STATUS width %d, nl80211 width %d", hs.WidthMHz(), st.Width)
	}
	if len(hs.BSSes) != 1 || hs.BSSes[0].SSID != labSSID || !bytes.Equal(hs.BSSes[0].BSSID, st.BSSID) {
		t.Errorf("STATUS BSSes %+v, want %s %v", hs.BSSes, labSSID, st.BSSID)
	}
	if st.SSID != labSSID {
		t.Errorf("nl80211 SSID %q, want %q", st.SSID, labSSID)
	}
}

// testPeerCaps checks the 5 GHz capabilities under the DE regulatory domain.
func testPeerCaps(t *testing.T, peer *Radio) {
	info, err := peer.Info(labCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	c := info.Caps
	if c.Band != radio.Band5G {
		t.Fatalf("band %s, want 5 GHz", c.Band)
	}
	ch := func(n int) radio.Channel {
		i := slices.IndexFunc(c.Channels, func(x radio.Channel) bool { return x.Number == n })
		if i < 0 {
			t.Fatalf("channel %d missing from %v", n, c.Channels)
		}
		return c.Channels[i]
	}
	if c36 := ch(36); c36.DFS || c36.Disabled || c36.MaxPowerDBm <= 0 {
		t.Errorf("channel 36 = %+v, want enabled, non-DFS, with a power limit", c36)
	}
	if c52 := ch(52); !c52.DFS {
		t.Errorf("channel 52 = %+v, want DFS under DE", c52)
	}
	if !slices.Contains(c.Widths, 80) || !slices.Contains(c.Standards, "ac") {
		t.Errorf("widths %v standards %v, want 80 MHz and ac", c.Widths, c.Standards)
	}
}

// testSurveyNoise checks what the survey reports of the operating channel.
func testSurveyNoise(t *testing.T, peer *Radio) {
	ctx := labCtx(t)
	entries, err := peer.Survey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Logf("survey %d MHz ch %d in-use %v noise %d active %v busy %v", e.FreqMHz, e.Channel, e.InUse, e.NoiseDBm, e.ActiveTime, e.BusyTime)
		if e.InUse && (e.NoiseDBm >= 0 || e.NoiseDBm < -120) {
			t.Errorf("in-use noise %d dBm", e.NoiseDBm)
		}
	}
	if !slices.ContainsFunc(entries, func(e radio.SurveyEntry) bool { return e.InUse && e.FreqMHz == 5180 }) {
		t.Errorf("no in-use entry for 5180 MHz in %d entries", len(entries))
	}
}

// testSwitchRefusals checks width and band validation before hostapd.
func testSwitchRefusals(t *testing.T, ap *Radio) {
	for _, req := range []radio.SwitchRequest{{Channel: 36, Width: 20}, {Channel: 6, Width: 80}, {Channel: 1, Width: 160}, {Channel: 15, Width: 20}} {
		_, err := ap.Switch(labCtx(t), req)
		if !errors.Is(err, radio.ErrInvalidChannel) {
			t.Errorf("Switch(%+v) = %v, want ErrInvalidChannel", req, err)
		}
	}
}

// testLinkStats checks that rtnetlink counters move with beacons/traffic.
func testLinkStats(t *testing.T, ap *Radio) {
	s, err := ap.LinkStats(labCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.TxPackets == 0 && s.RxPackets == 0 {
		t.Errorf("no packets counted: %+v", s)
	}
}

// testRadar proves the DFS path on the real kernel. An AP with radar
// detection (ieee80211h=1; without it hostapd refuses DFS channels) on 36
// switches to DFS channel 52, so the channel availability check runs;
// radar during it (mac80211_hwsim's dfs_simulate_radar, which raises the
// kernel's radar event) fails the switch with ErrRadar and reaches the
// backend as EventRadarDetected, and nl80211 then reports 52 in its
// non-occupancy period, which State lists as Unavailable.
func testRadar(t *testing.T, dir, ctrl string, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*labTimeout)
	defer cancel()
	startHostapd(t, dir, ctrl, labDFSIface, "hw_mode=a\nchannel=36\nieee80211n=1\nieee80211d=1\nieee80211h=1\nssid=uspmesh-lab-dfs\n")
	b, err := Open(ctx, Config{Interfaces: []string{labDFSIface}, HostapdCtrlDir: ctrl, SwitchTimeout: labTimeout, Logger: logger})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer b.Close()
	r := b.Radio(labDFSIface)
	info, err := r.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	knob := filepath.Join("/sys/kernel/debug/ieee80211", info.Name, "hwsim", "dfs_simulate_radar")
	if _, err := os.Stat(knob); err != nil {
		t.Fatalf("mac80211_hwsim radar knob: %v", err)
	}
	events := r.Events(ctx)
	res, err := r.Switch(ctx, radio.SwitchRequest{Channel: 52, Width: 20, CSACount: 3})
	if err != nil {
		t.Fatalf("Switch to 52: %v", err)
	}
	for cac := false; !cac; {
		select {
		case ev := <-events:
			t.Logf("event %s channel %d", ev.Kind, ev.Channel)
			cac = ev.Kind == radio.EventCACStarted
		case sr := <-res:
			t.Fatalf("switch to 52 ended before its CAC: %+v", sr)
		case <-ctx.Done():
			t.Fatal("no CAC started on 52")
		}
	}
	st, err := r.State(ctx)
	if err != nil || slices.Contains(st.Unavailable, 52) {
		t.Fatalf("in CAC: State %+v, %v; want 52 usable", st, err)
	}
	if err := os.WriteFile(knob, []byte("1"), 0); err != nil {
		t.Fatalf("simulate radar: %v", err)
	}
	select {
	case sr := <-res:
		if !errors.Is(sr.Err, radio.ErrRadar) {
			t.Errorf("switch result %+v, want ErrRadar", sr)
		}
		t.Logf("switch result: %v", sr.Err)
	case <-ctx.Done():
		t.Fatal("no switch result after radar")
	}
	for radar := false; !radar; {
		select {
		case ev := <-events:
			t.Logf("event %s channel %d", ev.Kind, ev.Channel)
			radar = ev.Kind == radio.EventRadarDetected
		case <-ctx.Done():
			t.Fatal("no radar event")
		}
	}
	for {
		st, err := r.State(ctx)
		if err == nil && slices.Contains(st.Unavailable, 52) {
			if slices.Contains(st.Unavailable, 36) {
				t.Errorf("Unavailable %v lists 36, where no radar was", st.Unavailable)
			}
			t.Logf("after radar: channel %d, unavailable %v", st.Channel, st.Unavailable)
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("52 not reported unavailable after radar: State %+v, %v", st, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
