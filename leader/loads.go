package leader

import (
	"maps"
	"slices"

	"github.com/uspmesh/uspmesh/wifiopt"
)

// The planner's loads from what the radios measured.
//
// A mesh radio's Load is its own airtime share (transmit plus receive
// time over listening time, Radio.{i}.Stats.X_USPMESH_Airtime); a radio
// that reports none is assumed at meshRadioLoad.
//
// A foreign BSS that sends a BSS Load element gets its channel
// utilisation. The others get a share of the busy time the measuring
// radio surveyed on their primary channel that nothing else explains:
// busy − (the radio's own load, the loads of the mesh radios it hears
// above carrier sense, the advertised loads of the foreign networks it
// hears above carrier sense, each times the share of the channel its
// spectrum covers), spread equally over the foreign networks without BSS
// Load on that channel. Equally, not by RSSI: the signal says how loud a
// network is, not how much it transmits, and every network heard above
// carrier sense defers the radio for all of its airtime. A foreign BSS
// on a channel the radio did not survey is assumed at
// foreignLoadUnknown.
//
// What is still unexplained after that (no foreign network without BSS
// Load to blame: non-Wi-Fi energy, networks too weak to decode) becomes a
// wifiopt.Busy of the radio and channel, when at least minBusy, so no
// airtime is counted twice.

// minBusy is the smallest unexplained busy share that becomes a
// wifiopt.Busy: below it, survey noise.
const minBusy = 0.01

// Values of Device.X_USPMESH_Mesh.Plan.Input.{i}.Source.
const (
	SourceMeasured = "Measured" // the radio's own airtime measurement
	SourceAssumed  = "Assumed"  // no measurement: meshRadioLoad
)

// heardMesh is a mesh radio another mesh radio hears.
type heardMesh struct {
	id   string
	rssi float64
}

// clientLinks are the planner's ClientRSSI: for each radio, what its
// stations hear of each other mesh radio of its band
// (wifiopt.ClientInterference of their observations of its BSSs, which
// leaves out levels the planner would ignore).
// byBSSID maps every mesh BSSID to its radio's planner ID.
func clientLinks(radios []*measuredRadio, byBSSID map[string]string) []wifiopt.Link {
	band := map[string]wifiopt.Band{}
	for _, r := range radios {
		band[r.id()] = r.band
	}
	var out []wifiopt.Link
	for _, r := range radios {
		levels := map[string][]float64{}
		var from []string
		for b, lv := range r.clientSeen {
			id, ok := byBSSID[b]
			if !ok || id == r.id() || band[id] != r.band {
				continue
			}
			if _, seen := levels[id]; !seen {
				from = append(from, id)
			}
			levels[id] = append(levels[id], lv...)
		}
		slices.Sort(from)
		for _, id := range from {
			if v, ok := wifiopt.ClientInterference(levels[id]); ok {
				out = append(out, wifiopt.Link{From: id, To: r.id(), RSSI: v})
			}
		}
	}
	return out
}

// problem turns a measurement into the planner's Problem. Mesh radios
// heard in a scan become Links; every other BSS is foreign.
func (ms *measurement) problem() *wifiopt.Problem {
	p, _ := ms.build()
	return p
}

