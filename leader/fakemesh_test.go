package leader

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// An in-memory mesh of Agents behind the Agents interface: each fake
// Agent has radios, SSIDs, a neighbour scan that hears the other fake
// APs on their current channels (and the foreign networks it is told
// of), asynchronous NeighboringWiFiDiagnostic() and X_USPMESH_Switch()
// commands whose Request rows last until polled once, and
// subscriptions. It records every request.

// op is one request a fake Agent received.
type op struct {
	kind    string // "get", "operate" or "subscribe"
	to      usp.EndpointID
	paths   []string          // get
	command string            // operate
	args    map[string]string // operate
	subID   string            // subscribe
	at      time.Time         // on the test clock
}

// switchOp is a X_USPMESH_Switch() as the tests compare them.
type switchOp struct {
	radio   string // "<agent>/<radio name>"
	channel string
	at      time.Time
}

// fakeRadio is one radio of a fake Agent.
type fakeRadio struct {
	name     string
	band     string
	channel  int
	width    int
	possible []int
	widths   string // SupportedOperatingChannelBandwidths
	pinned   bool   // AutoChannelEnable false
	// ownerPower: a Controller fixed its power (X_USPMESH_AutoTransmitPower false)
	ownerPower bool
	bssid      string
	// stats are extra parameters of the radio's Stats. object
	// (X_USPMESH_Airtime ...); none: the radio reports no survey figures.
	stats map[string]string
	// stations are the extra parameters (SignalStrength, X_USPMESH_Seen)
	// of the AssociatedDevice rows of the radio's access point, one per
	// station.
	stations []map[string]string
	// power is the radio's TransmitPower (percent); 0: it reports none.
	// Other fake APs hear it that much under fakeMesh.rssi.
	power int
	// unavailable are channels in their non-occupancy period after radar
	// (X_USPMESH_UnavailableChannels): a switch onto one is refused, as
	// the radio backends refuse it.
	unavailable []int
	// refuse are channels a switch onto is always refused (7022), without
	// the radio saying so beforehand (a driver or hostapd that cannot use
	// them).
	refuse []int
	// uplink is the BSSID of the AP the radio's wireless backhaul station
	// is associated to (X_USPMESH_UplinkBSSID): the radio follows that
	// radio's switches and refuses its own away from it, as the radio
	// backends do.
	uplink string
}

// fakeBSS is a foreign network one fake radio hears.
type fakeBSS struct {
	radio   string // the hearing radio's name
	bssid   string
	channel int
	rssi    int
	util    int // -1: no BSS Load
}

// Failure modes of a fake switch.
const (
	failNone   = iota
	failVerify // the command completes, the radio stays where it was
	failRefuse // the command fails (7022)
	// failAsync: the command is accepted (a Request row) and then fails;
	// the Agent says why in an OperationComplete to subscribers.
	failAsync
)

// asyncFailure is the message of a failAsync command's OperationComplete.
const asyncFailure = "switch to channel 40 failed: radio wl0: switch: channel availability check failed: radar detected"

// fakeAgent is one Agent of the fake mesh.
type fakeAgent struct {
	id     usp.EndpointID
	radios []*fakeRadio
	// foreign are the foreign networks its scans find.
	foreign []fakeBSS
	// dead Agents record each request and then block until its ctx ends.
	dead bool
	// fail maps a radio name to the failure of its next switches, the
	// number of them.
	fail map[string][2]int
	// hold, when set, blocks every switch Operate (after a signal on
	// inFlight) until it is closed.
	hold     chan struct{}
	inFlight chan string
	// stuck switches never complete: their Request rows stay.
	stuck    bool
	term     string          // Device.X_USPMESH_Mesh.Term
	requests map[string]bool // Request rows; true: never ends
	subs     map[string]bool
	results  []map[string]string // the last scan's Result rows
	// noAPs Agents answer Gets of Device.WiFi.AccessPoint. with an error.
	noAPs bool
}

// fakeMesh is the fake Agents and what they received.
type fakeMesh struct {
	clk  clock.Clock
	note notifier
	mu   sync.Mutex
	// agents by Endpoint ID; rssi is the signal every fake AP hears every
	// other at (dBm).
	agents map[usp.EndpointID]*fakeAgent
	rssi   int
	ops    []op
	reqSeq int
	// notify delivers notifications to the Loop (set by start).
	notify func(usp.EndpointID, *uspmsg.Notify)
}

