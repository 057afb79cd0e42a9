package node

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

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
	util    int
}

// measurement is what one round collects.
type measurement struct {
	radios    []*measuredRadio
	sightings []sighting
	failed    map[usp.EndpointID]error
}

// measure collects every Agent's radios and scan results, the Agents in
// parallel, each bounded by timeout.
func (m *mesh) measure(ctx context.Context, agents []usp.EndpointID, timeout time.Duration) *measurement {
	var mu sync.Mutex
	out := &measurement{failed: map[usp.EndpointID]error{}}
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			radios, sights, err := m.measureAgent(cctx, a)
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
	return out
}

// measureAgent reads one Agent's radios and SSIDs, runs its neighbour
// scan and reads the results.
func (m *mesh) measureAgent(ctx context.Context, a usp.EndpointID) ([]*measuredRadio, []sighting, error) {
	rows, err := m.getRows(ctx, a, "Device.WiFi.Radio.", "Device.WiFi.SSID.")
	if err != nil {
		return nil, nil, err
	}
	byRow := map[string]*measuredRadio{}
	var radios []*measuredRadio
	for path, v := range rows {
		if !isRow(path, "Device.WiFi.Radio.") {
			continue
		}
		ch, _ := strconv.Atoi(v["Channel"])
		w, _ := strconv.Atoi(strings.TrimSuffix(v["CurrentOperatingChannelBandwidth"], "MHz"))
		if ch == 0 || w == 0 || v["Name"] == "" {
			continue
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
		byRow[strings.TrimSuffix(path, ".")] = r
		radios = append(radios, r)
	}
	for path, v := range rows {
		if !isRow(path, "Device.WiFi.SSID.") {
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
	if err := m.runScan(ctx, a); err != nil {
		return nil, nil, err
	}
	res, err := m.getRows(ctx, a, "Device.WiFi.NeighboringWiFiDiagnostic.Result.")
	if err != nil {
		return nil, nil, err
	}
	var sights []sighting
	for path, v := range res {
		if !isRow(path, "Device.WiFi.NeighboringWiFiDiagnostic.Result.") {
			continue
		}
		r := byRow[strings.TrimSuffix(v["Radio"], ".")]
		ch, _ := strconv.Atoi(v["Channel"])
		rssi, err := strconv.Atoi(v["SignalStrength"])
		if r == nil || ch == 0 || err != nil {
			continue
		}
		w, _ := strconv.Atoi(strings.TrimSuffix(v["OperatingChannelBandwidth"], "MHz"))
		util := -1
		if u, err := strconv.Atoi(v["X_USPMESH_Utilization"]); err == nil {
			util = u
		}
		sights = append(sights, sighting{by: r.id(), bssid: strings.ToLower(v["BSSID"]), channel: ch, width: max(w, 20),
			rssi: float64(rssi), util: util})
	}
	return radios, sights, nil
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

// getRows Gets paths on Agent a and returns the parameters by object
// path.
func (m *mesh) getRows(ctx context.Context, a usp.EndpointID, paths ...string) (map[string]map[string]string, error) {
	resp, err := m.client.Get(ctx, a, 0, paths...)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for _, rr := range resp.GetReqPathResults() {
		if rr.GetErrCode() != 0 {
			return nil, fmt.Errorf("get %s: %d %s", rr.GetRequestedPath(), rr.GetErrCode(), rr.GetErrMsg())
		}
		for _, res := range rr.GetResolvedPathResults() {
			row := out[res.GetResolvedPath()]
			if row == nil {
				row = map[string]string{}
				out[res.GetResolvedPath()] = row
			}
			for k, v := range res.GetResultParams() {
				row[k] = v
			}
		}
	}
	return out, nil
}

// runScan runs Device.WiFi.NeighboringWiFiDiagnostic() on Agent a and
// waits (bounded by ctx) until its Request row is gone.
func (m *mesh) runScan(ctx context.Context, a usp.EndpointID) error {
	_, err := m.operateWait(ctx, a, "Device.WiFi.NeighboringWiFiDiagnostic()", nil)
	return err
}

// operateWait runs an async command and waits until it ends: the
// Agent's Request row disappears. It returns the request path.
func (m *mesh) operateWait(ctx context.Context, a usp.EndpointID, cmd string, args map[string]string) (string, error) {
	key := fmt.Sprintf("mesh-%d", time.Now().UnixNano())
	resp, err := m.client.Operate(ctx, a, cmd, key, args)
	if err != nil {
		return "", err
	}
	var req string
	for _, r := range resp.GetOperationResults() {
		if f := r.GetCmdFailure(); f != nil {
			return "", fmt.Errorf("%s: %d %s", cmd, f.GetErrCode(), f.GetErrMsg())
		}
		if p := r.GetReqObjPath(); p != "" {
			req = p
		}
	}
	if req == "" {
		return "", nil // completed synchronously
	}
	tick := time.NewTicker(150 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return req, fmt.Errorf("%s on %s: %w", cmd, a, ctx.Err())
		case <-tick.C:
		}
		r, err := m.client.Get(ctx, a, 1, req)
		if err != nil {
			continue
		}
		gone := true
		for _, rr := range r.GetReqPathResults() {
			if rr.GetErrCode() == 0 && len(rr.GetResolvedPathResults()) > 0 {
				gone = false
			}
		}
		if gone {
			return req, nil
		}
	}
}

// problem turns a measurement into the planner's Problem. Mesh radios
// heard in a scan become Links; every other BSS is foreign.
func (ms *measurement) problem() *wifiopt.Problem {
	p := &wifiopt.Problem{SwitchCost: 0.02, DFSCost: 1}
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
