package leader

import (
	"slices"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
)

// TestRefusedWideningKeepsCurrentBlock: a radio on 36/80 refused a
// widening to 36/160 (say its hostapd cannot do radar detection on
// 52-64). The hold covers 36-64, but the radio still operates on 36-48:
// those stay allowed, the plan is valid, and it does not ask for 160
// again. The leader used to keep only the primary, 36, and every round
// for 30 minutes failed ("current channel 36 width 80 not allowed").
// Likewise a radio whose PossibleChannels leave out part of the block it
// operates on keeps that block.
func TestRefusedWideningKeepsCurrentBlock(t *testing.T) {
	row := map[string]string{"Name": "wl0", "Channel": "36", "CurrentOperatingChannelBandwidth": "80MHz",
		"OperatingFrequencyBand": "5GHz", "PossibleChannels": "36,40,44,48,52,56,60,64,149,153,157,161",
		"SupportedOperatingChannelBandwidths": "20MHz,40MHz,80MHz,160MHz"}
	r := parseRadio("os::A", "Device.WiFi.Radio.1.", row, nil)
	var f refusals
	now := time.Unix(1e9, 0)
	f.add(r.id(), r.band, wifiopt.Assignment{Channel: 36, Width: 160}, now.Add(RefusedHold))
	f.leaveOut([]*measuredRadio{r}, now)
	p, inputs := (&measurement{radios: []*measuredRadio{r}}).build()
	if err := wifiopt.Validate(p); err != nil {
		t.Fatalf("after the refusal: %v", err)
	}
	plan, err := wifiopt.Solve(t.Context(), p, wifiopt.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Assign[r.id()]; got.Width == 160 {
		t.Errorf("planned %+v, a block it refused", got)
	}
	if !slices.Equal(inputs[0].Refused, []int{52, 56, 60, 64}) {
		t.Errorf("Input Refused %v, want 52-64", inputs[0].Refused)
	}

	row["PossibleChannels"] = "36,40,149,153,157,161" // 44 and 48 missing
	if err := wifiopt.Validate((&measurement{radios: []*measuredRadio{parseRadio("os::A", "Device.WiFi.Radio.1.", row, nil)}}).problem()); err != nil {
		t.Errorf("operating on 36-48 with 44 and 48 not listed: %v", err)
	}
}
