package leader

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/usp"
	"github.com/uspmesh/uspmesh/wifiopt"
)

// FuzzMeasuredProblem: whatever two Agents report of their radios (any
// band, channel, width, possible channels, unavailable channels, pinning,
// uplink) and of a neighbour network one of them scanned, and whatever
// the leader holds refused, the radios the
// measurement keeps (plannable) make a Problem the planner accepts and
// solves. An invalid Problem fails the round, and the next, and every
// one after it while the home stays as it is.
func FuzzMeasuredProblem(f *testing.F) {
	f.Add("5GHz", "36", "80MHz", "36,40,44,48,52,56,60,64", "20MHz,40MHz,80MHz,160MHz", "52", "true", "",
		"5GHz", "36", "80MHz", "36,40,44,48", "20MHz,40MHz,80MHz", "", "false", "02:00:00:00:0a:00", "25", "12,25,50,100", uint8(160), 149, 320, -50, 40)
	f.Add("6GHz", "37", "320MHz", "1,5,9,33,37,41", "20MHz,320MHz", "", "true", "",
		"2.4GHz", "6", "40MHz", "1,6,11", "20MHz,40MHz", "", "true", "02:00:00:00:0b:00", "-1", "-1", uint8(40), 37, 320, -60, -1)
	f.Add("2.4GHz", "14", "20MHz", "1,14", "20MHz", "", "false", "02:00:00:00:0b:00",
		"2.4GHz", "1", "20MHz", "1", "", "1", "true", "02:00:00:00:0a:00", "100", "0,100,500", uint8(20), 36, 80, -70, 200)
	f.Fuzz(func(t *testing.T, band1, ch1, w1, poss1, sup1, unav1, auto1, up1, band2, ch2, w2, poss2, sup2, unav2, auto2, up2, power1, powers1 string, refusedWidth uint8, sch, swidth, srssi, sutil int) {
		rows := []map[string]string{
			{"Name": "wl0", "OperatingFrequencyBand": band1, "Channel": ch1, "CurrentOperatingChannelBandwidth": w1, "PossibleChannels": poss1,
				"SupportedOperatingChannelBandwidths": sup1, "X_USPMESH_UnavailableChannels": unav1, "AutoChannelEnable": auto1,
				"X_USPMESH_UplinkBSSID": up1, "TransmitPower": power1, "TransmitPowerSupported": powers1},
			{"Name": "wl0", "OperatingFrequencyBand": band2, "Channel": ch2, "CurrentOperatingChannelBandwidth": w2, "PossibleChannels": poss2,
				"SupportedOperatingChannelBandwidths": sup2, "X_USPMESH_UnavailableChannels": unav2, "AutoChannelEnable": auto2,
				"X_USPMESH_UplinkBSSID": up2},
		}
		var radios []*measuredRadio
		var f refusals
		now := time.Unix(1e9, 0)
		for i, row := range rows {
			r := parseRadio(usp.EndpointID([]string{"os::A", "os::B"}[i]), "Device.WiFi.Radio.1.", row, nil)
			if r == nil {
				continue
			}
			r.bssids = []string{[]string{"02:00:00:00:0a:00", "02:00:00:00:0b:00"}[i]}
			// A refused widening of the radio's own channel.
			f.add(r.id(), r.band, wifiopt.Assignment{Channel: r.current.Channel, Width: int(refusedWidth)}, now.Add(RefusedHold))
			radios = append(radios, r)
		}
		f.leaveOut(radios, now)
		// A foreign network as radio 1's scan reported it.
		var sights []sighting
		if len(radios) > 0 {
			s, ok := parseSighting(radios[0], map[string]string{"Channel": strconv.Itoa(sch), "OperatingChannelBandwidth": strconv.Itoa(swidth) + "MHz",
				"SignalStrength": strconv.Itoa(srssi), "X_USPMESH_Utilization": strconv.Itoa(sutil), "BSSID": "02:f0:00:00:00:01"})
			if ok {
				sights = append(sights, s)
			}
		}
		radios = slices.DeleteFunc(radios, func(r *measuredRadio) bool { return plannable(r) != nil })
		if len(radios) == 0 {
			return
		}
		p, _ := (&measurement{radios: radios, sightings: sights}).build()
		if err := wifiopt.Validate(p); err != nil {
			t.Fatalf("plannable radios make an invalid Problem: %v\n%+v", err, p.Radios)
		}
		plan, err := wifiopt.Solve(t.Context(), p, wifiopt.Options{Seed: 1, Budget: 20 * time.Millisecond})
		if err != nil {
			t.Fatalf("solve: %v", err)
		}
		if _, err := wifiopt.PlanPower(t.Context(), p, plan.Assign); err != nil {
			t.Fatalf("power: %v", err)
		}
	})
}
