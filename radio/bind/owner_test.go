package bind_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/radio/bind"
)

// TestOwnersSettingsSurviveRestart: what a Controller fixed on a radio —
// its channel pinned by AutoChannelEnable false, its power fixed by
// TransmitPower — survives a restart of the node. The radio restarts on
// its own configuration (channel 36/80 MHz, full power); the new binding
// reads the owner file, shows the pin and the fixed power again and takes
// the radio back there. Before the owner file, both were lost at the
// next start (the Radio rows are rebuilt from the radio), and the leader
// then planned the owner's radio as its own.
func TestOwnersSettingsSurviveRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "radio-owner.json")
	row := "Device.WiFi.Radio.1."
	r := fiveGHz()
	f := newFixture(t, bind.Config{OwnerFile: file}, r)
	if err := f.set(t, row, "AutoChannelEnable", "false", "Channel", "44", "OperatingChannelBandwidth", "40MHz"); err != nil {
		t.Fatalf("pin: %v", err)
	}
	f.waitFor(t, "the owner's switch", func() bool { return len(r.switchCalls()) == 1 })
	r.complete(nil)
	if err := f.set(t, row, "TransmitPower", "25"); err != nil {
		t.Fatalf("TransmitPower 25: %v", err)
	}
	f.waitFor(t, "the owner's power saved", func() bool {
		b, _ := os.ReadFile(file)
		return strings.Contains(string(b), `"power": 25`) && strings.Contains(string(b), `"channel": 44`)
	})
	f.b.Close()

	// The node restarts; the radio is back on its own configuration.
	r2 := fiveGHz()
	f2 := newFixture(t, bind.Config{OwnerFile: file}, r2)
	if got := f2.get(t, row+"AutoChannelEnable"); got != "false" {
		t.Errorf("AutoChannelEnable after restart = %s, want false", got)
	}
	if got := f2.get(t, row+"X_USPMESH_AutoTransmitPower"); got != "false" {
		t.Errorf("X_USPMESH_AutoTransmitPower after restart = %s, want false", got)
	}
	sw := r2.switchCalls()
	if len(sw) != 1 || sw[0].Channel != 44 || sw[0].Width != 40 {
		t.Fatalf("switches after restart %+v, want one to 44/40", sw)
	}
	if p := r2.powerCalls(); len(p) != 1 || math.Abs(p[0]-(20+10*math.Log10(0.25))) > 0.01 {
		t.Errorf("SetTxPower after restart %v, want 25%% of 20 dBm", p)
	}
	r2.complete(nil)
	f2.waitFor(t, "the pinned channel read back", func() bool {
		return f2.get(t, row+"Channel") == "44" && f2.get(t, row+"CurrentOperatingChannelBandwidth") == "40MHz" &&
			f2.get(t, row+"TransmitPower") == "25"
	})
	// The leader may not change the fixed power after the restart.
	_, err := f2.command(t, row+"X_USPMESH_Switch()", map[string]string{"Channel": "44", "Term": "5", "TransmitPower": "100"})
	if err == nil || !strings.Contains(err.Error(), "fixed") {
		t.Errorf("leader's power over the restored owner's: %v, want refused", err)
	}

	// The owner gives both back; the next start leaves the radio alone.
	if err := f2.set(t, row, "AutoChannelEnable", "true", "TransmitPower", "-1"); err != nil {
		t.Fatalf("give back: %v", err)
	}
	f2.waitFor(t, "the owner file emptied", func() bool {
		b, _ := os.ReadFile(file)
		return strings.Contains(string(b), `"radios": {}`)
	})
	f2.b.Close()
	r3 := fiveGHz()
	f3 := newFixture(t, bind.Config{OwnerFile: file}, r3)
	if got := f3.get(t, row+"AutoChannelEnable") + f3.get(t, row+"X_USPMESH_AutoTransmitPower"); got != "truetrue" {
		t.Errorf("flags after giving back = %s, want true, true", got)
	}
	if len(r3.switchCalls())+len(r3.powerCalls()) != 0 {
		t.Errorf("calls after giving back: switches %v, powers %v", r3.switchCalls(), r3.powerCalls())
	}
}

