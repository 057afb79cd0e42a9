package leader

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/uspmesh/uspmesh/usp"
	"github.com/uspmesh/uspmesh/wifiopt"
)

// The leader's measurements: every Agent's radios, SSIDs (their BSSIDs
// tell mesh neighbours from foreign networks) and a neighbour scan, all
// through USP.

// Defaults of the measurement model where USP gives no figure.
const (
	// meshRadioLoad is the airtime share assumed for each mesh radio:
	// TR-181 reports no per-radio airtime, so every AP counts as
	// moderately busy.
	meshRadioLoad = 0.5
	// foreignLoadUnknown is the airtime share of a foreign BSS that
	// advertises no BSS Load.
	foreignLoadUnknown = 0.3
	// switchCost and dfsCost are the planner's price of a switch and of
	// a channel availability check.
	switchCost = 0.02
	dfsCost    = 1
)

// measuredRadio is one mesh radio as measured.
type measuredRadio struct {
	agent   usp.EndpointID
	row     string // Device.WiFi.Radio.{i}. path on its Agent
	name    string
	band    wifiopt.Band
	current wifiopt.Assignment
	allowed []int
	widths  []int // MHz, the widths the radio supports (up to 160)
	bssids  []string
}

// id is the radio's planner ID, also Plan.Assignment.{i}.Radio.
func (r *measuredRadio) id() string { return string(r.agent) + "/" + r.name }

// sighting is one neighbour scan result.
type sighting struct {
	by      string // planner ID of the measuring radio
	bssid   string
	channel int
	width   int
	rssi    float64
	util    int // BSS Load channel utilisation in percent; -1 when unknown
}

// measurement is what one round collects.
type measurement struct {
	radios    []*measuredRadio
	sightings []sighting
	failed    map[usp.EndpointID]error
}

// measure collects every Agent's radios and scan results, the Agents in
// parallel, each bounded by MeasureTimeout. Radios come sorted by ID and
// sightings by measuring radio and BSSID, so equal homes give equal
// Problems.
func (l *Loop) measure(ctx context.Context, agents []usp.EndpointID) *measurement {
	var mu sync.Mutex
	out := &measurement{failed: map[usp.EndpointID]error{}}
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Go(func() {
			cctx, cancel := withTimeout(ctx, l.clk, l.cfg.MeasureTimeout)
			defer cancel()
			radios, sights, err := l.measureAgent(cctx, a)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				out.failed[a] = err
				return
			}
			out.radios = append(out.radios, radios...)
			out.sightings = append(out.sightings, sights...)
		})
	}
	wg.Wait()
	slices.SortFunc(out.radios, func(a, b *measuredRadio) int { return strings.Compare(a.id(), b.id()) })
	slices.SortStableFunc(out.sightings, func(a, b sighting) int {
		return cmp.Or(strings.Compare(a.by, b.by), strings.Compare(a.bssid, b.bssid))
	})
	return out
}

// measureAgent reads one Agent's radios and SSIDs, runs its neighbour
// scan and reads the results.
func (l *Loop) measureAgent(ctx context.Context, a usp.EndpointID) ([]*measuredRadio, []sighting, error) {
	rows, err := l.getRows(ctx, a, radioTable, ssidTable)
	if err != nil {
		return nil, nil, err
	}
	byRow := map[string]*measuredRadio{}
	var radios []*measuredRadio
	for path, v := range rows {
		if !isRow(path, radioTable) {
			continue
		}
		if r := parseRadio(a, path, v); r != nil {
			byRow[strings.TrimSuffix(path, ".")] = r
			radios = append(radios, r)
		}
	}
	for path, v := range rows {
		if !isRow(path, ssidTable) {
			continue
		}
		for _, ll := range strings.Split(v["LowerLayers"], ",") {
			if r := byRow[strings.TrimSuffix(strings.TrimSpace(ll), ".")]; r != nil && v["BSSID"] != "" {
				r.bssids = append(r.bssids, strings.ToLower(v["BSSID"]))
			}
		}
	}
	if len(radios) == 0 {
		return nil, nil, nil
	}
	if _, err := l.operateWait(ctx, a, scanCommand, nil); err != nil {
		return nil, nil, err
	}
	res, err := l.getRows(ctx, a, resultTable)
	if err != nil {
		return nil, nil, err
	}
	var sights []sighting
	for path, v := range res {
		if !isRow(path, resultTable) {
			continue
		}
		if r := byRow[strings.TrimSuffix(v["Radio"], ".")]; r != nil {
			if s, ok := parseSighting(r, v); ok {
				sights = append(sights, s)
			}
		}
	}
	return radios, sights, nil
}

