package leader

import (
	"slices"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
)

// RefusedHold is how long the channels of a switch a radio refused stay
// out of that radio's plans.
const RefusedHold = 30 * time.Minute

// refusals remembers the channels radios refused: a switch onto them
// failed (the Agent or the radio refused it, it did not complete, or the
// radio was elsewhere afterwards). Each 20 MHz channel of the refused
// block stays out of that radio's plans for RefusedHold, so a radio that
// keeps refusing a channel (a driver that cannot use it, a hostapd
// without radar detection asked for DFS) fails one round, not every
// round, and the rest of the home's plan is applied meanwhile.
type refusals struct {
	mu sync.Mutex
	by map[string]map[int]time.Time // radio ID → channel → end of the hold
}

// add holds the channels of a (on band b) away from radio until until.
func (f *refusals) add(radio string, b wifiopt.Band, a wifiopt.Assignment, until time.Time) []int {
	chs, err := wifiopt.Block(b, a.Channel, a.Width)
	if err != nil {
		chs = []int{a.Channel}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.by == nil {
		f.by = map[string]map[int]time.Time{}
	}
	if f.by[radio] == nil {
		f.by[radio] = map[int]time.Time{}
	}
	for _, c := range chs {
		f.by[radio][c] = until
	}
	return chs
}

// held lists radio's channels held at now, ascending, and forgets the
// holds that ended.
func (f *refusals) held(radio string, now time.Time) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for c, until := range f.by[radio] {
		if now.Before(until) {
			out = append(out, c)
		} else {
			delete(f.by[radio], c)
		}
	}
	slices.Sort(out)
	return out
}

// leaveOut removes the held channels from each radio's allowed ones (the
// channels of its current block stay: it operates there, and a wide
// channel is allowed only when all of them are).
func (f *refusals) leaveOut(radios []*measuredRadio, now time.Time) {
	for _, r := range radios {
		held := f.held(r.id(), now)
		if len(held) == 0 {
			continue
		}
		r.refused = nil
		cur := currentBlock(r.band, r.current)
		r.allowed = slices.DeleteFunc(r.allowed, func(c int) bool {
			out := !slices.Contains(cur, c) && slices.Contains(held, c)
			if out {
				r.refused = append(r.refused, c)
			}
			return out
		})
	}
}
