//go:build linux

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/sim"
)

// Demo timings.
const (
	refreshTTY   = time.Second     // redraw period on a terminal
	refreshPlain = 5 * time.Second // block period otherwise
	surveyWait   = 800 * time.Millisecond
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vhome demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	nodes := fs.Int("n", 5, "number of nodes (access points)")
	duration := fs.Duration("duration", 0, "stop after this long (0: until Ctrl-C)")
	keep := fs.Bool("keep", false, "keep the run directory (state dirs, logs) after exit")
	meshd := fs.String("meshd", "", `meshd binary (default: "meshd" beside vhome, else on $PATH)`)
	logLevel := fs.String("log-level", "info", "meshd's log level (debug, info, warn, error)")
	profile := fs.String("profile", "default", "meshd's mesh timing profile: default or fast")
	home := fs.String("home", "homes/house.json", `sim radio home description ("" runs the nodes without radios)`)
	walkers := fs.Int("walkers", 2, "add this many dual-band 802.11v/k clients walking from AP to AP, for the leader to steer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("vhome demo: unexpected argument %q", fs.Arg(0))
	}
	tty := isTerminal(stdout)
	level := slog.LevelInfo
	if tty {
		level = slog.LevelWarn // the screen is redrawn; keep stderr quiet
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	simHome := *home
	if simHome != "" && *walkers > 0 {
		f, err := walkingHome(simHome, *walkers, min(*nodes, 8))
		if err != nil {
			return err
		}
		defer os.Remove(f)
		simHome = f
	}
	h, err := StartHome(ctx, HomeConfig{Nodes: *nodes, MeshdPath: *meshd, Keep: *keep, Logger: log, Profile: *profile, SimHome: simHome,
		ExtraArgs: func(int) []string { return []string{"-log-level", *logLevel} }})
	if err != nil {
		return err
	}
	defer h.Close()
	watch(ctx, h, stdout, tty)
	fmt.Fprintln(stdout, "vhome: tearing down")
	if err := h.Close(); err != nil {
		return err
	}
	if *keep {
		fmt.Fprintln(stdout, "vhome: kept", h.RunDir())
	}
	return nil
}

// walkingHome writes a copy of the home file with n more clients that
// walk between the first nodes APs (ap1 -> ap2 -> ..., looping, at
// 1 m/s with a minute's pause at each), sticky, dual-band, answering
// 802.11v and 802.11k: the leader steers them as they go. It returns
// the copy's name.
func walkingHome(file string, n, nodes int) (string, error) {
	home, err := sim.LoadHome(file)
	if err != nil {
		return "", err
	}
	var stops []sim.Pos
	for i := range max(nodes, 2) {
		ap, ok := home.AP(fmt.Sprintf("ap%d", i+1))
		if !ok {
			break
		}
		p := ap.Pos
		p.X++ // beside the AP, not in it
		stops = append(stops, p)
	}
	if len(stops) < 2 {
		return "", fmt.Errorf("vhome demo: -walkers needs a home with two APs or more")
	}
	for i := range n {
		path := slices.Clone(stops)
		// Each walker starts at another stop.
		k := i % len(path)
		path = append(path[k:], path[:k]...)
		home.Clients = append(home.Clients, sim.Client{MAC: fmt.Sprintf("02:de:00:00:00:%02x", i+1), Band: radio.Band5G, Load: 0.05,
			Steering: sim.Steering{Bands: []radio.Band{radio.Band2G4, radio.Band5G}, RoamDBm: sim.StickyRoamDBm, BTM: sim.BTMComply,
				BeaconReport: true, Path: &sim.Path{Waypoints: path, SpeedMPS: 1, PauseS: 60, Loop: true}}})
	}
	data, err := json.MarshalIndent(home, "", "  ")
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "vhome-demo-home-*.json")
	if err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), f.Close()
}

