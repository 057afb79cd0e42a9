package wifiopt

import (
	"context"
	"maps"
	"math"
	"slices"
)

// Transmit power; see "Power" in the package documentation.
const (
	// PowerStepDB is one step of a power cut: a halving, as TR-181's
	// TransmitPower percentages 100, 50, 25 and 12 go.
	PowerStepDB = 3
	// MaxPowerCutDB is the deepest cut, three halvings: a radio keeps
	// most of its coverage for clients that move or join later.
	MaxPowerCutDB = 9
	// PowerMarginDB is how far above its band's top-rate SNR, at the
	// radio's width, a radio's weakest client (Radio.WeakestClientDBm,
	// else ClientSignalDBm) must stay after a cut: room for fading and for a client that moves a
	// little, since the planner prices no rate lost to a weaker signal.
	PowerMarginDB = 6
	// PowerHysteresisDB lets a radio keep a cut it has while its weak
	// client is at most this much under PowerMarginDB, so that 2 dB of
	// measurement noise does not move its power back and forth.
	PowerHysteresisDB = 3
	// PowerMinGain is the least a cut must lower the plan's cost (in
	// radios' airtime) to be made: a cut that saves nothing still costs
	// coverage.
	PowerMinGain = 0.002
)

// AtPower is the Problem as it would be measured with each radio of
// txPower transmitting at that power (dBm; radios not in it keep
// Radio.TxPowerDBm): what other radios hear of it (RSSI and ClientRSSI
// from it) and its own clients' signal move by the change, since path
// loss does not depend on power, and its PowerCutDB moves the other way,
// so that its full power stays where it was (a power above it becomes
// the full power, cut 0). A link measured in one direction only gets its
// reverse filled in first, as the model reads it. txPower must name
// radios of p with finite powers.
func (p *Problem) AtPower(txPower map[string]float64) (*Problem, error) {
	delta := map[string]float64{}
	for i := range p.Radios {
		r := &p.Radios[i]
		v, ok := txPower[r.ID]
		if !ok {
			continue
		}
		if !finite(v) {
			return nil, invalid("radio %q: transmit power %v not finite", r.ID, v)
		}
		delta[r.ID] = v - r.TxPowerDBm
	}
	for id := range txPower {
		if !slices.ContainsFunc(p.Radios, func(r Radio) bool { return r.ID == id }) {
			return nil, invalid("transmit power for unknown radio %q", id)
		}
	}
	q := *p
	q.Radios = slices.Clone(p.Radios)
	for i := range q.Radios {
		r := &q.Radios[i]
		d := delta[r.ID]
		r.TxPowerDBm += d
		r.PowerCutDB = max(0, r.PowerCutDB-d)
		// A signal can fall but stays a measured one (below 0 dBm).
		if r.ClientSignalDBm != 0 {
			r.ClientSignalDBm = math.Min(r.ClientSignalDBm+d, -1e-3)
		}
		if r.WeakestClientDBm != 0 {
			r.WeakestClientDBm = math.Min(r.WeakestClientDBm+d, -1e-3)
		}
	}
	q.RSSI = withReverse(p.RSSI)
	for k := range q.RSSI {
		q.RSSI[k].RSSI += delta[q.RSSI[k].From]
	}
	q.ClientRSSI = slices.Clone(p.ClientRSSI)
	for k := range q.ClientRSSI {
		q.ClientRSSI[k].RSSI += delta[q.ClientRSSI[k].From]
	}
	return &q, nil
}

// withReverse is ls plus, for every pair measured in one direction only,
// the reverse at the same level (the model's reading of a missing
// direction), so that changing one radio's power changes only what is
// heard of it.
func withReverse(ls []Link) []Link {
	out := slices.Clone(ls)
	have := make(map[[2]string]bool, len(ls))
	for _, l := range ls {
		have[[2]string{l.From, l.To}] = true
	}
	for _, l := range ls {
		if !have[[2]string{l.To, l.From}] {
			have[[2]string{l.To, l.From}] = true
			out = append(out, Link{From: l.To, To: l.From, RSSI: l.RSSI})
		}
	}
	return out
}

// PowerPlan is the transmit power PlanPower chose for every radio.
type PowerPlan struct {
	// TxPowerDBm is each radio's power, by radio ID: its full power less
	// CutDB.
	TxPowerDBm map[string]float64
	// CutDB is each radio's cut below its full power (0 to MaxPowerCutDB
	// in PowerStepDB steps), by radio ID.
	CutDB map[string]float64
	// Cost is the plan's cost at those powers (Evaluate of AtPower) and
	// CurrentCost at the radios' current powers, both without switch
	// costs; Changed counts the radios whose cut changes (a current cut
	// read to the nearest step).
	Cost, CurrentCost float64
	Changed           int
}

