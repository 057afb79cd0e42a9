package bind

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// DefaultSurveySmoothing is the default time constant of the smoothed
// survey figures (Config.SurveySmoothing).
const DefaultSurveySmoothing = time.Minute

// airtime turns a radio's channel surveys into the smoothed figures of
// Radio.{i}.Stats.X_USPMESH_ChannelBusy, X_USPMESH_Airtime and
// X_USPMESH_SurveyBusy.
//
// Drivers report cumulative counters per frequency: the time the radio
// listened (ActiveTime), the part of it the medium was busy (BusyTime)
// and the radio's own receive and transmit time. Each read is compared
// with the previous read of the same frequency: the busy share of the
// interval is ΔBusy/ΔActive and the own share Δ(Rx+Tx)/ΔActive. A
// negative delta (a counter reset, a wrap, a driver restart) or a busy
// time growing faster than the active time (garbage) restarts the
// baseline at the new read; an interval in which ActiveTime did not move
// measures nothing. Shares are smoothed by an exponentially weighted
// moving average whose weight for an interval of length dt is
// 1 − exp(−dt/τ), dt being the longer of the wall time and ΔActive
// between the reads, so the average forgets a minute-old medium at the
// same pace however often it is read. The first read of a frequency seeds
// the average with its absolute ratio (the counters since the driver
// started, or since its last reset).
//
// Own time counts only when the driver ever reported some: a driver that
// leaves it at zero (mac80211_hwsim, iwlwifi) gives -1, not an idle radio.
// It is not safe for concurrent use; the Binding holds its mutex.
type airtime struct {
	tau   time.Duration
	chans map[int]*surveyStat // by frequency in MHz
	inUse int                 // frequency of the operating channel, 0 when unknown
	// own is the smoothed own share on the operating channel.
	own     ewma
	ownSeen bool // the driver reported own (receive or transmit) time
}

// surveyStat is one frequency's baseline and smoothed busy share.
type surveyStat struct {
	channel int
	prev    radio.SurveyEntry
	at      time.Time // when prev was read
	base    bool      // prev is a usable baseline
	busy    ewma
}

// ewma is a smoothed share in 0..1; ok is false until the first sample.
type ewma struct {
	v  float64
	ok bool
}

// add folds sample x, measured over dt, into the average of time constant
// tau.
func (e *ewma) add(x float64, dt, tau time.Duration) {
	x = min(max(x, 0), 1)
	if !e.ok {
		e.v, e.ok = x, true
		return
	}
	a := 1.0
	if tau > 0 {
		a = 1 - math.Exp(-float64(dt)/float64(tau))
	}
	e.v += a * (x - e.v)
}

// percent is the average in whole percent, -1 before the first sample.
func (e ewma) percent() int {
	if !e.ok {
		return -1
	}
	return int(math.Round(100 * e.v))
}

func newAirtime(tau time.Duration) *airtime {
	return &airtime{tau: tau, chans: map[int]*surveyStat{}}
}

// update takes one survey read at now. stateFreq is the radio's
// operating frequency, used when no entry is flagged InUse.
func (a *airtime) update(entries []radio.SurveyEntry, stateFreq int, now time.Time) {
	a.inUse = stateFreq
	if i := slices.IndexFunc(entries, func(e radio.SurveyEntry) bool { return e.InUse }); i >= 0 {
		a.inUse = entries[i].FreqMHz
	}
	for _, e := range entries {
		if e.FreqMHz <= 0 {
			continue
		}
		inUse := e.FreqMHz == a.inUse
		own := e.RxTime + e.TxTime
		if inUse && own > 0 {
			a.ownSeen = true
		}
		st := a.chans[e.FreqMHz]
		if st == nil {
			st = &surveyStat{channel: e.Channel}
			a.chans[e.FreqMHz] = st
		}
		if !sane(e) {
			st.base = false // no baseline until the counters make sense
			continue
		}
		if !st.base {
			st.prev, st.at, st.base, st.channel = e, now, true, e.Channel
			if e.ActiveTime > 0 && !st.busy.ok {
				// Seed with the counters' own history.
				st.busy.add(ratio(e.BusyTime, e.ActiveTime), e.ActiveTime, a.tau)
				if inUse && own > 0 && own <= e.ActiveTime && !a.own.ok {
					a.own.add(ratio(own, e.ActiveTime), e.ActiveTime, a.tau)
				}
			}
			continue
		}
		p := st.prev
		dA, dB, dO := e.ActiveTime-p.ActiveTime, e.BusyTime-p.BusyTime, own-(p.RxTime+p.TxTime)
		switch {
		case dA < 0 || dB < 0 || dO < 0 || dB > dA:
			// Reset, wrap or garbage: restart the baseline here.
			st.prev, st.at, st.channel = e, now, e.Channel
			continue
		case dA == 0:
			continue // nothing measured since the last read
		}
		dt := max(now.Sub(st.at), dA)
		st.busy.add(ratio(dB, dA), dt, a.tau)
		if inUse && a.ownSeen && dO <= dA {
			a.own.add(ratio(dO, dA), dt, a.tau)
		}
		st.prev, st.at, st.channel = e, now, e.Channel
	}
}

// sane says whether a read's counters can be used at all.
func sane(e radio.SurveyEntry) bool {
	return e.ActiveTime >= 0 && e.BusyTime >= 0 && e.RxTime >= 0 && e.TxTime >= 0 &&
		e.RxTime+e.TxTime >= 0 && e.BusyTime <= e.ActiveTime
}

func ratio(x, of time.Duration) float64 { return float64(x) / float64(of) }

// busyPercent is the smoothed busy share of the operating channel, -1
// when unmeasured.
func (a *airtime) busyPercent() int {
	if st := a.chans[a.inUse]; st != nil {
		return st.busy.percent()
	}
	return -1
}

// ownPercent is the smoothed own share, -1 when the driver reports no
// own time.
func (a *airtime) ownPercent() int {
	if !a.ownSeen {
		return -1
	}
	return a.own.percent()
}

// surveyList is X_USPMESH_SurveyBusy: "<channel>:<percent>" for every
// channel with a smoothed busy share, by channel number.
func (a *airtime) surveyList() string {
	type item struct{ ch, pct int }
	var items []item
	for _, st := range a.chans {
		if st.channel > 0 && st.busy.ok {
			items = append(items, item{st.channel, st.busy.percent()})
		}
	}
	slices.SortFunc(items, func(x, y item) int { return x.ch - y.ch })
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = strconv.Itoa(it.ch) + ":" + strconv.Itoa(it.pct)
	}
	return strings.Join(out, ",")
}

// values are the Stats parameters the figures fill.
func (a *airtime) values(kv *params) {
	kv.set("Stats.X_USPMESH_ChannelBusy", strconv.Itoa(a.busyPercent()))
	kv.set("Stats.X_USPMESH_Airtime", strconv.Itoa(a.ownPercent()))
	kv.set("Stats.X_USPMESH_SurveyBusy", a.surveyList())
}
