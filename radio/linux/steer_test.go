package linux

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/hostapd"
)

// fakeHostapd answers the control socket of wlan0 in dir: PING, ATTACH
// (remembering the monitor), STA of the test station, BSS_TM_REQ and
// DENY_ACL; REQ_BEACON fails as for a station without RRM.
type fakeHostapd struct {
	c        *net.UnixConn
	mu       sync.Mutex
	cmds     []string
	attached *net.UnixAddr
	// answerFirst: the station answers a BSS_TM_REQ (accepting) before
	// hostapd replies to the command, which then comes 200 ms later.
	answerFirst bool
}

const fakeSTAReply = "02:00:00:00:02:00\nflags=[AUTH][ASSOC][AUTHORIZED][WMM][HT]\nsupported_rates=82 84 8b 96 0c 12 18 24 30 48 60 6c\nsupp_op_classes=5151737476\next_capab=0000080400000040\n"

func newFakeHostapd(t *testing.T, dir string) *fakeHostapd {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "wlan0"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	f := &fakeHostapd{c: c}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := c.ReadFromUnix(buf)
			if err != nil {
				return
			}
			cmd := string(buf[:n])
			f.mu.Lock()
			f.cmds = append(f.cmds, cmd)
			reply := "FAIL\n"
			switch {
			case cmd == "PING":
				reply = "PONG\n"
			case cmd == "ATTACH":
				reply, f.attached = "OK\n", from
			case cmd == "STA "+testSTAMAC.String():
				reply = fakeSTAReply
			case strings.HasPrefix(cmd, "BSS_TM_REQ "+testSTAMAC.String()), strings.HasPrefix(cmd, "DENY_ACL "):
				reply = "OK\n"
			}
			early := f.answerFirst && f.attached != nil && strings.HasPrefix(cmd, "BSS_TM_REQ "+testSTAMAC.String())
			if early {
				_, tok, _ := strings.Cut(cmd, "dialog_token=")
				tok, _, _ = strings.Cut(tok, " ")
				f.c.WriteToUnix([]byte("<3>BSS-TM-RESP "+testSTAMAC.String()+" dialog_token="+tok+" status_code=0 target_bssid=02:00:00:00:01:00"), f.attached)
			}
			f.mu.Unlock()
			if early {
				time.Sleep(200 * time.Millisecond) // the reply after the answer: what made the old backend drop it
			}
			c.WriteToUnix([]byte(reply), from)
		}
	}()
	return f
}

// event sends msg to the attached monitor, reporting false before ATTACH.
func (f *fakeHostapd) event(msg string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.attached == nil {
		return false
	}
	f.c.WriteToUnix([]byte(msg), f.attached)
	return true
}

// awaitAttached waits until the backend's monitor attached to f (f
// answers an event), failing t after 5 s; it returns that deadline.
func awaitAttached(t *testing.T, f *fakeHostapd) time.Time {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f.event("<3>AP-ENABLED") {
		if time.Now().After(deadline) {
			t.Fatal("the backend never attached to hostapd")
		}
		time.Sleep(20 * time.Millisecond) // polling the fake's state, bounded by the deadline
	}
	return deadline
}

func (f *fakeHostapd) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.cmds)
}

