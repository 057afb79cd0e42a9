package node

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/radio"
)

// TestOwnersRadioSettingsSurviveRestart: a Controller pins a sim radio's
// channel and fixes its power over USP; after the node restarts (the sim
// radio back on the home's configured channel, as a real AP's hostapd
// restarts on its configuration) the Radio row shows the pin and the
// power again and the radio is taken back there. Before the owner file
// both were lost at the restart.
func TestOwnersRadioSettingsSurviveRestart(t *testing.T) {
	home, _ := dipHome(t)
	cfg := baseConfig(t)
	n := startNode(t, cfg, Deps{Radios: openSim(t, home, "ap1", t.TempDir())})
	row := ""
	for i := 1; i <= rows(t, n, "Device.WiFi.Radio."); i++ {
		p := "Device.WiFi.Radio." + string(rune('0'+i)) + "."
		if get(t, n, p+"OperatingFrequencyBand") == "5GHz" {
			row = p
		}
	}
	if row == "" {
		t.Fatal("no 5 GHz radio")
	}
	start := get(t, n, row+"Channel")
	target := ""
	for _, ch := range strings.Split(get(t, n, row+"PossibleChannels"), ",") {
		if ch != start && slices.Contains([]string{"36", "40", "44", "48"}, ch) {
			target = ch
			break
		}
	}
	c := dialNode(t, n, testCtl, testPSK)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.client.Set(ctx, c.agent, false, &uspmsg.Set_UpdateObject{ObjPath: row, ParamSettings: []*uspmsg.Set_UpdateParamSetting{
		{Param: "AutoChannelEnable", Value: "false", Required: true},
		{Param: "Channel", Value: target, Required: true},
		{Param: "OperatingChannelBandwidth", Value: "20MHz", Required: true},
		{Param: "TransmitPower", Value: "50", Required: true}}})
	if err != nil {
		t.Fatalf("pin %s on %s: %v", target, row, err)
	}
	owned := func(n *Node) bool {
		return get(t, n, row+"Channel") == target && get(t, n, row+"CurrentOperatingChannelBandwidth") == "20MHz" &&
			get(t, n, row+"AutoChannelEnable") == "false" &&
			get(t, n, row+"TransmitPower") == "50" && get(t, n, row+"X_USPMESH_AutoTransmitPower") == "false"
	}
	waitFor(t, 20*time.Second, "the owner's channel and power", func() bool { return owned(n) })
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	// The radio itself, as the restarted node finds it: on the home's
	// channel at its configured power.
	sim2 := openSim(t, home, "ap1", t.TempDir())
	rs, err := sim2.Radios(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var r radio.Radio
	for _, x := range rs {
		if info, _ := x.Info(ctx); info.Caps.Band == radio.Band5G {
			r = x
		}
	}
	if st, _ := r.State(ctx); strconv.Itoa(st.Channel) != start {
		t.Fatalf("the restarted radio is on %d, want the home's %s", st.Channel, start)
	}
	n2 := startNode(t, cfg, Deps{Radios: sim2})
	waitFor(t, 20*time.Second, "the owner's channel and power after the restart", func() bool {
		st, err := r.State(ctx)
		return err == nil && !st.Switching && strconv.Itoa(st.Channel) == target && st.Width == 20 && owned(n2)
	})
}
