package leader

import (
	"cmp"
	"context"
	"maps"
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
	// meshRadioLoad is the airtime share assumed for a mesh radio that
	// reports no own airtime (Radio.{i}.Stats.X_USPMESH_Airtime -1 or
	// missing): moderately busy. Plan.Input.{i}.Source says "Assumed".
	meshRadioLoad = 0.5
	// foreignLoadUnknown is the airtime share assumed for a foreign BSS
	// that advertises no BSS Load when the measuring radio reports no
	// busy time of the BSS's channel to infer it from.
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
	// airtime is the radio's own airtime share (0..1) and busy the busy
	// share of its operating channel, -1 when it reports none; survey is
	// the busy share by channel of the channels its survey covers.
	airtime, busy float64
	survey        map[int]float64
	// clientSignal is the weak client's signal (wifiopt.ClientSignal of
	// its associated stations' signals, dBm), 0 when it has none or its
	// Agent reported no stations.
	clientSignal float64
	// weakestSignal is its weakest station's signal (wifiopt.WeakestSignal),
	// 0 as clientSignal is.
	weakestSignal float64
	// power is the radio's TransmitPower (percent of its full power) and
	// powerMin the lowest percentage its TransmitPowerSupported lists; power
	// is 0 when the radio reports none (-1: it cannot set its power).
	power, powerMin int
	// pinned is AutoChannelEnable false: a Controller manages the radio,
	// so the plan keeps its channel and its power.
	pinned bool
	// ownerPower is X_USPMESH_AutoTransmitPower false: a Controller fixed
	// the radio's power (the plan keeps it; channels are still planned).
	ownerPower bool
	// unavailable are its channels in their DFS non-occupancy period
	// (X_USPMESH_UnavailableChannels) and refused those the leader holds
	// away from it after it refused a switch (refusals): both left out of
	// allowed.
	unavailable, refused []int
	// clientSeen is, by BSSID of another BSS, the levels (dBm) at which
	// the radio's stations and that BSS see each other (their
	// X_USPMESH_Seen observations, as the steering pass reads them).
	clientSeen map[string][]float64
	// uplink is the BSSID (lower case) of the AP the radio's wireless
	// backhaul station is associated to (X_USPMESH_UplinkBSSID), "" when
	// it has none; uplinkKbps is that link's PHY rate
	// (X_USPMESH_UplinkRate), 0 when unknown.
	uplink     string
	uplinkKbps int
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
	// inputs are what each radio contributed to the round's Problem
	// (set when it is built).
	inputs []Input
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
	out.radios = slices.DeleteFunc(out.radios, func(r *measuredRadio) bool {
		err := plannable(r)
		if err != nil {
			l.log.Info("radio left out of the plan: the planner cannot represent where it operates; its beacons count as a foreign network",
				"radio", r.id(), "channel", r.current.Channel, "width", r.current.Width, "err", err)
		}
		return err != nil
	})
	slices.SortFunc(out.radios, func(a, b *measuredRadio) int { return strings.Compare(a.id(), b.id()) })
	slices.SortStableFunc(out.sightings, func(a, b sighting) int {
		return cmp.Or(strings.Compare(a.by, b.by), strings.Compare(a.bssid, b.bssid))
	})
	return out
}

