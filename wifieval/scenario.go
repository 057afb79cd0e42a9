package wifieval

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

// Plan is what the judge simulates: a channel and width per mesh radio
// (by radio ID, as wifiopt.Plan.Assign) and optionally a transmit power
// (dBm, by radio ID; the radio's TxPowerDBm when absent).
type Plan struct {
	Assign     map[string]wifiopt.Assignment
	TxPowerDBm map[string]float64
	// Name names the plan (e.g. its method) in the files Config.KeepDir
	// keeps; it does not change what is simulated.
	Name string
}

// StationTxPowerDBm is the transmit power of every station (clients,
// foreign stations): they send only acknowledgements here.
const StationTxPowerDBm = 17

// BackhaulMinDBm is the weakest uplink signal a wireless backhaul is
// simulated at: gen draws backhaul to the nearest AP whatever the signal
// (some at -90 dBm, which would carry nothing in any plan), and a
// satellite below this is taken as wired (no backhaul station or flow;
// its radio still shares its uplink's channel as the plan says).
const BackhaulMinDBm = -82

// HearDBm is the weakest signal the scenario keeps: a foreign network
// that no mesh node hears at this level or above is left out (the
// planner's problem lists foreign networks from -92 dBm as well), and
// the judge delivers no signal weaker than this from the strongest
// transmitter.
const HearDBm = -92

// Scenario is one judge run: nodes (one radio each), the path loss of
// every same-band pair that matters, and constant-rate downlink flows.
type Scenario struct {
	Warmup, Measure time.Duration // simulated time
	FloorHeightM    float64       // for the nodes' heights
	Nodes           []Node
	Losses          []Loss
	Flows           []Flow
}

// Node is one radio in the scenario.
type Node struct {
	Name       string
	Band       wifiopt.Band
	At         gen.Point
	On         wifiopt.Assignment
	TxPowerDBm float64
	AP         bool
	BSS        int // stations associate with the AP of their BSS

	meshRadio int // index in Problem.Radios whose shadowing it shares, or -1
	foreign   int // index in Scene.Foreign, or -1
}

// Loss is the symmetric path loss between nodes A and B in dB.
type Loss struct {
	A, B int
	DB   float64
}

// FlowKind says what a flow carries.
type FlowKind int

// The kinds of flows.
const (
	ToClient   FlowKind = iota // a mesh AP to one of its clients; Ref is the client index
	Backhaul                   // an uplink AP to a satellite; Ref is the satellite's 5 GHz radio index
	ForeignNet                 // a foreign AP to its station; Ref is the foreign network index
)

// Flow is a constant-rate downlink from an AP node to a station node.
type Flow struct {
	Src, Dst int
	Mbps     float64
	Kind     FlowKind
	Ref      int
}

// Scenario builds the judge's input for plan p in h, with the simulated
// warm-up and measured times given.
func (h *Home) Scenario(p Plan, warmup, measure time.Duration) (*Scenario, error) {
	s := h.Scene
	sc := &Scenario{Warmup: warmup, Measure: measure, FloorHeightM: s.Building.FloorHeightM}
	add := func(n Node) int {
		sc.Nodes = append(sc.Nodes, n)
		return len(sc.Nodes) - 1
	}
	apNode := make([]int, len(s.Radios))
	for i, r := range s.Radios {
		a, ok := p.Assign[r.ID]
		if !ok {
			return nil, fmt.Errorf("wifieval: plan has no channel for %s", r.ID)
		}
		if _, err := toNS(r.Band, a); err != nil {
			return nil, fmt.Errorf("wifieval: %s: %w", r.ID, err)
		}
		apNode[i] = add(h.meshAP(p, i))
	}
	for k, c := range h.Clients {
		ap := sc.Nodes[apNode[c.Radio]]
		n := add(Node{Name: c.ID, Band: ap.Band, At: c.At, On: ap.On, TxPowerDBm: StationTxPowerDBm, BSS: ap.BSS, meshRadio: -1, foreign: -1})
		if c.OfferedMbps > 0 {
			sc.Flows = append(sc.Flows, Flow{Src: apNode[c.Radio], Dst: n, Mbps: c.OfferedMbps, Kind: ToClient, Ref: k})
		}
	}
	for i, r := range s.Radios {
		if r.BackhaulOf == "" {
			continue
		}
		up := h.radioIndex(r.BackhaulOf)
		if up < 0 {
			return nil, fmt.Errorf("wifieval: %s: backhaul to unknown radio %s", r.ID, r.BackhaulOf)
		}
		rate := 0.0
		for _, c := range h.Clients {
			if s.Radios[c.Radio].Node == r.Node {
				rate += c.OfferedMbps
			}
		}
		ap := sc.Nodes[apNode[i]]
		bh := Node{Name: r.ID + "-bh", Band: r.Band, At: ap.At, On: sc.Nodes[apNode[up]].On, TxPowerDBm: ap.TxPowerDBm, BSS: up, meshRadio: i, foreign: -1}
		if sc.Nodes[apNode[up]].TxPowerDBm-h.loss(sc.Nodes[apNode[up]], bh) < BackhaulMinDBm {
			continue // no usable link: taken as wired
		}
		n := add(bh)
		if rate > 0 {
			sc.Flows = append(sc.Flows, Flow{Src: apNode[up], Dst: n, Mbps: rate, Kind: Backhaul, Ref: i})
		}
	}
	mesh := len(sc.Nodes)
	for k := range s.Foreign {
		for _, band := range []wifiopt.Band{wifiopt.Band2G4, wifiopt.Band5G} {
			ap, load := h.foreignAP(k, band)
			if !h.heardByMesh(ap, sc.Nodes[:mesh]) {
				continue
			}
			a := add(ap)
			st := add(Node{Name: ap.Name + "-sta", Band: band, At: h.ForeignSta[k], On: ap.On, TxPowerDBm: StationTxPowerDBm, BSS: ap.BSS, meshRadio: -1, foreign: k})
			if load > 0 {
				sc.Flows = append(sc.Flows, Flow{Src: a, Dst: st, Mbps: load * Capacity(band, ap.On.Width), Kind: ForeignNet, Ref: k})
			}
		}
	}
	maxTx := 0.0
	for _, n := range sc.Nodes {
		maxTx = max(maxTx, n.TxPowerDBm)
	}
	for a := range sc.Nodes {
		for b := a + 1; b < len(sc.Nodes); b++ {
			if sc.Nodes[a].Band != sc.Nodes[b].Band {
				continue
			}
			if l := h.loss(sc.Nodes[a], sc.Nodes[b]); maxTx-l >= HearDBm {
				sc.Losses = append(sc.Losses, Loss{A: a, B: b, DB: l})
			}
		}
	}
	return sc, nil
}

