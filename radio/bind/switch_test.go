package bind_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/bind"
)

func TestSwitchCommand(t *testing.T) {
	r := fiveGHz()
	f := newFixture(t, bind.Config{}, r)
	cmd := "Device.WiFi.Radio.1.X_USPMESH_Switch()"

	_, err := f.command(t, cmd, map[string]string{"Channel": "52", "Bandwidth": "80MHz", "Term": "4"})
	if codeOf(err) != bind.CodeRequestDenied {
		t.Fatalf("switch with stale term 4 (highest 5): %v, want 7002", err)
	}
	if got := r.switchCalls(); len(got) != 0 {
		t.Fatalf("stale term switched: %+v", got)
	}
	_, err = f.command(t, cmd, map[string]string{"Channel": "120", "Bandwidth": "20MHz", "Term": "5"})
	if codeOf(err) != datamodel.CodeInvalidCmdArgs {
		t.Fatalf("switch to disabled channel: %v, want 7027", err)
	}

	type result struct {
		out map[string]string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := f.command(t, cmd, map[string]string{"Channel": "52", "Bandwidth": "80MHz", "CSACount": "10", "Term": "6"})
		done <- result{out, err}
	}()
	f.waitFor(t, "the switch", func() bool { return len(r.switchCalls()) > 0 })
	if got := r.switchCalls()[0]; got != (radio.SwitchRequest{Channel: 52, Width: 80, CSACount: 10}) {
		t.Errorf("switch %+v, want 52/80 CSA 10", got)
	}
	if got := f.get(t, "Device.WiFi.Radio.1.Channel"); got != "36" {
		t.Errorf("Channel during the switch = %s, want 36 until the radio reports", got)
	}
	// A Set of the channel while the switch runs is refused.
	if err := f.set(t, "Device.WiFi.Radio.1.", "Channel", "100"); codeOf(err) != datamodel.CodeNotUpdated {
		t.Errorf("Set Channel during a switch: %v, want 7020", err)
	}
	select {
	case res := <-done:
		t.Fatalf("command completed before the radio's result: %v, %v", res.out, res.err)
	default:
	}
	r.complete(nil)
	var res result
	select {
	case res = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("command did not complete after the radio's result")
	}
	if res.err != nil || res.out["Status"] != "Complete" || res.out["Channel"] != "52" || res.out["Bandwidth"] != "80MHz" {
		t.Errorf("switch outputs %v, %v; want Complete 52 80MHz", res.out, res.err)
	}
	if got := f.get(t, "Device.WiFi.Radio.1.Channel"); got != "52" {
		t.Errorf("Channel after the switch = %s, want 52", got)
	}
	if !f.changed("Device.WiFi.Radio.1.Channel", "52") {
		t.Error("no value change of Channel to 52")
	}
	if f.fence.highest != 6 {
		t.Errorf("fence highest = %d, want 6", f.fence.highest)
	}
}