var _ Agents = (*fakeMesh)(nil)

func newFakeMesh(clk clock.Clock, agents ...*fakeAgent) *fakeMesh {
	m := &fakeMesh{clk: clk, agents: map[usp.EndpointID]*fakeAgent{}, rssi: -50}
	for _, a := range agents {
		a.requests, a.subs = map[string]bool{}, map[string]bool{}
		if a.term == "" {
			a.term = "0"
		}
		m.agents[a.id] = a
	}
	return m
}

// members lists the fake Agents, unsorted.
func (m *fakeMesh) members() []usp.EndpointID {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Collect(maps.Keys(m.agents))
}

// record notes a request and returns its Agent (nil when unknown).
func (m *fakeMesh) record(o op) *fakeAgent {
	o.at = m.clk.Now()
	m.mu.Lock()
	m.ops = append(m.ops, o)
	a := m.agents[o.to]
	m.mu.Unlock()
	m.note.broadcast()
	return a
}

// snapshot returns the requests received so far.
func (m *fakeMesh) snapshot() []op {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.ops)
}

// count is how many requests so far satisfy f.
func (m *fakeMesh) count(f func(op) bool) int {
	n := 0
	for _, o := range m.snapshot() {
		if f(o) {
			n++
		}
	}
	return n
}

// switches returns the X_USPMESH_Switch() requests, in order.
func (m *fakeMesh) switches() []switchOp {
	var out []switchOp
	for _, o := range m.snapshot() {
		if o.kind != "operate" || !strings.HasSuffix(o.command, switchCommand) {
			continue
		}
		a := m.agents[o.to]
		idx, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(o.command, radioTable), "."+switchCommand))
		out = append(out, switchOp{radio: string(o.to) + "/" + a.radios[idx-1].name, channel: o.args["Channel"], at: o.at})
	}
	return out
}

// isGet matches Gets of p.
func isGet(p string) func(op) bool {
	return func(o op) bool { return o.kind == "get" && slices.Contains(o.paths, p) }
}

// Get implements Agents.
func (m *fakeMesh) Get(ctx context.Context, to usp.EndpointID, maxDepth uint32, paths ...string) (*uspmsg.GetResp, error) {
	a := m.record(op{kind: "get", to: to, paths: paths})
	if err := m.reach(ctx, a); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	resp := &uspmsg.GetResp{}
	for _, p := range paths {
		rows, code := m.get(a, p)
		rr := &uspmsg.GetResp_RequestedPathResult{RequestedPath: p, ErrCode: code}
		if code != 0 {
			rr.ErrMsg = "unsupported in the fake"
		}
		for _, k := range slices.Sorted(maps.Keys(rows)) {
			rr.ResolvedPathResults = append(rr.ResolvedPathResults, &uspmsg.GetResp_ResolvedPathResult{ResolvedPath: k, ResultParams: rows[k]})
		}
		resp.ReqPathResults = append(resp.ReqPathResults, rr)
	}
	return resp, nil
}