// parseRadio reads one Device.WiFi.Radio.{i}. row of Agent a; nil when
// the radio has no channel, width or name.
func parseRadio(a usp.EndpointID, path string, v map[string]string) *measuredRadio {
	ch, _ := strconv.Atoi(v["Channel"])
	w, _ := strconv.Atoi(strings.TrimSuffix(v["CurrentOperatingChannelBandwidth"], "MHz"))
	if ch == 0 || w == 0 || v["Name"] == "" {
		return nil
	}
	r := &measuredRadio{agent: a, row: path, name: v["Name"], band: wifiopt.Band(v["OperatingFrequencyBand"]),
		current: wifiopt.Assignment{Channel: ch, Width: w}}
	for _, s := range strings.Split(v["PossibleChannels"], ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			r.allowed = append(r.allowed, n)
		}
	}
	if !slices.Contains(r.allowed, ch) {
		r.allowed = append(r.allowed, ch)
	}
	for _, s := range strings.Split(v["SupportedOperatingChannelBandwidths"], ",") {
		if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(s), "MHz")); err == nil && n <= 160 {
			r.widths = append(r.widths, n)
		}
	}
	if v["AutoChannelEnable"] == "false" {
		// Pinned by a Controller: the plan keeps it where it is.
		r.allowed, r.widths = []int{ch}, nil
	}
	return r
}

// parseSighting reads one Device.WiFi.NeighboringWiFiDiagnostic.Result.{i}.
// row measured by r; false when it has no channel or signal strength.
func parseSighting(r *measuredRadio, v map[string]string) (sighting, bool) {
	ch, _ := strconv.Atoi(v["Channel"])
	rssi, err := strconv.Atoi(v["SignalStrength"])
	if ch == 0 || err != nil {
		return sighting{}, false
	}
	w, _ := strconv.Atoi(strings.TrimSuffix(v["OperatingChannelBandwidth"], "MHz"))
	util := -1
	if u, err := strconv.Atoi(v["X_USPMESH_Utilization"]); err == nil {
		util = u
	}
	return sighting{by: r.id(), bssid: strings.ToLower(v["BSSID"]), channel: ch, width: max(w, 20),
		rssi: float64(rssi), util: util}, true
}

// isRow says whether path is a row of table (one instance level below).
func isRow(path, table string) bool {
	rest, ok := strings.CutPrefix(path, table)
	if !ok {
		return false
	}
	n, ok := strings.CutSuffix(rest, ".")
	if !ok {
		return false
	}
	_, err := strconv.Atoi(n)
	return err == nil
}

// problem turns a measurement into the planner's Problem. Mesh radios
// heard in a scan become Links; every other BSS is foreign.
func (ms *measurement) problem() *wifiopt.Problem {
	p := &wifiopt.Problem{SwitchCost: switchCost, DFSCost: dfsCost}
	byBSSID := map[string]string{}
	for _, r := range ms.radios {
		var chans []wifiopt.Channel
		for _, c := range r.allowed {
			chans = append(chans, wifiopt.Channel{Number: c, DFS: r.band == wifiopt.Band5G && c >= 52 && c <= 144})
		}
		widths := r.widths
		if !slices.Contains(widths, r.current.Width) {
			widths = nil // unknown capabilities: keep the current width
		}
		p.Radios = append(p.Radios, wifiopt.Radio{ID: r.id(), Node: string(r.agent), Band: r.band, Channels: chans,
			Widths: widths, Current: r.current, Load: meshRadioLoad})
		for _, b := range r.bssids {
			byBSSID[b] = r.id()
		}
	}
	ids := map[string]bool{}
	for _, r := range ms.radios {
		ids[r.id()] = true
	}
	for _, s := range ms.sightings {
		if !ids[s.by] {
			continue
		}
		if from, ok := byBSSID[s.bssid]; ok {
			if from != s.by {
				p.RSSI = append(p.RSSI, wifiopt.Link{From: from, To: s.by, RSSI: s.rssi})
			}
			continue
		}
		load := foreignLoadUnknown
		if s.util >= 0 {
			load = float64(s.util) / 100
		}
		p.Foreign = append(p.Foreign, wifiopt.ForeignBSS{Radio: s.by, Channel: s.channel, Width: s.width, RSSI: s.rssi, Load: load})
	}
	return p
}
