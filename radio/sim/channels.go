package sim

import (
	"slices"

	"github.com/uspmesh/uspmesh/radio"
)

// span is the spectrum a BSS occupies: its 20 MHz channels and the edges
// and centre of the whole (possibly bonded) channel.
type span struct {
	channels         []int
	lowMHz, highMHz  int
	centerMHz, width int
}

// block returns the span of a BSS with primary channel ch and the given
// width, or false when the width is not supported or a channel of the
// bonded block is not allowed. On 2.4 GHz a 40 MHz channel bonds upwards
// when it can, else downwards; on 5 and 6 GHz blocks are aligned as in
// IEEE 802.11 (5 GHz from channel 36, and from 149 upwards; 6 GHz from 1).
func block(b radio.Band, allowed, widths []int, ch, width int) (span, bool) {
	if !slices.Contains(widths, width) || !slices.Contains(allowed, ch) {
		return span{}, false
	}
	f := radio.ChannelFreq(b, ch)
	if f == 0 {
		return span{}, false
	}
	if width == 20 {
		return span{channels: []int{ch}, lowMHz: f - 10, highMHz: f + 10, centerMHz: f, width: 20}, true
	}
	var chans []int
	switch b {
	case radio.Band2G4:
		if width != 40 {
			return span{}, false
		}
		// HT40 on 2.4 GHz: secondary channel above for primaries 1-7,
		// below for 8-13 (as hostapd and the planner place it).
		switch {
		case ch <= 7 && slices.Contains(allowed, ch+4):
			chans = []int{ch, ch + 4}
		case ch >= 8 && ch <= 13 && slices.Contains(allowed, ch-4):
			chans = []int{ch - 4, ch}
		default:
			return span{}, false
		}
	default:
		base := 1
		if b == radio.Band5G {
			base = 36
			if ch >= 149 {
				base = 149
			}
		}
		if ch < base || (ch-base)%4 != 0 {
			return span{}, false
		}
		n := width / 20
		start := base + (ch-base)/(4*n)*(4*n)
		for i := range n {
			c := start + 4*i
			if !slices.Contains(allowed, c) {
				return span{}, false
			}
			chans = append(chans, c)
		}
	}
	lo := radio.ChannelFreq(b, chans[0]) - 10
	hi := radio.ChannelFreq(b, chans[len(chans)-1]) + 10
	return span{channels: chans, lowMHz: lo, highMHz: hi, centerMHz: (lo + hi) / 2, width: width}, true
}

// looseBlock is block for a transmitter whose allowed channels are not
// known (a foreign network, or a peer read from the air): every channel of
// the band is allowed. A width that does not fit falls back to 20 MHz.
func looseBlock(b radio.Band, ch, width int) span {
	all := bandChannels(b)
	if s, ok := block(b, all, []int{width}, ch, width); ok {
		return s
	}
	f := radio.ChannelFreq(b, ch)
	return span{channels: []int{ch}, lowMHz: f - 10, highMHz: f + 10, centerMHz: f, width: 20}
}

// bandChannels lists every channel number of a band.
func bandChannels(b radio.Band) []int {
	var out []int
	for ch := 1; ch <= 233; ch++ {
		if radio.ChannelFreq(b, ch) != 0 {
			out = append(out, ch)
		}
	}
	return out
}

// isDFS reports whether a channel needs radar detection: 5 GHz channels
// 52 to 144 (the ETSI and FCC U-NII-2 ranges).
func isDFS(b radio.Band, ch int) bool {
	return b == radio.Band5G && ch >= 50 && ch <= 144
}

// spanDFS reports whether any channel of a span needs radar detection.
func spanDFS(b radio.Band, s span) bool {
	return slices.ContainsFunc(s.channels, func(c int) bool { return isDFS(b, c) })
}

// overlap is the fraction of the 20 MHz channel centred on freqMHz that
// span s covers, 0..1. It models 2.4 GHz adjacent-channel overlap and
// 5/6 GHz bonded blocks alike.
func overlap(s span, freqMHz int) float64 {
	lo, hi := max(s.lowMHz, freqMHz-10), min(s.highMHz, freqMHz+10)
	if hi <= lo {
		return 0
	}
	return float64(hi-lo) / 20
}

// capabilities builds the radio.Capabilities of a radio spec.
func capabilities(rs RadioSpec) radio.Capabilities {
	chans := slices.Clone(rs.Channels)
	slices.Sort(chans)
	caps := radio.Capabilities{
		Band:          rs.Band,
		Widths:        slices.Clone(rs.Widths),
		TxPowerMinDBm: rs.TxPower.Min,
		TxPowerMaxDBm: rs.TxPower.Max,
	}
	slices.Sort(caps.Widths)
	for _, ch := range chans {
		caps.Channels = append(caps.Channels, radio.Channel{
			Number:      ch,
			FreqMHz:     radio.ChannelFreq(rs.Band, ch),
			DFS:         isDFS(rs.Band, ch),
			MaxPowerDBm: rs.TxPower.Max,
		})
	}
	switch rs.Band {
	case radio.Band2G4:
		caps.Standards = []string{"b", "g", "n", "ax"}
	case radio.Band5G:
		caps.Standards = []string{"a", "n", "ac", "ax"}
	default:
		caps.Standards = []string{"ax"}
	}
	return caps
}