// reach fails for an unknown Agent and blocks a dead one until ctx ends.
func (m *fakeMesh) reach(ctx context.Context, a *fakeAgent) error {
	if a == nil {
		return fmt.Errorf("fake: no such Agent")
	}
	m.mu.Lock()
	dead := a.dead
	m.mu.Unlock()
	if dead {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// get resolves one path on a: rows by object path, or a USP error code.
// The caller holds m.mu.
func (m *fakeMesh) get(a *fakeAgent, p string) (map[string]map[string]string, uint32) {
	rows := map[string]map[string]string{}
	switch {
	case p == radioTable:
		for i, r := range a.radios {
			row := fmt.Sprintf("%s%d.", radioTable, i+1)
			rows[row] = map[string]string{"Name": r.name, "Channel": strconv.Itoa(r.channel),
				"CurrentOperatingChannelBandwidth": strconv.Itoa(r.width) + "MHz", "OperatingFrequencyBand": r.band,
				"PossibleChannels": channelList(r.possible), "SupportedOperatingChannelBandwidths": r.widths,
				"AutoChannelEnable": strconv.FormatBool(!r.pinned), "Enable": "true",
				"X_USPMESH_UnavailableChannels": channelList(r.unavailable)}
			if r.uplink != "" {
				rows[row]["X_USPMESH_UplinkBSSID"] = strings.ToUpper(r.uplink)
				rows[row]["X_USPMESH_UplinkRate"] = "300000"
			}
			if r.power > 0 {
				rows[row]["TransmitPower"] = strconv.Itoa(r.power)
				rows[row]["TransmitPowerSupported"] = "-1,1,3,6,12,25,50,100"
				rows[row]["X_USPMESH_AutoTransmitPower"] = strconv.FormatBool(!r.ownerPower)
			}
			rows[row+"Stats."] = map[string]string{"BytesSent": "1000"} // not a row: read with it
			maps.Copy(rows[row+"Stats."], r.stats)
		}
	case p == ssidTable:
		for i, r := range a.radios {
			rows[fmt.Sprintf("%s%d.", ssidTable, i+1)] = map[string]string{"SSID": "home", "BSSID": strings.ToUpper(r.bssid),
				"LowerLayers": fmt.Sprintf("%s%d", radioTable, i+1)}
		}
	case p == accessPointTable && !a.noAPs:
		for i, r := range a.radios {
			ap := fmt.Sprintf("%s%d.", accessPointTable, i+1)
			rows[ap] = map[string]string{"SSIDReference": fmt.Sprintf("%s%d", ssidTable, i+1), "Enable": "true"}
			for j, st := range r.stations {
				row := map[string]string{"MACAddress": fmt.Sprintf("02:cc:00:00:%02x:%02x", i, j)}
				maps.Copy(row, st)
				rows[fmt.Sprintf("%sAssociatedDevice.%d.", ap, j+1)] = row
			}
		}
	case p == resultTable:
		for i, r := range a.results {
			rows[fmt.Sprintf("%s%d.", resultTable, i+1)] = r
		}
	case p == termParam:
		rows["Device.X_USPMESH_Mesh."] = map[string]string{"Term": a.term}
	case strings.HasPrefix(p, "Device.LocalAgent.Request."):
		if never, ok := a.requests[p]; ok {
			if !never {
				delete(a.requests, p) // done once polled
			}
			rows[p] = map[string]string{"Status": "Active"}
		}
	case strings.HasPrefix(p, "Device.LocalAgent.Subscription.[ID=="):
		for id := range a.subs {
			if p == "Device.LocalAgent.Subscription.[ID=="+path.Quote(id)+"]." {
				rows["Device.LocalAgent.Subscription.1."] = map[string]string{"ID": id, "Enable": "true"}
			}
		}
	case strings.HasPrefix(p, radioTable) && strings.HasSuffix(p, ".Channel"):
		idx, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(p, radioTable), ".Channel"))
		if err != nil || idx < 1 || idx > len(a.radios) {
			return nil, uint32(usp.ErrInvalidPath)
		}
		rows[fmt.Sprintf("%s%d.", radioTable, idx)] = map[string]string{"Channel": strconv.Itoa(a.radios[idx-1].channel)}
	case strings.HasPrefix(p, radioTable) && strings.HasSuffix(p, ".TransmitPower"):
		idx, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(p, radioTable), ".TransmitPower"))
		if err != nil || idx < 1 || idx > len(a.radios) || a.radios[idx-1].power == 0 {
			return nil, uint32(usp.ErrInvalidPath)
		}
		rows[fmt.Sprintf("%s%d.", radioTable, idx)] = map[string]string{"TransmitPower": strconv.Itoa(a.radios[idx-1].power)}
	default:
		return nil, uint32(usp.ErrInvalidPath)
	}
	return rows, 0
}

// Operate implements Agents.
func (m *fakeMesh) Operate(ctx context.Context, to usp.EndpointID, command, key string, args map[string]string) (*uspmsg.OperateResp, error) {
	a := m.record(op{kind: "operate", to: to, command: command, args: maps.Clone(args)})
	if err := m.reach(ctx, a); err != nil {
		return nil, err
	}
	switch {
	case command == scanCommand:
		m.mu.Lock()
		m.scan(a)
		m.mu.Unlock()
	case strings.HasPrefix(command, radioTable) && strings.HasSuffix(command, "."+switchCommand):
		if f := m.switchRadio(ctx, a, command, args); f != nil && f.ErrCode == 0 {
			// failAsync: a Request row, then the OperationComplete.
			defer m.completeAsync(a, command, key, f.ErrMsg)
		} else if f != nil {
			return &uspmsg.OperateResp{OperationResults: []*uspmsg.OperateResp_OperationResult{{ExecutedCommand: command,
				OperationResp: &uspmsg.OperateResp_OperationResult_CmdFailure{CmdFailure: f}}}}, nil
		}
	default:
		return nil, &usp.ResponseError{Code: usp.ErrInvalidPath, Msg: "no such command in the fake"}
	}
	m.mu.Lock()
	m.reqSeq++
	req := fmt.Sprintf("Device.LocalAgent.Request.%d.", m.reqSeq)
	a.requests[req] = a.stuck && command != scanCommand
	m.mu.Unlock()
	return &uspmsg.OperateResp{OperationResults: []*uspmsg.OperateResp_OperationResult{{ExecutedCommand: command,
		OperationResp: &uspmsg.OperateResp_OperationResult_ReqObjPath{ReqObjPath: req}}}}, nil
}