func TestSwitchCommandRadioFailure(t *testing.T) {
	r := fiveGHz()
	f := newFixture(t, bind.Config{}, r)
	done := make(chan error, 1)
	go func() {
		_, err := f.command(t, "Device.WiFi.Radio.1.X_USPMESH_Switch()", map[string]string{"Channel": "52", "Term": "5"})
		done <- err
	}()
	f.waitFor(t, "the switch", func() bool { return len(r.switchCalls()) > 0 })
	r.complete(radio.ErrRadar)
	select {
	case err := <-done:
		if codeOf(err) != datamodel.CodeCommandFailure {
			t.Errorf("failed switch: %v, want 7022", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("command did not complete")
	}
	if got := f.get(t, "Device.WiFi.Radio.1.Channel"); got != "36" {
		t.Errorf("Channel after a failed switch = %s, want 36", got)
	}
	// The radio refusing at once fails the command too.
	r.set(func(r *fakeRadio) { r.switchErr = radio.ErrBusy })
	if _, err := f.command(t, "Device.WiFi.Radio.1.X_USPMESH_Switch()", map[string]string{"Channel": "100", "Term": "5"}); codeOf(err) != datamodel.CodeCommandFailure {
		t.Errorf("refused switch: %v, want 7022", err)
	}
}

func TestNoFenceRefusesSwitch(t *testing.T) {
	r := fiveGHz()
	f := newFixture(t, bind.Config{}, r)
	b := bind.New(bind.Config{})
	// A binding without a Fence, bound to its own model.
	m, _ := datamodel.NewModel(context.Background(), tr181.NewSchema(tr181.Config{WiFi: b.Hooks()}), datamodel.Config{})
	if err := b.Start(context.Background(), m, []radio.Radio{fiveGHz()}); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f.m = m
	if _, err := f.command(t, "Device.WiFi.Radio.1.X_USPMESH_Switch()", map[string]string{"Channel": "100", "Term": "9"}); codeOf(err) != bind.CodeRequestDenied {
		t.Errorf("switch without a Fence: %v, want 7002", err)
	}
}

// TestSwitchCommandPower: X_USPMESH_Switch() with TransmitPower sets the
// radio's power under the term, on the radio's channel as well as with a
// move; a bad percentage is 7027 and changes nothing, a stale term 7002.
func TestSwitchCommandPower(t *testing.T) {
	r := fiveGHz()
	f := newFixture(t, bind.Config{}, r)
	cmd := "Device.WiFi.Radio.1.X_USPMESH_Switch()"
	for _, bad := range []string{"0", "-1", "101", "half"} {
		if _, err := f.command(t, cmd, map[string]string{"Channel": "36", "Term": "5", "TransmitPower": bad}); codeOf(err) != datamodel.CodeInvalidCmdArgs {
			t.Errorf("TransmitPower %q: %v, want 7027", bad, err)
		}
	}
	if _, err := f.command(t, cmd, map[string]string{"Channel": "36", "Term": "4", "TransmitPower": "25"}); codeOf(err) != bind.CodeRequestDenied {
		t.Errorf("stale term: %v, want 7002", err)
	}
	if got := r.powerCalls(); len(got) != 0 {
		t.Fatalf("refused commands set the power: %v", got)
	}
	out, err := f.command(t, cmd, map[string]string{"Channel": "36", "Term": "5", "TransmitPower": "25"})
	if err != nil || out["Channel"] != "36" {
		t.Fatalf("power only: %v, %v", out, err)
	}
	if got := r.powerCalls(); len(got) != 1 || math.Abs(got[0]-(20-6.02)) > 0.01 {
		t.Errorf("SetTxPower calls %v, want one at 25 %% of 20 dBm", got)
	}
	if got := f.get(t, "Device.WiFi.Radio.1.TransmitPower"); got != "25" {
		t.Errorf("TransmitPower = %s, want 25", got)
	}
	if len(r.switchCalls()) != 0 {
		t.Errorf("a power change on the radio's channel switched: %v", r.switchCalls())
	}
	// The same power again sets nothing.
	if _, err := f.command(t, cmd, map[string]string{"Channel": "36", "Term": "5", "TransmitPower": "25"}); err != nil || len(r.powerCalls()) != 1 {
		t.Errorf("same power: %v, calls %v", err, r.powerCalls())
	}
}

// TestOwnersPower: a Controller that writes TransmitPower as a percentage
// fixes the radio's power (X_USPMESH_AutoTransmitPower false), and the
// leader's X_USPMESH_Switch() may then not change it (7022); a write of
// -1 gives it back to the mesh without changing it, and TransmitPower
// reads the radio's power again. X_USPMESH_AutoTransmitPower false fixes
// the power where it is, true gives it back. The binding used to refuse
// -1, and a Switch overrode the owner's power at the leader's next round.
func TestOwnersPower(t *testing.T) {
	r := fiveGHz()
	f := newFixture(t, bind.Config{}, r)
	row, cmd := "Device.WiFi.Radio.1.", "Device.WiFi.Radio.1.X_USPMESH_Switch()"
	auto := func() string { return f.get(t, row+"X_USPMESH_AutoTransmitPower") }
	if got := auto(); got != "true" {
		t.Fatalf("X_USPMESH_AutoTransmitPower at start = %s, want true", got)
	}
	if err := f.set(t, row, "TransmitPower", "50"); err != nil {
		t.Fatalf("Set TransmitPower 50: %v", err)
	}
	f.waitFor(t, "the owner's power", func() bool { return len(r.powerCalls()) == 1 && auto() == "false" })
	_, err := f.command(t, cmd, map[string]string{"Channel": "36", "Term": "5", "TransmitPower": "25"})
	if codeOf(err) != datamodel.CodeCommandFailure || !strings.Contains(err.Error(), "fixed") {
		t.Errorf("leader's power over the owner's: %v, want 7022", err)
	}
	if got := r.powerCalls(); len(got) != 1 {
		t.Errorf("SetTxPower calls %v, want only the owner's", got)
	}
	// The leader may still switch the channel, at the owner's power.
	if _, err := f.command(t, cmd, map[string]string{"Channel": "36", "Term": "5", "TransmitPower": "50"}); err != nil {
		t.Errorf("switch at the owner's power: %v", err)
	}
	// -1: automatic again; the power stays, and reads as a percentage.
	if err := f.set(t, row, "TransmitPower", "-1"); err != nil {
		t.Fatalf("Set TransmitPower -1: %v", err)
	}
	f.waitFor(t, "automatic power", func() bool { return auto() == "true" && f.get(t, row+"TransmitPower") == "50" })
	if got := r.powerCalls(); len(got) != 1 {
		t.Errorf("SetTxPower calls %v after -1, want none more", got)
	}
	if _, err := f.command(t, cmd, map[string]string{"Channel": "36", "Term": "5", "TransmitPower": "25"}); err != nil || len(r.powerCalls()) != 2 {
		t.Errorf("leader's power after -1: %v, calls %v", err, r.powerCalls())
	}
	// The flag itself: false fixes the power where it is, true frees it.
	if err := f.set(t, row, "X_USPMESH_AutoTransmitPower", "false"); err != nil {
		t.Fatalf("Set X_USPMESH_AutoTransmitPower false: %v", err)
	}
	// The flag applies once the binding has the committed write: until
	// then a command may still set the power, so each try asks for
	// another one than the radio has.
	var held string
	f.waitFor(t, "the flag", func() bool {
		held = f.get(t, row+"TransmitPower")
		want := map[string]string{"25": "100", "100": "25"}[held]
		_, err := f.command(t, cmd, map[string]string{"Channel": "36", "Term": "5", "TransmitPower": want})
		return codeOf(err) == datamodel.CodeCommandFailure
	})
	if got := f.get(t, row+"TransmitPower"); got != held || auto() != "false" {
		t.Errorf("TransmitPower %s, X_USPMESH_AutoTransmitPower %s; want %s, false", got, auto(), held)
	}
	if err := f.set(t, row, "X_USPMESH_AutoTransmitPower", "true"); err != nil {
		t.Fatalf("Set X_USPMESH_AutoTransmitPower true: %v", err)
	}
	f.waitFor(t, "the flag freed", func() bool {
		want := map[string]string{"25": "100", "100": "25"}[f.get(t, row+"TransmitPower")]
		_, err := f.command(t, cmd, map[string]string{"Channel": "36", "Term": "5", "TransmitPower": want})
		return err == nil
	})
}

// TestSwitchToWhereTheRowSaysReadsTheRadio: a switch to the channel the
// row still shows, after the radio left it on its own (a radar flight not
// yet read back), asks the radio to switch instead of completing at once
// on the stale row.
func TestSwitchToWhereTheRowSaysReadsTheRadio(t *testing.T) {
	r := fiveGHz()
	f := newFixture(t, bind.Config{}, r)
	if got := f.get(t, "Device.WiFi.Radio.1.Channel"); got != "36" {
		t.Fatalf("Channel = %s, want 36", got)
	}
	// The radio moves to 149 by itself; no event reaches the binding.
	r.set(func(r *fakeRadio) { r.state.Channel, r.state.FreqMHz, r.state.Width = 149, 5745, 20 })
	done := make(chan error, 1)
	go func() {
		_, err := f.command(t, "Device.WiFi.Radio.1.X_USPMESH_Switch()", map[string]string{"Channel": "36", "Bandwidth": "80MHz", "Term": "5"})
		done <- err
	}()
	f.waitFor(t, "the switch back to 36", func() bool { return len(r.switchCalls()) > 0 })
	if got := r.switchCalls()[0]; got.Channel != 36 || got.Width != 80 {
		t.Errorf("switch %+v, want 36/80", got)
	}
	r.complete(nil)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("switch: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("command did not complete")
	}
}
