//go:build linux

package main

import (
	"context"
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
	h, err := StartHome(ctx, HomeConfig{Nodes: *nodes, MeshdPath: *meshd, Keep: *keep, Logger: log, Profile: *profile, SimHome: *home,
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

// watch shows the table until ctx ends: redrawn every second on a
// terminal, printed as a block every few seconds otherwise.
func watch(ctx context.Context, h *Home, w io.Writer, tty bool) {
	every := refreshPlain
	if tty {
		every = refreshTTY
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		views := survey(ctx, h)
		if ctx.Err() != nil {
			return
		}
		if tty {
			fmt.Fprint(w, "\x1b[H\x1b[2J")
		}
		fmt.Fprintf(w, "uspmesh virtual home %s: %d nodes, Controller %s at %s, %s (Ctrl-C to stop)\n",
			h.Prefix(), len(views), ControllerID, h.ControllerAddr(), time.Now().Format("15:04:05"))
		renderTable(w, views)
		fmt.Fprintln(w)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
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
}

// meshNodeEID matches the EndpointID of a Node row.
var meshNodeEID = regexp.MustCompile(`^Device\.X_USPMESH_Mesh\.Node\.(\d+)\.EndpointID$`)

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
				"Device.WiFi.Radio.*.Channel", "Device.WiFi.Radio.*.OperatingFrequencyBand", "Device.WiFi.Radio.*.CurrentOperatingChannelBandwidth")
			if err != nil && len(vals) == 0 {
				views[k].Problem = "no answer"
				return
			}
			views[k].fill(vals)
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

// renderTable prints the views as an aligned table; "-" stands for
// nothing known. PLAN is the channel plan's interference score, after
// its baseline when they differ.
func renderTable(w io.Writer, views []nodeView) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tADDRESS\tAGENT\tNAME\tSTATUS\tLEADER\tTERM\tCHANNELS\tPLAN\tNODES")
	for _, v := range views {
		status := v.Status
		if v.Problem != "" {
			status = "(" + v.Problem + ")"
		}
		peers := strconv.Itoa(len(v.Peers))
		plan := dash(v.Score)
		if v.Status != "Leader" {
			plan = "-"
		} else if v.Baseline != "" && v.Baseline != v.Score {
			plan = v.Baseline + "->" + plan
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Index, dash(v.Addr), dash(v.AgentID), dash(v.Name),
			dash(status), dash(v.Leader), dash(v.Term), dash(strings.Join(v.Channels, " ")), plan, peers)
	}
	_ = tw.Flush()
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