// scan fills a's Result rows: every other fake AP's radio in the same
// band on its current channel, and a's foreign networks. The caller
// holds m.mu.
func (m *fakeMesh) scan(a *fakeAgent) {
	a.results = nil
	for i, r := range a.radios {
		radioRow := fmt.Sprintf("%s%d.", radioTable, i+1)
		for _, id := range slices.Sorted(maps.Keys(m.agents)) {
			if id == a.id {
				continue
			}
			for _, o := range m.agents[id].radios {
				if o.band == r.band {
					rssi := m.rssi
					if o.power > 0 {
						rssi += int(math.Round(10 * math.Log10(float64(o.power)/100)))
					}
					a.results = append(a.results, map[string]string{"Radio": radioRow, "BSSID": o.bssid,
						"Channel": strconv.Itoa(o.channel), "OperatingChannelBandwidth": strconv.Itoa(o.width) + "MHz",
						"SignalStrength": strconv.Itoa(rssi)})
				}
			}
		}
		for _, f := range a.foreign {
			if f.radio != r.name {
				continue
			}
			row := map[string]string{"Radio": radioRow, "BSSID": f.bssid, "Channel": strconv.Itoa(f.channel),
				"OperatingChannelBandwidth": "20MHz", "SignalStrength": strconv.Itoa(f.rssi)}
			if f.util >= 0 {
				row["X_USPMESH_Utilization"] = strconv.Itoa(f.util)
			}
			a.results = append(a.results, row)
		}
	}
}

// switchRadio runs one X_USPMESH_Switch(); a non-nil result is the
// command's failure.
func (m *fakeMesh) switchRadio(ctx context.Context, a *fakeAgent, command string, args map[string]string) *uspmsg.OperateResp_OperationResult_CommandFailure {
	m.mu.Lock()
	hold, inFlight := a.hold, a.inFlight
	m.mu.Unlock()
	if hold != nil {
		inFlight <- command
		select {
		case <-hold:
		case <-ctx.Done():
			return &uspmsg.OperateResp_OperationResult_CommandFailure{ErrCode: uint32(usp.ErrCommandFailure), ErrMsg: "canceled"}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	idx, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(command, radioTable), "."+switchCommand))
	if err != nil || idx < 1 || idx > len(a.radios) {
		return &uspmsg.OperateResp_OperationResult_CommandFailure{ErrCode: uint32(usp.ErrCommandFailure), ErrMsg: "no such radio"}
	}
	r := a.radios[idx-1]
	mode := a.fail[r.name]
	if mode[1] > 0 {
		mode[1]--
		a.fail[r.name] = mode
		switch mode[0] {
		case failRefuse:
			return &uspmsg.OperateResp_OperationResult_CommandFailure{ErrCode: uint32(usp.ErrCommandFailure), ErrMsg: "switch refused"}
		case failAsync:
			return &uspmsg.OperateResp_OperationResult_CommandFailure{ErrCode: 0, ErrMsg: asyncFailure}
		}
		return nil // failVerify: completes where it was
	}
	ch, _ := strconv.Atoi(args["Channel"])
	if slices.Contains(r.refuse, ch) {
		return &uspmsg.OperateResp_OperationResult_CommandFailure{ErrCode: uint32(usp.ErrCommandFailure),
			ErrMsg: fmt.Sprintf("hostapd: CHAN_SWITCH to channel %d: FAIL", ch)}
	}
	if slices.Contains(r.unavailable, ch) {
		return &uspmsg.OperateResp_OperationResult_CommandFailure{ErrCode: uint32(usp.ErrCommandFailure),
			ErrMsg: fmt.Sprintf("channel %d in its non-occupancy period", ch)}
	}
	w, _ := strconv.Atoi(strings.TrimSuffix(args["Bandwidth"], "MHz"))
	if r.uplink != "" && m.radioByBSSID(r.uplink) == nil && (r.channel != ch || r.width != w) {
		// An uplink outside the fake mesh stays where the radio is.
		return &uspmsg.OperateResp_OperationResult_CommandFailure{ErrCode: uint32(usp.ErrCommandFailure),
			ErrMsg: fmt.Sprintf("uplink is on channel %d/%d MHz: radio follows its wireless uplink", r.channel, r.width)}
	}
	if up := m.radioByBSSID(r.uplink); up != nil && (up.channel != ch || up.width != w) {
		return &uspmsg.OperateResp_OperationResult_CommandFailure{ErrCode: uint32(usp.ErrCommandFailure),
			ErrMsg: fmt.Sprintf("uplink is on channel %d/%d MHz: radio follows its wireless uplink", up.channel, up.width)}
	}
	if !a.stuck {
		r.channel, r.width = ch, w
		if pw, err := strconv.Atoi(args["TransmitPower"]); err == nil {
			r.power = pw
		}
		m.follow(r, 0)
	}
	return nil
}