// watch shows the table until ctx ends: redrawn every second on a
// terminal, printed as a block every few seconds otherwise. Below it:
// the last plan that moved a channel (kept until another does), a legend
// and how to query the home with meshctl.
func watch(ctx context.Context, h *Home, w io.Writer, tty bool) {
	every := refreshPlain
	if tty {
		every = refreshTTY
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var last demoPlan
	for {
		views := survey(ctx, h)
		if ctx.Err() != nil {
			return
		}
		if p := latestPlan(views); len(p.Moves) > 0 {
			last = p
		}
		if tty {
			fmt.Fprint(w, "\x1b[H\x1b[2J")
		}
		fmt.Fprintf(w, "uspmesh virtual home %s: %d nodes, %s (Ctrl-C to stop)\n",
			h.Prefix(), len(views), time.Now().Format("15:04:05"))
		renderTable(w, views)
		fmt.Fprintln(w)
		renderPlan(w, last)
		renderSteering(w, views)
		fmt.Fprint(w, legend)
		fmt.Fprint(w, meshctlHint(h, views))
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// legend explains the table, within 100 columns.
const legend = `
STATUS  what the node says: Leader, Follower, Electing or Degraded (with why in its StatusMessage)
LEADER  the node it follows; TERM the election term (it grows with every new leader)
2.4GHz, 5GHz  channel/width in MHz of the node's radio in that band
PLAN    the leader's interference score of its channel plan, before->after (lower is better)
NODES   the mesh nodes this node knows (all of them when the mesh agrees)
`

// meshctlHint tells how to query the demo home from another terminal.
func meshctlHint(h *Home, views []nodeView) string {
	agent := "AGENT-ID"
	for _, v := range views {
		if v.Status == "Leader" {
			agent = v.AgentID
		}
	}
	return fmt.Sprintf(`
Query the home from another terminal (the Controller's namespace is on the home's LAN):
  sudo ip netns exec %s-ctl bin/meshctl -secret-file %s \
       -agent %s status
`, h.Prefix(), h.SecretFile(), agent)
}

// nodeView is one line of the demo's table.
type nodeView struct {
	Index                int
	Addr, AgentID        string
	Name, Status, Leader string
	Term                 string
	Score, Baseline      string   // Device.X_USPMESH_Mesh.Plan.
	Peers                []string // Endpoint IDs of Device.X_USPMESH_Mesh.Node.{i}
	Channels             []string // "band:channel/width" per radio
	Problem              string   // "down", "no answer", ...
	// Plan is the leader's latest plan (its Plan.Assignment rows).
	Plan demoPlan
	// Clients counts the stations associated with the node's APs.
	Clients int
	// Steered are the latest steering actions the node led, oldest first.
	Steered []demoSteer
}

// demoSteer is one row of Device.X_USPMESH_Mesh.Steering.Action.
type demoSteer struct {
	Seq                                              int
	Time, Station, From, To, Method, Reason, Outcome string
}

// steerActionParam matches a parameter of a Steering.Action row.
var steerActionParam = regexp.MustCompile(`^Device\.X_USPMESH_Mesh\.Steering\.Action\.(\d+)\.(\w+)$`)

// fillSteering takes the clients and the steering actions from vals.
func (v *nodeView) fillSteering(vals map[string]string) {
	rows := map[string]*demoSteer{}
	for k, val := range vals {
		if strings.HasPrefix(k, "Device.WiFi.AccessPoint.") && strings.HasSuffix(k, ".MACAddress") && strings.Contains(k, ".AssociatedDevice.") {
			v.Clients++
		}
		m := steerActionParam.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		r := rows[m[1]]
		if r == nil {
			r = &demoSteer{}
			rows[m[1]] = r
		}
		switch m[2] {
		case "Seq":
			r.Seq, _ = strconv.Atoi(val)
		case "Time":
			r.Time = val
		case "Station":
			r.Station = val
		case "From":
			r.From = val
		case "To":
			r.To = val
		case "Method":
			r.Method = val
		case "Reason":
			r.Reason = val
		case "Outcome":
			r.Outcome = val
		}
	}
	for _, r := range rows {
		v.Steered = append(v.Steered, *r)
	}
	slices.SortFunc(v.Steered, func(a, b demoSteer) int { return a.Seq - b.Seq })
}

// renderSteering prints the clients per node and the leader's latest
// steering actions.
func renderSteering(w io.Writer, views []nodeView) {
	var per []string
	for _, v := range views {
		if v.Problem == "" {
			per = append(per, fmt.Sprintf("%s %d", dash(v.Name), v.Clients))
		}
	}
	fmt.Fprintf(w, "Clients per node: %s\n", strings.Join(per, ", "))
	for _, v := range views {
		if v.Status != "Leader" || len(v.Steered) == 0 {
			continue
		}
		acts := v.Steered[max(0, len(v.Steered)-steerShown):]
		fmt.Fprintf(w, "Latest client steering by the leader (%d shown):\n", len(acts))
		for _, a := range acts {
			at := a.Time
			if t, err := time.Parse(time.RFC3339, a.Time); err == nil {
				at = t.Local().Format("15:04:05")
			}
			fmt.Fprintf(w, "  %s  %s  %s -> %s  %s %s: %s\n", at, a.Station, a.From, a.To, a.Method, a.Reason, a.Outcome)
		}
		fmt.Fprintln(w)
	}
}

// steerShown is how many steering actions the demo lists.
const steerShown = 6

// demoPlan is a plan's channel moves, as the demo shows them.
type demoPlan struct {
	Term, Applied string
	Moves         []demoMove
}

// demoMove is one radio of a plan: Node is the Agent's Endpoint ID.
type demoMove struct {
	Node, Radio, From, To, Status string
}

// meshNodeEID matches the EndpointID of a Node row.
var meshNodeEID = regexp.MustCompile(`^Device\.X_USPMESH_Mesh\.Node\.(\d+)\.EndpointID$`)

// planRadio matches the Radio of a Plan.Assignment row.
var planRadio = regexp.MustCompile(`^(Device\.X_USPMESH_Mesh\.Plan\.Assignment\.\d+\.)Radio$`)

// survey asks every node, in parallel and bounded, what it knows.
func survey(ctx context.Context, h *Home) []nodeView {
	nodes := h.Nodes()
	views := make([]nodeView, len(nodes))
	var wg sync.WaitGroup
	for k, n := range nodes {
		views[k] = nodeView{Index: n.Index, Addr: n.Addr.String(), AgentID: string(n.AgentID)}
		if !n.Running {
			views[k].Problem = "down"
			continue
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, surveyWait)
			defer cancel()
			vals, err := h.Get(ctx, n.Index, "Device.DeviceInfo.FriendlyName", "Device.X_USPMESH_Mesh.",
				"Device.WiFi.Radio.*.Channel", "Device.WiFi.Radio.*.OperatingFrequencyBand", "Device.WiFi.Radio.*.CurrentOperatingChannelBandwidth",
				"Device.WiFi.AccessPoint.*.AssociatedDevice.*.MACAddress")
			if err != nil && len(vals) == 0 {
				views[k].Problem = "no answer"
				return
			}
			views[k].fill(vals)
			views[k].fillSteering(vals)
		})
	}
	wg.Wait()
	return views
}

// fill takes the view's fields from a Get's values.
func (v *nodeView) fill(vals map[string]string) {
	v.Name = vals["Device.DeviceInfo.FriendlyName"]
	v.Status = vals["Device.X_USPMESH_Mesh.Status"]
	v.Leader = vals["Device.X_USPMESH_Mesh.Leader"]
	v.Term = vals["Device.X_USPMESH_Mesh.Term"]
	v.Score = vals["Device.X_USPMESH_Mesh.Plan.Score"]
	v.Baseline = vals["Device.X_USPMESH_Mesh.Plan.BaselineScore"]
	type row struct {
		i   int
		eid string
	}
	var rows []row
	for k, val := range vals {
		if m := meshNodeEID.FindStringSubmatch(k); m != nil {
			i, _ := strconv.Atoi(m[1])
			rows = append(rows, row{i, val})
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return a.i - b.i })
	for _, r := range rows {
		v.Peers = append(v.Peers, r.eid)
	}
	v.Plan = demoPlan{Term: vals["Device.X_USPMESH_Mesh.Plan.Term"], Applied: vals["Device.X_USPMESH_Mesh.Plan.LastApplied"]}
	for k, radio := range vals {
		m := planRadio.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		from, to := vals[m[1]+"PreviousChannel"], vals[m[1]+"Channel"]
		if from == to || from == "" || from == "0" {
			continue
		}
		node, name, _ := strings.Cut(radio, "/")
		v.Plan.Moves = append(v.Plan.Moves, demoMove{Node: node, Radio: name, From: from, To: to, Status: vals[m[1]+"Status"]})
	}
	slices.SortFunc(v.Plan.Moves, func(a, b demoMove) int { return strings.Compare(a.Node+a.Radio, b.Node+b.Radio) })
	for i := 1; ; i++ {
		p := fmt.Sprintf("Device.WiFi.Radio.%d.", i)
		ch, ok := vals[p+"Channel"]
		if !ok {
			break
		}
		band := strings.TrimSuffix(vals[p+"OperatingFrequencyBand"], "GHz")
		v.Channels = append(v.Channels, band+":"+ch+"/"+strings.TrimSuffix(vals[p+"CurrentOperatingChannelBandwidth"], "MHz"))
	}
}

// renderTable prints the views as an aligned table, nodes by name; "-"
// stands for nothing known.
func renderTable(w io.Writer, views []nodeView) {
	names := nodeNames(views)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tNAME\tADDRESS\tSTATUS\tLEADER\tTERM\t2.4GHz\t5GHz\tPLAN\tNODES")
	for _, v := range views {
		status := v.Status
		if v.Problem != "" {
			status = "(" + v.Problem + ")"
		}
		plan := dash(v.Score)
		if v.Status != "Leader" {
			plan = "-"
		} else if v.Baseline != "" && v.Baseline != v.Score {
			plan = v.Baseline + "->" + plan
		}
		leader := v.Leader
		if n, ok := names[leader]; ok {
			leader = n
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", v.Index, dash(v.Name), dash(v.Addr),
			dash(status), dash(leader), dash(v.Term), dash(v.band("2.4")), dash(v.band("5")), plan, len(v.Peers))
	}
	_ = tw.Flush()
}

// band is the channel/width of the node's first radio in band ("2.4",
// "5", "6").
func (v *nodeView) band(b string) string {
	for _, c := range v.Channels {
		if rest, ok := strings.CutPrefix(c, b+":"); ok {
			return rest
		}
	}
	return ""
}

// nodeNames maps Agent Endpoint IDs to the nodes' names.
func nodeNames(views []nodeView) map[string]string {
	names := map[string]string{}
	for _, v := range views {
		if v.AgentID != "" && v.Name != "" {
			names[v.AgentID] = v.Name
		}
	}
	return names
}

// latestPlan is the plan of the node that says it leads.
func latestPlan(views []nodeView) demoPlan {
	for _, v := range views {
		if v.Status == "Leader" {
			p := v.Plan
			names := nodeNames(views)
			for i, m := range p.Moves {
				if n, ok := names[m.Node]; ok {
					p.Moves[i].Node = n
				}
			}
			return p
		}
	}
	return demoPlan{}
}

// renderPlan prints the last plan that moved channels, one radio a
// line: before->after and how applying it went.
func renderPlan(w io.Writer, p demoPlan) {
	if len(p.Moves) == 0 {
		fmt.Fprintln(w, "Last plan: no channel moved yet")
		return
	}
	fmt.Fprintf(w, "Last plan that moved channels (term %s, applied %s):\n", dash(p.Term), dash(p.Applied))
	for _, m := range p.Moves {
		fmt.Fprintf(w, "  %-8s %-8s channel %s -> %s  %s\n", m.Node, m.Radio, m.From, m.To, strings.ToLower(m.Status))
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