// PlanPower chooses a transmit power for every radio of p on the channels
// a. Each radio may cut its full power (TxPowerDBm plus PowerCutDB) by
// steps of PowerStepDB, down to MaxPowerCutDB, while its weakest client
// (Radio.WeakestClientDBm, else ClientSignalDBm) stays PowerMarginDB above its band's top-rate SNR at its width (a cut
// it already has may stay down to PowerHysteresisDB less). A radio with
// no measured client (both signals 0) and the radios of a wireless
// backhaul go to full power; a PowerFixed radio keeps its power. From the
// current cuts (within those limits), it takes the single step, one
// radio's cut one PowerStepDB deeper or shallower, that lowers the plan's
// cost most, until none lowers it by PowerMinGain: so a radio's power
// moves only for a real gain. A cut pays where others hear the radio less
// (they defer to it less, and their clients lose less SINR to it) by more
// than its own clients lose. p is as measured at the radios' current
// powers. ctx stops the search; the best powers so far are returned with
// ctx's error.
func PlanPower(ctx context.Context, p *Problem, a map[string]Assignment) (PowerPlan, error) {
	if err := Validate(p); err != nil {
		return PowerPlan{}, err
	}
	full := map[string]float64{}
	now := map[string]float64{}
	for _, r := range p.Radios {
		full[r.ID] = r.TxPowerDBm + r.PowerCutDB
		now[r.ID] = r.PowerCutDB
	}
	base, err := p.AtPower(full)
	if err != nil {
		return PowerPlan{}, err
	}
	base.SwitchCost, base.DFSCost = 0, 0
	cost := func(cut map[string]float64) (float64, error) {
		tx := make(map[string]float64, len(cut))
		for id, c := range cut {
			tx[id] = full[id] - c
		}
		q, err := base.AtPower(tx)
		if err != nil {
			return 0, err
		}
		return Evaluate(q, a)
	}
	currentCost, err := cost(now)
	if err != nil {
		return PowerPlan{}, err
	}
	pm, err := newPowerModel(base, a)
	if err != nil {
		return PowerPlan{}, err
	}
	limit := powerLimits(base, p, a)
	cut := make([]float64, len(p.Radios))
	var movable []int
	for i, r := range p.Radios {
		switch {
		case r.PowerFixed:
			cut[i] = r.PowerCutDB
		case limit[r.ID] > 0 || r.PowerCutDB > 0:
			cut[i] = min(limit[r.ID], PowerStep(r.PowerCutDB))
			movable = append(movable, i)
		}
		pm.set(i, cut[i])
	}
	// gain[i] is what radio i's best step (to[i]) saves; a step changes
	// the gains of the radio and its neighbours only.
	gain, to := make([]float64, len(p.Radios)), make([]float64, len(p.Radios))
	isMovable := make([]bool, len(p.Radios))
	price := func(i int) {
		gain[i] = 0
		for _, d := range []float64{PowerStepDB, -PowerStepDB} {
			next := cut[i] + d
			if next < 0 || next > limit[p.Radios[i].ID] {
				continue
			}
			if g := -pm.delta(i, cut[i], next); g > gain[i] {
				gain[i], to[i] = g, next
			}
		}
	}
	for _, i := range movable {
		isMovable[i] = true
		price(i)
	}
	for range len(movable) * (2*MaxPowerCutDB/PowerStepDB + 1) {
		if ctx.Err() != nil {
			break
		}
		pick := -1
		for _, i := range movable {
			if gain[i] > PowerMinGain && (pick < 0 || gain[i] > gain[pick]) {
				pick = i
			}
		}
		if pick < 0 {
			break
		}
		cut[pick] = to[pick]
		pm.set(pick, cut[pick])
		price(pick)
		for _, j := range pm.nbr[pick] {
			if isMovable[j] {
				price(j)
			}
		}
	}
	pp := PowerPlan{TxPowerDBm: map[string]float64{}, CutDB: map[string]float64{}, CurrentCost: currentCost}
	for i, r := range p.Radios {
		pp.CutDB[r.ID] = cut[i]
		pp.TxPowerDBm[r.ID] = full[r.ID] - cut[i]
		if !r.PowerFixed && cut[i] != PowerStep(r.PowerCutDB) {
			pp.Changed++
		}
	}
	if pp.Cost, err = cost(pp.CutDB); err != nil {
		return PowerPlan{}, err
	}
	return pp, ctx.Err()
}

// powerModel prices power cuts on one model compiled at full power. A
// cut on radio i changes only what the others and their clients hear of
// it and its own weak client's SNR, which only the terms that involve i
// read: its unary cost and its pairs. So a cut's price is the change of
// those terms alone (delta), without compiling the home again; Solve's
// cached pair costs are not used, since they hold full-power levels.
type powerModel struct {
	m    *model
	opts []option
	// nbr lists, per radio, the radios it shares a link or a client link
	// with, either way.
	nbr [][]int
	// rssi and crssi are the model's levels at full power; sig each
	// radio's weak client's signal at full power.
	rssi, crssi map[[2]int]float64
	sig         []float64
}