// radioByBSSID finds the fake radio with that BSSID; the caller holds
// m.mu.
func (m *fakeMesh) radioByBSSID(bssid string) *fakeRadio {
	if bssid == "" {
		return nil
	}
	for _, a := range m.agents {
		for _, r := range a.radios {
			if strings.EqualFold(r.bssid, bssid) {
				return r
			}
		}
	}
	return nil
}

// follow moves the radios whose uplink is r to r's channel, and theirs
// in turn; the caller holds m.mu.
func (m *fakeMesh) follow(r *fakeRadio, depth int) {
	if depth > 8 {
		return
	}
	for _, a := range m.agents {
		for _, f := range a.radios {
			if f != r && strings.EqualFold(f.uplink, r.bssid) {
				f.channel, f.width = r.channel, r.width
				m.follow(f, depth+1)
			}
		}
	}
}

// completeAsync sends the OperationComplete of a command that failed
// after it was accepted, when a subscribed to completions.
func (m *fakeMesh) completeAsync(a *fakeAgent, command, key, msg string) {
	m.mu.Lock()
	subscribed := false
	for id := range a.subs {
		subscribed = subscribed || strings.HasSuffix(id, "-ops")
	}
	notify := m.notify
	m.mu.Unlock()
	if !subscribed || notify == nil {
		return
	}
	notify(a.id, &uspmsg.Notify{Notification: &uspmsg.Notify_OperComplete{OperComplete: &uspmsg.Notify_OperationComplete{
		ObjPath: strings.TrimSuffix(command, switchCommand), CommandName: switchCommand, CommandKey: key,
		OperationResp: &uspmsg.Notify_OperationComplete_CmdFailure{CmdFailure: &uspmsg.Notify_OperationComplete_CommandFailure{
			ErrCode: uint32(usp.ErrCommandFailure), ErrMsg: msg}}}}})
}

// Subscribe implements Agents.
// OperationComplete subscriptions are recorded as kind "subscribe-ops".
func (m *fakeMesh) Subscribe(ctx context.Context, to usp.EndpointID, s usp.Subscription) (string, string, error) {
	kind := "subscribe"
	if s.NotifType == "OperationComplete" {
		kind = "subscribe-ops"
	}
	a := m.record(op{kind: kind, to: to, subID: s.ID})
	if err := m.reach(ctx, a); err != nil {
		return "", "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case s.NotifType == "ValueChange" && slices.Equal(s.ReferenceList, []string{channelWatched}):
	case s.NotifType == "OperationComplete" && slices.Equal(s.ReferenceList, []string{opsWatched}):
	default:
		return "", "", fmt.Errorf("fake: unexpected subscription %+v", s)
	}
	if a.subs[s.ID] {
		return "", "", &usp.ResponseError{Code: usp.ErrDuplicateKey, Msg: "ID " + s.ID + " exists"}
	}
	a.subs[s.ID] = true
	m.note.broadcast() // tests wait for the subscription itself, not its request
	return "Device.LocalAgent.Subscription.1.", s.ID, nil
}

// channelOf returns the channel of agent's radio name now.
func (m *fakeMesh) channelOf(agent usp.EndpointID, name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.agents[agent].radios {
		if r.name == name {
			return r.channel
		}
	}
	return 0
}