// build turns a measurement into the planner's Problem and the inputs
// each radio contributed to it (Plan.Input rows, in radio order).
func (ms *measurement) build() (*wifiopt.Problem, []Input) {
	p := &wifiopt.Problem{SwitchCost: wifiopt.DefaultSwitchCost, DFSCost: wifiopt.DefaultDFSCost}
	inputs := make([]Input, len(ms.radios))
	byBSSID := map[string]string{}
	byID := map[string]int{}
	for i, r := range ms.radios {
		var chans []wifiopt.Channel
		for _, c := range r.allowed {
			chans = append(chans, wifiopt.Channel{Number: c, DFS: isDFS(r.band, c)})
		}
		widths := r.widths
		if !slices.Contains(widths, r.current.Width) {
			widths = nil // unknown capabilities: keep the current width
		}
		load, source := r.airtime, SourceMeasured
		if load < 0 || load > 1 {
			load, source = meshRadioLoad, SourceAssumed
		}
		cut, fixed := r.powerCut()
		p.Radios = append(p.Radios, wifiopt.Radio{ID: r.id(), Node: string(r.agent), Band: r.band, Channels: chans,
			Widths: widths, Current: r.current, Load: load, ClientSignalDBm: r.clientSignal,
			WeakestClientDBm: r.weakestSignal,
			TxPowerDBm:       -cut, PowerCutDB: cut, PowerFixed: fixed})
		inputs[i] = Input{Radio: r.id(), Load: load, Source: source, Busy: r.busy, ClientSignal: r.clientSignal,
			WeakestClient: r.weakestSignal, Unavailable: r.unavailable, Refused: r.refused}
		byID[r.id()] = i
		for _, b := range r.bssids {
			byBSSID[b] = r.id()
		}
	}
	backhauls(p, ms.radios, byBSSID, byID, inputs)
	mesh := map[string][]heardMesh{} // by hearing radio
	foreign := map[string][]int{}    // indexes into p.Foreign, by hearing radio
	advertised := map[int]bool{}     // p.Foreign indexes with a BSS Load
	for _, s := range ms.sightings {
		if _, ok := byID[s.by]; !ok {
			continue
		}
		if from, ok := byBSSID[s.bssid]; ok {
			if from != s.by {
				p.RSSI = append(p.RSSI, wifiopt.Link{From: from, To: s.by, RSSI: s.rssi})
				mesh[s.by] = append(mesh[s.by], heardMesh{from, s.rssi})
			}
			continue
		}
		width, ok := foreignWidth(ms.radios[byID[s.by]].band, s.channel, s.width)
		if !ok {
			continue // not a channel of the hearing radio's band
		}
		f := wifiopt.ForeignBSS{Radio: s.by, Channel: s.channel, Width: width, RSSI: s.rssi, Load: foreignLoadUnknown}
		if s.util >= 0 && s.util <= 100 {
			f.Load = float64(s.util) / 100
			advertised[len(p.Foreign)] = true
		}
		foreign[s.by] = append(foreign[s.by], len(p.Foreign))
		p.Foreign = append(p.Foreign, f)
	}
	p.ClientRSSI = clientLinks(ms.radios, byBSSID)
	for _, l := range p.ClientRSSI {
		inputs[byID[l.To]].ClientHeard = append(inputs[byID[l.To]].ClientHeard, l)
	}
	for i, r := range ms.radios {
		a := attribution{p: p, r: r, self: &p.Radios[i], byID: byID, mesh: mesh[r.id()],
			foreign: foreign[r.id()], advertised: advertised}
		a.run(&inputs[i])
	}
	return p, inputs
}

// foreignWidth is the width the plan takes a foreign network on primary
// channel ch of band b at: its advertised width, or the widest block the
// planner knows below it (a 320 MHz Wi-Fi 7 neighbour counts as 160 MHz,
// a width its channel cannot have as the next that fits). ok is false
// when ch is no channel of b. Scan results are what neighbours beacon:
// taken as they came, one odd neighbour made the whole Problem invalid
// and every round failed.
func foreignWidth(b wifiopt.Band, ch, width int) (int, bool) {
	for _, w := range []int{160, 80, 40, 20} {
		if w > width && w != 20 {
			continue
		}
		if _, err := wifiopt.Block(b, ch, w); err == nil {
			return w, true
		}
	}
	return 0, false
}

// attribution explains one radio's surveyed busy time.
type attribution struct {
	p          *wifiopt.Problem
	r          *measuredRadio
	self       *wifiopt.Radio
	byID       map[string]int
	mesh       []heardMesh
	foreign    []int
	advertised map[int]bool
}

