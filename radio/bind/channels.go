package bind

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/uspmesh/uspmesh/radio"
)

// widthName spells a channel width in MHz as TR-181's
// OperatingChannelBandwidth does ("80MHz"); 320 MHz is "320MHz-1" (the
// model does not tell the two 320 MHz channelisations apart).
func widthName(mhz int) string {
	switch mhz {
	case 20, 40, 80, 160:
		return strconv.Itoa(mhz) + "MHz"
	case 320:
		return "320MHz-1"
	}
	return ""
}

// parseWidth reads an OperatingChannelBandwidth value: the width in MHz,
// 0 for "Auto" (keep the current width). "80+80MHz" and unknown values
// are not supported.
func parseWidth(s string) (int, error) {
	switch s {
	case "Auto", "":
		return 0, nil
	case "20MHz":
		return 20, nil
	case "40MHz":
		return 40, nil
	case "80MHz":
		return 80, nil
	case "160MHz":
		return 160, nil
	case "320MHz-1", "320MHz-2":
		return 320, nil
	}
	return 0, fmt.Errorf("bandwidth %q is not supported", s)
}

// bandBlocks lists, per band and width, the first 20 MHz channel of each
// bonded block; a block holds width/20 channels spaced by 4 (5 and 6 GHz).
var bandBlocks = map[radio.Band]map[int][]int{
	radio.Band5G: {
		40:  {36, 44, 52, 60, 100, 108, 116, 124, 132, 140, 149, 157, 165, 173},
		80:  {36, 52, 100, 116, 132, 149, 165},
		160: {36, 100, 149},
	},
}

// block returns the 20 MHz channels a width-MHz channel containing ch
// occupies, or nil when ch starts no such block in band b. On 2.4 GHz a
// 40 MHz channel is ch with ch+4 for primaries 1-7, with ch-4 for 8-13
// (HT40+ and HT40-, as hostapd and the planner place it).
func block(b radio.Band, ch, width int, enabled func(int) bool) []int {
	n := width / 20
	if width <= 20 {
		return []int{ch}
	}
	switch b {
	case radio.Band2G4:
		if width != 40 {
			return nil
		}
		if ch <= 7 {
			return []int{ch, ch + 4}
		}
		return []int{ch - 4, ch}
	case radio.Band6G:
		// 6 GHz blocks are aligned on channel 1 (ch = 1 + 4k): a block
		// of n channels starts at a multiple of 4n.
		start := ch - (ch-1)%(4*n)
		return span(start, n)
	case radio.Band5G:
		for _, start := range bandBlocks[b][width] {
			if ch >= start && ch < start+4*n {
				return span(start, n)
			}
		}
	}
	return nil
}

func span(start, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = start + 4*i
	}
	return out
}

// pairError is a refused channel/width pair; Param names the input that
// is at fault ("Channel" or the width's parameter).
type pairError struct {
	Param string
	Msg   string
}

func (e *pairError) Error() string { return e.Param + ": " + e.Msg }

// checkPair checks that a radio with caps can operate on channel ch with
// width MHz (0 = keep the current width cur): ch must be an enabled
// channel of its band, the width supported, and every 20 MHz channel of
// the bonded block enabled. widthParam names the width in errors.
func checkPair(caps radio.Capabilities, ch, width, cur int, widthParam string) *pairError {
	enabled := map[int]bool{}
	known := map[int]bool{}
	for _, c := range caps.Channels {
		known[c.Number] = true
		if !c.Disabled {
			enabled[c.Number] = true
		}
	}
	switch {
	case !known[ch]:
		return &pairError{"Channel", fmt.Sprintf("channel %d is not a %s channel of this radio", ch, caps.Band)}
	case !enabled[ch]:
		return &pairError{"Channel", fmt.Sprintf("channel %d is disabled by the regulatory domain", ch)}
	}
	if width == 0 {
		width = cur
	}
	if width == 0 {
		width = 20
	}
	if !slices.Contains(caps.Widths, width) {
		return &pairError{widthParam, fmt.Sprintf("%d MHz is not supported by this radio (supported: %s)", width, widthList(caps.Widths))}
	}
	blk := block(caps.Band, ch, width, func(c int) bool { return enabled[c] })
	if blk == nil {
		return &pairError{widthParam, fmt.Sprintf("channel %d cannot carry a %d MHz channel in the %s band", ch, width, caps.Band)}
	}
	for _, c := range blk {
		if !enabled[c] {
			return &pairError{widthParam, fmt.Sprintf("channel %d cannot carry %d MHz: channel %d of its block %v is not available", ch, width, c, blk)}
		}
	}
	return nil
}

func widthList(ws []int) string {
	names := make([]string, 0, len(ws))
	for _, w := range ws {
		names = append(names, widthName(w))
	}
	return strings.Join(names, ",")
}

// possibleChannels is Radio.{i}.PossibleChannels: the enabled channels.
func possibleChannels(caps radio.Capabilities) string {
	var out []string
	for _, c := range caps.Channels {
		if !c.Disabled {
			out = append(out, strconv.Itoa(c.Number))
		}
	}
	return strings.Join(out, ",")
}

// tr181Standards are the 802.11 amendments TR-181 names.
var tr181Standards = []string{"a", "b", "g", "n", "ac", "ax", "be"}

// standards is Caps.Standards restricted to TR-181's names, in TR-181's
// order.
func standards(caps radio.Capabilities) string {
	var out []string
	for _, s := range tr181Standards {
		if slices.Contains(caps.Standards, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}