// plannable reports why the planner could not take radio r as it
// operates (a 320 MHz channel, a band or channel it does not know), nil
// when it can. Such a radio stays out of the plan, where it would
// invalidate the whole home's Problem round after round; it keeps its
// channel, and the mesh radios that hear it take it for a foreign
// network.
func plannable(r *measuredRadio) error {
	return wifiopt.Validate((&measurement{radios: []*measuredRadio{r}}).problem())
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
		if r := parseRadio(a, path, v, rows[path+"Stats."]); r != nil {
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
	l.clientSignals(ctx, a, rows, radios)
	if _, err := l.operateWait(ctx, a, scanCommand, nil); err != nil {
		return nil, nil, err
	}
	// The radios' survey figures again, read after the scan: the scan
	// refreshed them, so they describe the medium the results do.
	res, err := l.getRows(ctx, a, resultTable, radioTable)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range radios {
		if stats, ok := res[r.row+"Stats."]; ok {
			r.airtime, r.busy, r.survey = surveyFigures(stats, r.current.Channel)
		}
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

// clientSignals sets each radio's clientSignal from Agent a's access
// points' associated stations, read as the steering pass reads them
// (steerRows): a station's level of its own BSS from its beacon report
// (downlink) where it has one, else the AP's SignalStrength (uplink,
// which understates the downlink by the AP's transmit power less the
// client's). rows are a's radio and SSID rows. An Agent that cannot list
// its access points leaves every radio at 0 (unknown), so the plan
// just has no client term: that is not worth failing the round.
func (l *Loop) clientSignals(ctx context.Context, a usp.EndpointID, rows map[string]map[string]string, radios []*measuredRadio) {
	aps, err := l.getRows(ctx, a, accessPointTable)
	if err != nil {
		l.log.DebugContext(ctx, "no stations for the plan's client term", "agent", a, "err", err)
		return
	}
	all := maps.Clone(rows)
	maps.Copy(all, aps)
	_, clients := steerRows(a, all, l.clk.Now())
	for _, r := range radios {
		var sigs []float64
		for _, c := range clients {
			if !slices.Contains(r.bssids, c.BSSID) {
				continue
			}
			if c.Signal.DBm < 0 {
				sigs = append(sigs, c.Signal.DBm)
			}
			for _, o := range c.Seen {
				if o.DBm < 0 && o.Age <= clientSeenMaxAge {
					if r.clientSeen == nil {
						r.clientSeen = map[string][]float64{}
					}
					r.clientSeen[o.BSSID] = append(r.clientSeen[o.BSSID], o.DBm)
				}
			}
		}
		r.clientSignal = wifiopt.ClientSignal(sigs)
		r.weakestSignal = wifiopt.WeakestSignal(sigs)
	}
}

// clientSeenMaxAge is the oldest observation of a station at another BSS
// that the plan's client links use: older ones describe where the
// station was some rounds ago.
const clientSeenMaxAge = 5 * time.Minute

// parseRadio reads one Device.WiFi.Radio.{i}. row of Agent a and its
// Stats. object (nil when the Agent sent none); nil when the radio has no
// channel, width or name.
func parseRadio(a usp.EndpointID, path string, v, stats map[string]string) *measuredRadio {
	ch, _ := strconv.Atoi(v["Channel"])
	w := widthMHz(v["CurrentOperatingChannelBandwidth"])
	if ch == 0 || w == 0 || v["Name"] == "" {
		return nil
	}
	r := &measuredRadio{agent: a, row: path, name: v["Name"], band: wifiopt.Band(v["OperatingFrequencyBand"]),
		current: wifiopt.Assignment{Channel: ch, Width: w}}
	r.airtime, r.busy, r.survey = surveyFigures(stats, ch)
	// Channels in their DFS non-occupancy period (radar) are possible
	// but refused until it ends: a plan that used one would fail there.
	unavailable := intList(v["X_USPMESH_UnavailableChannels"])
	cur := currentBlock(r.band, r.current)
	for _, n := range intList(v["PossibleChannels"]) {
		if slices.Contains(unavailable, n) && !slices.Contains(cur, n) {
			r.unavailable = append(r.unavailable, n)
		} else {
			r.allowed = append(r.allowed, n)
		}
	}
	// The radio operates on its current block, so every channel of it
	// is possible (a wide channel is allowed only when all of them are),
	// whatever PossibleChannels says.
	for _, c := range cur {
		if !slices.Contains(r.allowed, c) {
			r.allowed = append(r.allowed, c)
		}
	}
	for _, s := range strings.Split(v["SupportedOperatingChannelBandwidths"], ",") {
		if n := widthMHz(s); n > 0 && n <= 160 {
			r.widths = append(r.widths, n)
		}
	}
	if pw, err := strconv.Atoi(v["TransmitPower"]); err == nil && pw >= 1 && pw <= 100 {
		r.power, r.powerMin = pw, 100
		for _, n := range intList(v["TransmitPowerSupported"]) {
			if n >= 1 && n < r.powerMin {
				r.powerMin = n
			}
		}
	}
	r.uplink = strings.ToLower(strings.TrimSpace(v["X_USPMESH_UplinkBSSID"]))
	if n, err := strconv.Atoi(v["X_USPMESH_UplinkRate"]); err == nil && n > 0 {
		r.uplinkKbps = n
	}
	if auto, err := strconv.ParseBool(v["X_USPMESH_AutoTransmitPower"]); err == nil && !auto {
		r.ownerPower = true
	}
	if v["AutoChannelEnable"] == "false" {
		// Pinned by a Controller: the plan keeps it where it is.
		r.allowed, r.widths, r.pinned = currentBlock(r.band, r.current), nil, true
	}
	return r
}

// currentBlock lists the 20 MHz channels of assignment a: what a radio
// the plan keeps where it is must be allowed (a wide channel is allowed
// only when every 20 MHz channel of its block is). Just a's channel when
// the block is not one the planner knows.
func currentBlock(b wifiopt.Band, a wifiopt.Assignment) []int {
	chs, err := wifiopt.Block(b, a.Channel, a.Width)
	if err != nil {
		return []int{a.Channel}
	}
	return chs
}

// widthMHz reads a TR-181 channel bandwidth ("20MHz" ... "160MHz",
// "320MHz-1" and "320MHz-2", the two 320 MHz channelisations; a bare
// number too) in MHz; 0 for anything else ("Auto", "80+80MHz", junk).
func widthMHz(s string) int {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "320MHz-"); ok && (rest == "1" || rest == "2") {
		return 320
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, "MHz"))
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// intList reads a TR-181 list of numbers, skipping items that are not.
func intList(s string) []int {
	var out []int
	for _, item := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(item)); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// parseSighting reads one Device.WiFi.NeighboringWiFiDiagnostic.Result.{i}.
// row measured by r; false when it has no channel or signal strength.
func parseSighting(r *measuredRadio, v map[string]string) (sighting, bool) {
	ch, _ := strconv.Atoi(v["Channel"])
	rssi, err := strconv.Atoi(v["SignalStrength"])
	if ch == 0 || err != nil {
		return sighting{}, false
	}
	w := widthMHz(v["OperatingChannelBandwidth"])
	util := -1
	if u, err := strconv.Atoi(v["X_USPMESH_Utilization"]); err == nil {
		util = u
	}
	return sighting{by: r.id(), bssid: strings.ToLower(v["BSSID"]), channel: ch, width: max(w, 20),
		rssi: float64(rssi), util: util}, true
}

// surveyFigures reads a radio's Stats. survey figures: its own airtime
// and operating channel's busy share (-1 when unreported) and the busy
// share by channel, where the operating channel ch has its own figure.
func surveyFigures(stats map[string]string, ch int) (airtime, busy float64, survey map[int]float64) {
	airtime, busy = parseShare(stats["X_USPMESH_Airtime"]), parseShare(stats["X_USPMESH_ChannelBusy"])
	survey = parseSurvey(stats["X_USPMESH_SurveyBusy"])
	if busy >= 0 {
		survey[ch] = busy
	}
	return airtime, busy, survey
}

// parseShare reads a percentage parameter as a share in 0..1; -1 when it
// is missing, -1 (unmeasured) or not a percentage.
func parseShare(s string) float64 {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 100 {
		return -1
	}
	return float64(n) / 100
}

// parseSurvey reads X_USPMESH_SurveyBusy ("36:41,40:12") as busy shares
// by channel; malformed items are skipped.
func parseSurvey(s string) map[int]float64 {
	out := map[int]float64{}
	for _, item := range strings.Split(s, ",") {
		c, pct, ok := strings.Cut(strings.TrimSpace(item), ":")
		ch, err := strconv.Atoi(c)
		if !ok || err != nil || ch <= 0 {
			continue
		}
		if share := parseShare(pct); share >= 0 {
			out[ch] = share
		}
	}
	return out
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