// run sets the loads of the radio's foreign networks without BSS Load,
// adds its unexplained busy time to the Problem and fills in.
func (a *attribution) run(in *Input) {
	p, band := a.p, a.r.band
	chs := slices.Sorted(maps.Keys(a.r.survey))
	unexplained := map[int]float64{}
	for _, c := range chs {
		explained := a.self.Load * cover(band, a.self.Current.Channel, a.self.Current.Width, c)
		for _, m := range a.mesh {
			if m.rssi >= wifiopt.CarrierSenseDBm {
				j := &p.Radios[a.byID[m.id]]
				explained += j.Load * cover(band, j.Current.Channel, j.Current.Width, c)
			}
		}
		for _, k := range a.foreign {
			if f := &p.Foreign[k]; a.advertised[k] && f.RSSI >= wifiopt.CarrierSenseDBm {
				explained += f.Load * cover(band, f.Channel, f.Width, c)
			}
		}
		unexplained[c] = max(0, a.r.survey[c]-explained)
	}
	blamed := map[int][]int{} // foreign networks without BSS Load by primary channel
	for _, k := range a.foreign {
		switch c := p.Foreign[k].Channel; {
		case a.advertised[k]:
			in.ForeignBSSLoad++
		case slices.Contains(chs, c):
			blamed[c] = append(blamed[c], k)
			in.ForeignInferred++
		default:
			in.ForeignAssumed++ // keeps foreignLoadUnknown
		}
	}
	for c, ks := range blamed {
		for _, k := range ks {
			p.Foreign[k].Load = min(1, unexplained[c]/float64(len(ks)))
		}
	}
	for _, c := range chs {
		rest := unexplained[c]
		for _, k := range a.foreign {
			if f := &p.Foreign[k]; !a.advertised[k] && slices.Contains(chs, f.Channel) {
				rest -= f.Load * cover(band, f.Channel, f.Width, c)
			}
		}
		// Only channels the radio may use matter, and only they are
		// channels of its band for certain.
		if rest >= minBusy && slices.Contains(a.r.allowed, c) {
			rest = min(rest, 1)
			p.Busy = append(p.Busy, wifiopt.Busy{Radio: a.r.id(), Channel: c, Fraction: rest})
			in.Unexplained += rest
		}
	}
}

// cover is the share of 20 MHz channel c's spectrum that a transmission
// of width MHz with primary channel ch occupies, in band b.
func cover(b wifiopt.Band, ch, width, c int) float64 {
	lo, hi, ok := spectrum(b, ch, width)
	fc := channelMHz(b, c)
	if !ok || fc == 0 {
		return 0
	}
	l, h := max(lo, fc-10), min(hi, fc+10)
	if h <= l {
		return 0
	}
	return float64(h-l) / 20
}

// spectrum is the span in MHz of a channel of width MHz with primary ch:
// 2.4 GHz 40 MHz bonds upwards from primaries 1-7 and downwards above;
// 5 and 6 GHz wide channels are the aligned blocks of the 20 MHz grid
// (5 GHz from 36 and from 149, 6 GHz from 1), as wifiopt places them.
func spectrum(b wifiopt.Band, ch, width int) (lo, hi int, ok bool) {
	f := channelMHz(b, ch)
	if f == 0 {
		return 0, 0, false
	}
	if width <= 20 {
		return f - 10, f + 10, true
	}
	switch b {
	case wifiopt.Band2G4:
		if ch <= 7 {
			return f - 10, f + 30, true
		}
		return f - 30, f + 10, true
	case wifiopt.Band5G, wifiopt.Band6G:
		base := 1
		if b == wifiopt.Band5G {
			base = 36
			if ch >= 149 {
				base = 149
			}
		}
		n := width / 20
		if ch < base || n <= 0 {
			return 0, 0, false
		}
		first := base + (ch-base)/(4*n)*(4*n)
		lo = channelMHz(b, first) - 10
		return lo, lo + width, true
	}
	return 0, 0, false
}

// channelMHz is the centre frequency of 20 MHz channel ch in band b, 0
// when ch is not one of its channels.
func channelMHz(b wifiopt.Band, ch int) int {
	switch b {
	case wifiopt.Band2G4:
		switch {
		case ch == 14:
			return 2484
		case ch >= 1 && ch <= 13:
			return 2407 + 5*ch
		}
	case wifiopt.Band5G:
		if ch >= 32 && ch <= 177 {
			return 5000 + 5*ch
		}
	case wifiopt.Band6G:
		if ch >= 1 && ch <= 233 && ch%4 == 1 {
			return 5950 + 5*ch
		}
	}
	return 0
}