func openFakeWithHostapd(t *testing.T) (*Backend, *fakeHostapd) {
	t.Helper()
	k := &fakeKernel{freq: 2412, t: t}
	k.family = genetlink.Family{ID: 0x1c, Name: "nl80211", Version: 1}
	dir := t.TempDir()
	f := newFakeHostapd(t, dir)
	c := genltest.Dial(genltest.ServeFamily(k.family, k.serve))
	b, err := openWith(t.Context(), Config{HostapdCtrlDir: dir}, c, func() (*genetlink.Conn, error) {
		return nil, errors.New("no scan socket in the fake")
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, f
}

// TestTransitionAnsweredBeforeReply: a station that answers a BSS
// transition request before hostapd's reply to BSS_TM_REQ reaches the
// backend (seen on mac80211_hwsim, where the lab's Steering/Roam then
// timed out) still has its answer delivered. The backend used to record
// the request as pending only after the reply, and dropped the answer as
// unsolicited.
func TestTransitionAnsweredBeforeReply(t *testing.T) {
	b, f := openFakeWithHostapd(t)
	r := b.Radio("wlan0")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	events := r.Events(ctx)
	awaitAttached(t, f)
	f.mu.Lock()
	f.answerFirst = true
	f.mu.Unlock()
	peer, _ := net.ParseMAC("02:00:00:00:01:00")
	req := radio.TransitionRequest{Station: testSTAMAC, Candidates: []radio.Candidate{{BSSID: peer, Band: radio.Band5G, Channel: 36, Preference: 200}}}
	if err := r.RequestTransition(ctx, req); err != nil {
		t.Fatalf("RequestTransition: %v", err)
	}
	for {
		select {
		case ev := <-events:
			if ev.Kind == radio.EventTransitionResponse {
				if tr := ev.Transition; tr == nil || !tr.Accepted() || tr.DialogToken != 1 {
					t.Errorf("transition event %+v (%+v)", ev, tr)
				}
				return
			}
		case <-ctx.Done():
			t.Fatal("the answer that came before hostapd's reply was dropped")
		}
	}
}

func TestSteering(t *testing.T) {
	b, f := openFakeWithHostapd(t)
	r := b.Radio("wlan0")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	events := r.Events(ctx)

	stas, err := r.Stations(ctx)
	if err != nil || len(stas) != 1 {
		t.Fatalf("Stations = %+v, %v", stas, err)
	}
	if c := stas[0].Caps; !c.BTM || !c.HT || !slices.Equal(c.Bands, []radio.Band{radio.Band2G4, radio.Band5G}) {
		t.Errorf("station caps %+v, want BTM, HT, 2.4 and 5 GHz", c)
	}

	peer, _ := net.ParseMAC("02:00:00:00:01:00")
	req := radio.TransitionRequest{Station: testSTAMAC, Candidates: []radio.Candidate{{BSSID: peer, Band: radio.Band5G, Channel: 36, Preference: 200}}}
	if err := r.RequestTransition(ctx, req); err != nil {
		t.Fatalf("RequestTransition: %v", err)
	}
	want := "BSS_TM_REQ 02:00:00:00:02:00 dialog_token=1 valid_int=100 pref=1 neighbor=02:00:00:00:01:00,0x000f,115,36,9,0301c8"
	if !slices.Contains(f.commands(), want) {
		t.Errorf("hostapd got %q, want %q among them", f.commands(), want)
	}
	if err := r.RequestTransition(ctx, radio.TransitionRequest{Station: testSTAMAC}); !errors.Is(err, radio.ErrUnsupported) {
		t.Errorf("request without candidates = %v, want ErrUnsupported", err)
	}
	other, _ := net.ParseMAC("02:00:00:00:09:09")
	req.Station = other
	if err := r.RequestTransition(ctx, req); !errors.Is(err, hostapd.ErrFailed) {
		t.Errorf("request to a station hostapd does not know = %v, want ErrFailed", err)
	}

	// Wait for the monitor, then send: junk, a response from a station
	// never asked, one with the wrong token, then the real answer.
	deadline := awaitAttached(t, f)
	for _, msg := range []string{
		"<3>BSS-TM-RESP not-a-mac status_code=0",
		"<3>BSS-TM-RESP 02:00:00:00:09:09 dialog_token=1 status_code=0 target_bssid=02:00:00:00:01:00",
		"<3>BSS-TM-RESP 02:00:00:00:02:00 dialog_token=9 status_code=0",
		"<3>BSS-TM-RESP 02:00:00:00:02:00 dialog_token=1 status_code=0 bss_termination_delay=0 target_bssid=02:00:00:00:01:00",
	} {
		f.event(msg)
	}
	var got *radio.Event
	for got == nil {
		select {
		case ev := <-events:
			if ev.Kind == radio.EventTransitionResponse {
				got = &ev
			}
		case <-ctx.Done():
			t.Fatal("no transition response event")
		}
	}
	tr := got.Transition
	if tr == nil || got.Station.String() != testSTAMAC.String() || !tr.Accepted() || tr.DialogToken != 1 || tr.Target.String() != peer.String() {
		t.Errorf("transition event %+v (%+v)", got, tr)
	}

	// A refusal and a junk report are dropped; a measured report arrives.
	f.event("<3>BEACON-RESP-RX 02:00:00:00:02:00 3 04")
	f.event("<3>BEACON-RESP-RX 02:00:00:00:02:00 3 00 5106")
	f.event("<3>BEACON-RESP-RX 02:00:00:00:02:00 3 00 51060000000000000000320000" + "8c3c02000000010000000000000000")
	for got = nil; got == nil; {
		select {
		case ev := <-events:
			if ev.Kind == radio.EventBeaconReport {
				got = &ev
			}
		case <-ctx.Done():
			t.Fatal("no beacon report event")
		}
	}
	if br := got.Beacon; br == nil || br.DialogToken != 3 || br.Channel != 6 || br.OpClass != 81 || br.RCPIDBm != -40 || br.BSSID.String() != peer.String() {
		t.Errorf("beacon report %+v", br)
	}

	if err := r.RequestBeaconReport(ctx, radio.BeaconReportRequest{Station: testSTAMAC, OpClass: 81, Channel: 1}); !errors.Is(err, radio.ErrUnsupported) {
		t.Errorf("beacon report refused by hostapd = %v, want ErrUnsupported", err)
	}

	if err := r.Deny(ctx, testSTAMAC, time.Now().Add(50*time.Millisecond)); err != nil {
		t.Fatalf("Deny: %v", err)
	}
	for !slices.Contains(f.commands(), "DENY_ACL DEL_MAC 02:00:00:00:02:00") {
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatalf("the refusal was never lifted: %q", f.commands())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !slices.Contains(f.commands(), "DENY_ACL ADD_MAC 02:00:00:00:02:00") {
		t.Errorf("no DENY_ACL ADD_MAC in %q", f.commands())
	}
}