// TestOwnerFileCorrupt: an owner file that is not one is set aside with
// the radio under the mesh's control, and a radio the file names that is
// absent keeps its entry; a pin the radio cannot use is dropped.
func TestOwnerFileCorrupt(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "radio-owner.json")
	row := "Device.WiFi.Radio.1."
	for _, bad := range []string{"{", `{"format":"other"}`, `{"format":"uspmesh-radio-owner/1","radios":{"02:00:00:00:01:00":{"pinned":true,"channel":0,"width":"20MHz"}}}`} {
		if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		r := fiveGHz()
		f := newFixture(t, bind.Config{OwnerFile: file}, r)
		if got := f.get(t, row+"AutoChannelEnable"); got != "true" {
			t.Errorf("%s: AutoChannelEnable = %s, want true", bad, got)
		}
		if len(r.switchCalls()) != 0 {
			t.Errorf("%s: switched %v", bad, r.switchCalls())
		}
		if b, err := os.ReadFile(file + ".corrupt"); err != nil || string(b) != bad {
			t.Errorf("%s: set aside %q, %v", bad, b, err)
		}
		f.b.Close()
	}

	// Channel 120 is disabled on this radio (keyed by its MAC); the
	// other radio is not here.
	doc := `{"format":"uspmesh-radio-owner/1","radios":{
		"02:00:00:00:01:00":{"pinned":true,"channel":120,"width":"20MHz","power_fixed":true,"power":50},
		"02:00:00:00:09:00":{"pinned":true,"channel":6,"width":"20MHz"}}}`
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	r := fiveGHz()
	f := newFixture(t, bind.Config{OwnerFile: file}, r)
	if got := f.get(t, row+"AutoChannelEnable"); got != "true" || len(r.switchCalls()) != 0 {
		t.Errorf("unusable pin: AutoChannelEnable %s, switches %v", got, r.switchCalls())
	}
	f.waitFor(t, "the fixed power kept, the unusable pin dropped", func() bool {
		b, _ := os.ReadFile(file)
		s := string(b)
		return f.get(t, row+"TransmitPower") == "50" && strings.Contains(s, `"02:00:00:00:09:00"`) && !strings.Contains(s, `"channel": 120`)
	})
}

// FuzzDecodeOwner: whatever the owner file holds, Start neither panics
// nor asks the radio for a channel it cannot use: the file is restored,
// set aside, or its unusable entries dropped.
func FuzzDecodeOwner(f *testing.F) {
	f.Add([]byte(`{"format":"uspmesh-radio-owner/1","radios":{"02:00:00:00:01:00":{"pinned":true,"channel":44,"width":"40MHz","power_fixed":true,"power":25}}}`))
	f.Add([]byte(`{"format":"uspmesh-radio-owner/1","radios":{"02:00:00:00:01:00":{"power_fixed":true,"power":0}}}`))
	f.Add([]byte(`{"format":"uspmesh-radio-owner/1","radios":{"":{"pinned":true,"channel":6,"width":"Auto"}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(t.TempDir(), "radio-owner.json")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r := fiveGHz()
		fx := newFixture(t, bind.Config{OwnerFile: file}, r)
		defer fx.b.Close()
		usable := map[int]bool{}
		for _, c := range r.info.Caps.Channels {
			usable[c.Number] = !c.Disabled
		}
		for _, sw := range r.switchCalls() {
			if !usable[sw.Channel] || (sw.Width != 0 && sw.Width != 20 && sw.Width != 40 && sw.Width != 80 && sw.Width != 160) {
				t.Fatalf("restored a switch to %+v", sw)
			}
		}
	})
}

// TestPinnedRadioRefusesLeader: once a Controller has pinned a radio
// (AutoChannelEnable false), the leader's X_USPMESH_Switch() may not move
// it (7022, nothing asked of the radio); a switch to where it is, with a
// power, still passes. Before, a leader that had read the radio before
// the pin moved it away from the owner's channel at its next round.
func TestPinnedRadioRefusesLeader(t *testing.T) {
	r := fiveGHz()
	file := filepath.Join(t.TempDir(), "radio-owner.json")
	f := newFixture(t, bind.Config{OwnerFile: file}, r)
	row, cmd := "Device.WiFi.Radio.1.", "Device.WiFi.Radio.1.X_USPMESH_Switch()"
	if err := f.set(t, row, "AutoChannelEnable", "false"); err != nil {
		t.Fatalf("pin: %v", err)
	}
	// The pin applies once the binding has the committed write, and is
	// then saved.
	f.waitFor(t, "the pin", func() bool {
		b, _ := os.ReadFile(file)
		return strings.Contains(string(b), `"pinned": true`)
	})
	for _, in := range []map[string]string{
		{"Channel": "44", "Term": "5"},
		{"Channel": "36", "Bandwidth": "20MHz", "Term": "5"},
	} {
		n := len(r.switchCalls())
		done := make(chan error, 1)
		go func() {
			_, err := f.command(t, cmd, in)
			done <- err
		}()
		var err error
		f.waitFor(t, "the leader's switch to end or reach the radio", func() bool {
			select {
			case err = <-done:
				return true
			default:
				return len(r.switchCalls()) > n
			}
		})
		if got := r.switchCalls(); len(got) > n {
			t.Errorf("the radio was asked %+v", got[n:])
			r.complete(nil)
			err = <-done
		}
		if codeOf(err) != datamodel.CodeCommandFailure || !strings.Contains(err.Error(), "pinned") {
			t.Errorf("leader's switch %v on a pinned radio: %v, want 7022", in, err)
		}
	}
	st, _ := r.State(context.Background())
	in := map[string]string{"Channel": strconv.Itoa(st.Channel), "Term": "5", "TransmitPower": "50"}
	if _, err := f.command(t, cmd, in); err != nil {
		t.Errorf("switch to where the pinned radio is: %v", err)
	}
}
