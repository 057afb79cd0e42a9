package bind

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/radio"
)

const resultTable = "Device.WiFi.NeighboringWiFiDiagnostic.Result."

// neighborDiagnostic runs Device.WiFi.NeighboringWiFiDiagnostic(): it
// scans every radio at once, each on the enabled channels of its own band
// (restricted by Config.ScanChannels), replaces the rows of
// Device.WiFi.NeighboringWiFiDiagnostic.Result.{i}. with what was found
// (one row per BSSID, the strongest sighting), and returns Status
// "Complete" with the Result.{i}.* output arguments. A radio whose scan
// fails is left out (and logged); when every scan fails the command fails
// (7022). Each radio's ChannelsInUse then includes the channels its scan
// found networks on, and its survey figures are re-read.
func (b *Binding) neighborDiagnostic(ctx context.Context, _ datamodel.Row, _ map[string]string) (map[string]string, error) {
	const name = "Device.WiFi.NeighboringWiFiDiagnostic()"
	b.mu.Lock()
	radios := slices.Clone(b.radios)
	b.mu.Unlock()
	if len(radios) == 0 {
		return map[string]string{"Status": "Error"}, &datamodel.Error{Code: datamodel.CodeCommandFailure, Path: name, Msg: "no radio to scan with"}
	}
	scans := make([][]radio.BSS, len(radios))
	errs := make([]error, len(radios))
	var wg sync.WaitGroup
	for i, rr := range radios {
		freqs, ok := b.scanFreqs(rr.info.Caps)
		if !ok {
			continue // Config.ScanChannels leaves nothing to scan
		}
		wg.Go(func() {
			scans[i], errs[i] = rr.r.Scan(ctx, radio.ScanRequest{FreqsMHz: freqs})
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ok := 0
	for i, err := range errs {
		if err != nil {
			b.log.Warn("neighbour scan", "radio", radios[i].info.Name, "err", err)
			continue
		}
		ok++
	}
	if ok == 0 {
		return map[string]string{"Status": "Error"}, &datamodel.Error{Code: datamodel.CodeCommandFailure, Path: name,
			Msg: fmt.Sprintf("every scan failed: %v", errors.Join(errs...))}
	}
	results := b.collect(radios, scans, errs)
	out := map[string]string{"Status": "Complete"}
	err := b.write(ctx, func(w *writer) {
		for p := range w.values(resultTable, "BSSID") {
			w.delete(p)
		}
		for i, kv := range results {
			w.add(resultTable, kv)
			for _, u := range kv {
				out["Result."+strconv.Itoa(i+1)+"."+u.Param] = u.Value
			}
		}
	})
	if err != nil {
		return map[string]string{"Status": "Error"}, &datamodel.Error{Code: datamodel.CodeCommandFailure, Path: name,
			Msg: fmt.Sprintf("store results: %v", err)}
	}
	// Re-read each radio with its survey, so that the survey figures a
	// Controller reads with the results describe the same medium.
	for _, rr := range radios {
		b.refresh(ctx, rr, true)
	}
	return out, nil
}

// collect keeps each radio's scan for ChannelsInUse and returns the result
// rows: one per BSSID, the strongest sighting, in scan order.
func (b *Binding) collect(radios []*radioRow, scans [][]radio.BSS, errs []error) []params {
	type sighting struct {
		rr    *radioRow
		bss   radio.BSS
		noise int
	}
	var order []string
	best := map[string]sighting{}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, rr := range radios {
		if errs[i] != nil {
			continue
		}
		rr.neighbors = scans[i]
		noise := map[int]int{}
		for _, s := range rr.survey {
			noise[s.Channel] = s.NoiseDBm
		}
		for _, bss := range scans[i] {
			if len(bss.BSSID) == 0 {
				continue
			}
			mac := macString(bss.BSSID)
			old, seen := best[mac]
			if !seen {
				order = append(order, mac)
			}
			if !seen || bss.SignalDBm > old.bss.SignalDBm {
				best[mac] = sighting{rr, bss, noise[bss.Channel]}
			}
		}
	}
	out := make([]params, 0, len(order))
	for _, mac := range order {
		s := best[mac]
		out = append(out, resultValues(s.rr, s.bss, s.noise))
	}
	return out
}

// resultValues are one Result row's values. The caller holds Binding.mu.
func resultValues(rr *radioRow, bss radio.BSS, noise int) params {
	kv := params{{Param: "BSSID", Value: macString(bss.BSSID), Required: true}}
	kv.set("Radio", ref(rr.path))
	kv.set("SSID", bss.SSID)
	kv.set("Mode", "Infrastructure")
	if bss.Channel > 0 {
		kv.set("Channel", strconv.Itoa(bss.Channel))
	}
	kv.set("SignalStrength", strconv.Itoa(max(-200, min(bss.SignalDBm, 0))))
	if m := neighborSecurity(bss.Security); m != "" {
		kv.set("SecurityModeEnabled", m)
	}
	band := rr.info.Caps.Band
	if b, _, ok := radio.FreqChannel(bss.FreqMHz); ok {
		band = b
	}
	kv.set("OperatingFrequencyBand", string(band))
	if w := widthName(bss.Width); w != "" {
		kv.set("OperatingChannelBandwidth", w)
	}
	if noise != 0 {
		kv.set("Noise", strconv.Itoa(noise))
	}
	kv.set("X_USPMESH_Utilization", strconv.Itoa(max(-1, min(bss.Utilization, 100))))
	return kv
}

// neighborSecurity maps a BSS's security (AccessPoint ModeEnabled
// spelling, "WPA2-Personal") to a Result's SecurityModeEnabled ("WPA2");
// "" when unknown.
func neighborSecurity(s string) string {
	switch s {
	case "None", "WEP", "WPA", "WPA2", "WPA3", "WPA-WPA2", "WPA2-WPA3",
		"WPA-Enterprise", "WPA2-Enterprise", "WPA3-Enterprise", "WPA-WPA2-Enterprise":
		return s
	case "WPA-Personal":
		return "WPA"
	case "WPA2-Personal":
		return "WPA2"
	case "WPA3-Personal", "WPA3-SAE":
		return "WPA3"
	case "WPA-WPA2-Personal":
		return "WPA-WPA2"
	case "WPA3-Personal-Transition", "WPA2-WPA3-Personal":
		return "WPA2-WPA3"
	}
	return ""
}

// scanFreqs bounds a scan to the enabled channels of the radio's band,
// restricted by Config.ScanChannels; ok is false when nothing is left.
func (b *Binding) scanFreqs(caps radio.Capabilities) (freqs []int, ok bool) {
	only, restrict := b.cfg.ScanChannels[caps.Band]
	for _, c := range caps.Channels {
		if c.Disabled || (restrict && !slices.Contains(only, c.Number)) {
			continue
		}
		f := c.FreqMHz
		if f == 0 {
			f = radio.ChannelFreq(caps.Band, c.Number)
		}
		if f != 0 {
			freqs = append(freqs, f)
		}
	}
	return freqs, len(freqs) > 0
}