// newPowerModel compiles base (a Problem at full power) for the
// assignments a, which Evaluate must accept.
func newPowerModel(base *Problem, a map[string]Assignment) (*powerModel, error) {
	m, err := compile(base)
	if err != nil {
		return nil, err
	}
	if _, err := m.assignments(a); err != nil {
		return nil, err
	}
	pm := &powerModel{m: m, opts: make([]option, len(base.Radios)), nbr: make([][]int, len(base.Radios)),
		rssi: maps.Clone(m.rssi), crssi: maps.Clone(m.crssi), sig: make([]float64, len(base.Radios))}
	for i, r := range base.Radios {
		as := a[r.ID]
		chs, _ := block(r.Band, as.Channel, as.Width)
		pm.opts[i] = option{a: as, chs: chs, sp: spanOf(r.Band, chs), dfs: r.anyDFS(chs), wi: widthIndex(as.Width)}
		pm.sig[i] = r.ClientSignalDBm
	}
	seen := map[[2]int]bool{}
	for _, links := range []map[[2]int]float64{m.rssi, m.crssi} {
		for k := range links {
			x, y := min(k[0], k[1]), max(k[0], k[1])
			if x == y || seen[[2]int{x, y}] {
				continue
			}
			seen[[2]int{x, y}] = true
			pm.nbr[x] = append(pm.nbr[x], y)
			pm.nbr[y] = append(pm.nbr[y], x)
		}
	}
	for i := range pm.nbr {
		slices.Sort(pm.nbr[i])
	}
	return pm, nil
}

// set puts radio i at cut dB under full power.
func (pm *powerModel) set(i int, cut float64) {
	for _, j := range pm.nbr[i] {
		k := [2]int{j, i}
		if v, ok := pm.rssi[k]; ok {
			pm.m.rssi[k] = v - cut
		}
		if v, ok := pm.crssi[k]; ok {
			pm.m.crssi[k] = v - cut
		}
	}
	if pm.sig[i] != 0 {
		r := pm.m.p.Radios[i]
		r.ClientSignalDBm = min(pm.sig[i]-cut, -1e-3)
		pm.m.info[i].snr = clientSNR(&r)
	}
}

// local is the part of the cost that radio i's power moves: its unary
// cost and every pair it is in.
func (pm *powerModel) local(i int) float64 {
	c := pm.m.radioUnary(i, pm.opts[i])
	for _, j := range pm.nbr[i] {
		c += pm.m.pairAt(pm.m.mkPair(i, j), pm.opts[i], pm.opts[j])
	}
	return c
}

// delta is the change of the cost when radio i goes from cut from to
// cut to; it leaves i at from.
func (pm *powerModel) delta(i int, from, to float64) float64 {
	before := pm.local(i)
	pm.set(i, to)
	after := pm.local(i)
	pm.set(i, from)
	return after - before
}

// powerLimits is the deepest cut (dB) each radio may take on the
// channels a: base is p at full power. A radio keeps full power (limit
// 0) without a measured client, in a backhaul group, or without an
// assignment in a.
func powerLimits(base, p *Problem, a map[string]Assignment) map[string]float64 {
	backhaul := map[string]bool{}
	for _, r := range p.Radios {
		if r.BackhaulOf != "" {
			backhaul[r.ID], backhaul[r.BackhaulOf] = true, true
		}
	}
	limit := make(map[string]float64, len(p.Radios))
	for k, r := range base.Radios {
		as, ok := a[r.ID]
		weak := keptSignal(&r)
		if !ok || backhaul[r.ID] || weak == 0 {
			continue
		}
		top := topSNR5DB
		if r.Band == Band2G4 {
			top = topSNR24DB
		}
		// The weakest client's SNR at full power and the assigned width,
		// above the top rate's.
		room := weak - 10*math.Log10(float64(max(as.Width, 20))/20) - ClientNoiseDBm - top
		c := min(MaxPowerCutDB, PowerStepDB*math.Floor((room-PowerMarginDB)/PowerStepDB))
		have := min(MaxPowerCutDB, PowerStep(p.Radios[k].PowerCutDB))
		if have > c && room-have >= PowerMarginDB-PowerHysteresisDB {
			c = have
		}
		limit[r.ID] = max(0, c)
	}
	return limit
}

// keptSignal is the signal of the client PlanPower keeps above its
// margin on radio r: the weakest station where it was measured
// (WeakestClientDBm), else the weak clients' ClientSignalDBm; 0 when
// neither is known.
func keptSignal(r *Radio) float64 {
	if r.WeakestClientDBm != 0 && (r.ClientSignalDBm == 0 || r.WeakestClientDBm < r.ClientSignalDBm) {
		return r.WeakestClientDBm
	}
	return r.ClientSignalDBm
}

// PowerStep is a measured cut (dB) rounded to the nearest whole step, as
// PlanPower reads Radio.PowerCutDB: a radio at 13 % of its power (8.9 dB)
// is at the 9 dB step.
func PowerStep(cut float64) float64 {
	return PowerStepDB * math.Round(cut/PowerStepDB)
}