func bandTag(b wifiopt.Band) string {
	if b == wifiopt.Band2G4 {
		return "2g"
	}
	return "5g"
}

func (h *Home) radioIndex(id string) int {
	for i, r := range h.Scene.Radios {
		if r.ID == id {
			return i
		}
	}
	return -1
}

// meshAP is mesh radio i as plan p sets it up: its channel, and the
// plan's transmit power for it (the radio's own when the plan has none).
func (h *Home) meshAP(p Plan, i int) Node {
	r := h.Scene.Radios[i]
	pw, ok := p.TxPowerDBm[r.ID]
	if !ok {
		pw = r.TxPowerDBm
	}
	return Node{Name: r.ID, Band: r.Band, At: h.Scene.RadioAt[i], On: p.Assign[r.ID], TxPowerDBm: pw, AP: true, BSS: i, meshRadio: i, foreign: -1}
}

// foreignAP is foreign network k's AP on band, and the share of airtime
// its traffic takes there. Its BSS number comes after the mesh radios':
// two per foreign AP.
func (h *Home) foreignAP(k int, band wifiopt.Band) (Node, float64) {
	s := h.Scene
	f := s.Foreign[k]
	on, load, pw, bss := f.On24, f.Load24, f.TxPower24, len(s.Radios)+2*k
	if band == wifiopt.Band5G {
		on, load, pw, bss = f.On5, f.Load5, f.TxPower5, bss+1
	}
	return Node{Name: fmt.Sprintf("f%02d-%s", k, bandTag(band)), Band: band, At: f.At, On: on, TxPowerDBm: pw, AP: true, BSS: bss, meshRadio: -1, foreign: k}, load
}

// heardByMesh reports whether some mesh node of f's band hears foreign AP f
// at HearDBm or above.
func (h *Home) heardByMesh(f Node, mesh []Node) bool {
	for _, n := range mesh {
		if n.Band == f.Band && f.TxPowerDBm-h.loss(f, n) >= HearDBm {
			return true
		}
	}
	return false
}

// loss is the path loss between two nodes of one band: the Scene's
// geometry, the outer walls of foreign networks, and the shadowing the
// Scene drew for the pair when it drew one (mesh radios among
// themselves, foreign APs to mesh radios), a fixed draw otherwise.
func (h *Home) loss(a, b Node) float64 {
	s := h.Scene
	l := s.Building.PathLoss(a.At, b.At, gen.BandMHz(a.Band))
	if a.foreign != b.foreign {
		for _, n := range []Node{a, b} {
			if n.foreign >= 0 {
				l += s.Foreign[n.foreign].ExtraDB
			}
		}
	}
	switch {
	case a.meshRadio >= 0 && b.meshRadio >= 0 && a.meshRadio != b.meshRadio:
		return l - s.Shadow[a.meshRadio][b.meshRadio]
	case a.meshRadio >= 0 && b.AP && b.foreign >= 0:
		return l - s.Foreign[b.foreign].Shadow[a.meshRadio]
	case b.meshRadio >= 0 && a.AP && a.foreign >= 0:
		return l - s.Foreign[a.foreign].Shadow[b.meshRadio]
	}
	return l - h.shadow(a.Name, b.Name)
}

// WriteTo writes the scenario in the judge's text format (see
// ns3/judge.cc).
func (sc *Scenario) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: bufio.NewWriter(w)}
	fmt.Fprintf(cw, "judge 1\ntime %g %g\n", sc.Warmup.Seconds(), sc.Measure.Seconds())
	for i, n := range sc.Nodes {
		ch, err := toNS(n.Band, n.On)
		if err != nil {
			return cw.n, fmt.Errorf("wifieval: node %s: %w", n.Name, err)
		}
		band, role := 5, "sta"
		if n.Band == wifiopt.Band2G4 {
			band = 2
		}
		if n.AP {
			role = "ap"
		}
		fmt.Fprintf(cw, "node %d %d %.2f %.2f %.2f %d %d %d %g %s %d # %s\n", i, band, n.At.X, n.At.Y, float64(n.At.Floor)*sc.FloorHeightM,
			ch.number, ch.width, ch.p20, n.TxPowerDBm, role, n.BSS, n.Name)
	}
	for _, l := range sc.Losses {
		fmt.Fprintf(cw, "loss %d %d %.2f\n", l.A, l.B, l.DB)
	}
	for k, f := range sc.Flows {
		fmt.Fprintf(cw, "flow %d %d %d %.4f\n", k, f.Src, f.Dst, f.Mbps)
	}
	if cw.err != nil {
		return cw.n, cw.err
	}
	return cw.n, cw.w.(*bufio.Writer).Flush()
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
