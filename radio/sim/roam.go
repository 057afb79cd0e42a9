package sim

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// roamDir holds one file per client whose association the air must
// remember: roam/<mac>.json (RoamState), written by any node that moves
// the client (its own roaming, a BSS transition, a refusal).
const roamDir = "roam"

// RoamState is what the air remembers of one client: the radio it is
// associated to (sticky clients stay there) and the radios refusing it.
type RoamState struct {
	MAC string `json:"mac"`
	// Node and Radio name the radio the client is associated to; empty
	// when it is not associated.
	Node   string   `json:"node,omitempty"`
	Radio  string   `json:"radio,omitempty"`
	Denied []Denial `json:"denied,omitempty"`
}

// Denial is a radio refusing a client's association until a time.
type Denial struct {
	Node  string    `json:"node"`
	Radio string    `json:"radio"`
	Until time.Time `json:"until"`
}

// denied reports whether node's radio refuses the client at now.
func (rs RoamState) denied(node, radioName string, now time.Time) bool {
	return slices.ContainsFunc(rs.Denied, func(d Denial) bool {
		return d.Node == node && d.Radio == radioName && now.Before(d.Until)
	})
}

// DecodeRoamState decodes and checks a roam file.
func DecodeRoamState(data []byte) (RoamState, error) {
	var rs RoamState
	if err := decodeStrict(data, &rs); err != nil {
		return RoamState{}, err
	}
	if _, err := parseMAC(rs.MAC); err != nil {
		return RoamState{}, fmt.Errorf("mac: %w", err)
	}
	if (rs.Node == "") != (rs.Radio == "") {
		return RoamState{}, errors.New("node and radio must both be set or both be empty")
	}
	return rs, nil
}

// readRoams reads every roam file of the air; files that do not decode
// are skipped.
func readRoams(dir string) map[string]RoamState {
	out := map[string]RoamState{}
	entries, err := os.ReadDir(filepath.Join(dir, roamDir))
	if err != nil {
		return out
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, roamDir, e.Name()))
		if err != nil {
			continue
		}
		if rs, err := DecodeRoamState(data); err == nil {
			out[normMAC(rs.MAC)] = rs
		}
	}
	return out
}

// readRoam reads one client's roam file; a missing or bad file gives an
// empty state.
func readRoam(dir, mac string) RoamState {
	data, err := os.ReadFile(roamPath(dir, mac))
	if err == nil {
		if rs, err := DecodeRoamState(data); err == nil {
			return rs
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return RoamState{MAC: mac}
	}
	return RoamState{MAC: mac}
}

func roamPath(dir, mac string) string {
	return filepath.Join(dir, roamDir, strings.ReplaceAll(normMAC(mac), ":", "-")+".json")
}

// updateRoam re-reads the client's roam file, applies f, drops expired
// refusals and writes it back.
func updateRoam(dir, mac string, now time.Time, f func(*RoamState)) error {
	if err := os.MkdirAll(filepath.Join(dir, roamDir), 0o755); err != nil {
		return fmt.Errorf("sim: roam: %w", err)
	}
	rs := readRoam(dir, normMAC(mac))
	rs.MAC = normMAC(mac)
	f(&rs)
	rs.Denied = slices.DeleteFunc(rs.Denied, func(d Denial) bool { return !now.Before(d.Until) })
	if err := writeJSON(roamPath(dir, mac), rs); err != nil {
		return fmt.Errorf("sim: roam: %w", err)
	}
	return nil
}

// candidate is a radio a client could associate to.
type candidate struct {
	node, radio string
	bssid       string
	band        radio.Band
	rssi        float64
}

// usable lists the radios client c at pos may associate to at now: up,
// of one of its bands, not refusing it, heard at AssocMinDBm or better;
// strongest first (ties by node and radio name).
func (h *Home) usable(c Client, pos Pos, nodes []NodeState, rs RoamState, now time.Time) []candidate {
	mac := normMAC(c.MAC)
	var out []candidate
	for _, ns := range nodes {
		ap, ok := h.AP(ns.Node)
		if !ok {
			continue
		}
		for _, r := range ns.Radios {
			if !slices.Contains(c.bands(), r.Band) || !r.Enabled || !r.Up || rs.denied(ns.Node, r.Name, now) {
				continue
			}
			level := h.rssi(r.Band, r.TxPowerDBm, ap.Pos, ns.Node, pos, "client:"+mac)
			if level >= AssocMinDBm {
				out = append(out, candidate{node: ns.Node, radio: r.Name, bssid: normMAC(r.BSSID), band: r.Band, rssi: level})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b candidate) int {
		if a.rssi != b.rssi {
			return cmp.Compare(b.rssi, a.rssi)
		}
		return cmp.Or(cmp.Compare(a.node, b.node), cmp.Compare(a.radio, b.radio))
	})
	return out
}

// place associates every client at now: a sticky client (RoamDBm set)
// stays on the radio its roam state names while that radio is usable and
// heard at RoamDBm or better; otherwise, and for plain clients always,
// the client takes the strongest usable radio. It also returns the roam
// states of sticky clients whose association changed.
func (h *Home) place(nodes []NodeState, clients []Client, roams map[string]RoamState, now time.Time) (map[string]association, []RoamState) {
	sorted := slices.Clone(nodes)
	slices.SortFunc(sorted, func(a, b NodeState) int { return cmp.Compare(a.Node, b.Node) })
	out := map[string]association{}
	var changed []RoamState
	for _, c := range clients {
		if c.Gone {
			continue
		}
		mac := normMAC(c.MAC)
		rs := roams[mac]
		pos := c.posAt(now)
		cands := h.usable(c, pos, sorted, rs, now)
		var pick *candidate
		if c.RoamDBm != 0 && rs.Node != "" {
			i := slices.IndexFunc(cands, func(x candidate) bool { return x.node == rs.Node && x.radio == rs.Radio })
			if i >= 0 && cands[i].rssi >= c.RoamDBm {
				pick = &cands[i]
			}
		}
		if pick == nil && len(cands) > 0 {
			pick = &cands[0]
		}
		if pick != nil {
			cc := c
			cc.Pos, cc.Band = pos, pick.band
			out[mac] = association{node: pick.node, radio: pick.radio, rssi: pick.rssi, client: cc}
		}
		if c.RoamDBm == 0 {
			continue
		}
		next := RoamState{MAC: mac, Denied: rs.Denied}
		if pick != nil {
			next.Node, next.Radio = pick.node, pick.radio
		}
		if next.Node != rs.Node || next.Radio != rs.Radio {
			changed = append(changed, next)
		}
	}
	return out, changed
}

// currentLocked refreshes an association for the client's place at now:
// where a walking client is, and the downlink level there. The caller
// holds r.mu.
func (r *Radio) currentLocked(a association, now time.Time) association {
	if a.client.Path == nil {
		return a
	}
	a.client.Pos = a.client.posAt(now)
	tx := r.txPower
	a.rssi = r.b.home.rssi(r.spec.Band, tx, r.b.ap.Pos, r.b.cfg.Node, a.client.Pos, "client:"+normMAC(a.client.MAC))
	if math.IsInf(a.rssi, 0) || math.IsNaN(a.rssi) {
		a.rssi = AssocMinDBm
	}
	return a
}

// Roams returns the roam state of every client the air remembers, by
// MAC address.
func (a *Air) Roams() map[string]RoamState { return readRoams(a.dir) }
