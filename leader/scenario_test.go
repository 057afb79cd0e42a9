package leader

import (
	"fmt"

	"github.com/uspmesh/uspmesh/usp"
)

// Endpoint IDs of the fake homes. The leader's sorts first, so that
// "its radios last" is not just the order of the names.
const (
	agentA usp.EndpointID = "os::012345-A" // the leader
	agentB usp.EndpointID = "os::012345-B"
	agentC usp.EndpointID = "os::012345-C"
	agentD usp.EndpointID = "os::012345-D"
)

// radio5 is a 20 MHz-only 5 GHz radio on channel ch, allowed 36-48.
func radio5(name string, ch int, bssid string) *fakeRadio {
	return &fakeRadio{name: name, band: "5GHz", channel: ch, width: 20, possible: []int{36, 40, 44, 48},
		widths: "20MHz", bssid: bssid}
}

// radio24 is a 20 MHz 2.4 GHz radio on channel ch, allowed 1, 6, 11.
func radio24(name string, ch int, bssid string) *fakeRadio {
	return &fakeRadio{name: name, band: "2.4GHz", channel: ch, width: 20, possible: []int{1, 6, 11},
		widths: "20MHz", bssid: bssid}
}

// busy lists strong, busy foreign networks heard by radio on channels.
func busy(radio string, channels ...int) []fakeBSS {
	var out []fakeBSS
	for _, ch := range channels {
		out = append(out, fakeBSS{radio: radio, bssid: fmt.Sprintf("02:f0:00:00:%02x:%02x", len(radio), ch),
			channel: ch, rssi: -40, util: 90})
	}
	return out
}

// crowdedHome is four APs all on channel 36, each hearing busy foreign
// networks on three of the four channels, so the best plan is unique:
// A (the leader) to 48, B to 40, C to 44, D stays on 36; A's 2.4 GHz
// radio, crowded on 1 and 6, goes to 11.
func crowdedHome() []*fakeAgent {
	return []*fakeAgent{
		{id: agentA, radios: []*fakeRadio{radio5("wl0", 36, "02:00:00:00:0a:00"), radio24("wl1", 1, "02:00:00:00:0a:01")},
			foreign: append(busy("wl0", 36, 40, 44), busy("wl1", 1, 6)...)},
		{id: agentB, radios: []*fakeRadio{radio5("wl0", 36, "02:00:00:00:0b:00")}, foreign: busy("wl0", 36, 44, 48)},
		{id: agentC, radios: []*fakeRadio{radio5("wl0", 36, "02:00:00:00:0c:00")}, foreign: busy("wl0", 36, 40, 48)},
		{id: agentD, radios: []*fakeRadio{radio5("wl0", 36, "02:00:00:00:0d:00")}, foreign: busy("wl0", 40, 44, 48)},
	}
}

// settledHome is crowdedHome after its plan: nothing is worth switching.
func settledHome() []*fakeAgent {
	h := crowdedHome()
	h[0].radios[0].channel, h[0].radios[1].channel = 48, 11
	h[1].radios[0].channel = 40
	h[2].radios[0].channel = 44
	return h
}
