package bind

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/uspmesh/uspmesh/radio"
)

// radioRow is one radio and the rows that show it.
type radioRow struct {
	r      radio.Radio
	info   radio.Info
	events <-chan radio.Event

	// Row paths, with trailing dot; set by createRows.
	path, ssid, ap string

	// refreshMu serialises reading the radio and writing what was read,
	// so that an older read never overwrites a newer one.
	refreshMu sync.Mutex

	// Guarded by Binding.mu.
	state     radio.State
	survey    []radio.SurveyEntry
	neighbors []radio.BSS // the last scan
	air       *airtime    // the survey's smoothed figures
	pending   *pending    // a Controller's change not yet applied
	switching bool        // a switch is under way
	autoWidth bool        // a Controller set OperatingChannelBandwidth "Auto"
	// powerFixed: a Controller fixed the radio's power
	// (X_USPMESH_AutoTransmitPower false); X_USPMESH_Switch() leaves
	// it alone.
	powerFixed bool
	// pinned: a Controller pinned the radio's channel
	// (AutoChannelEnable false); pinChannel and pinWidth are where (an
	// OperatingChannelBandwidth value): the owner's setting of
	// owner.go, kept to where the radio operates once no switch is
	// under way, and to where it is going while one is.
	pinned     bool
	pinChannel int
	pinWidth   string
	// epoch counts changes of pending and switching, so that a refresh
	// can tell that its read of the channel became stale.
	epoch uint64
}

// noise is the noise floor of the in-use channel, 0 when unknown. The
// caller holds Binding.mu.
func (rr *radioRow) noise() int {
	for _, s := range rr.survey {
		if s.InUse {
			return s.NoiseDBm
		}
	}
	return 0
}

// createRows adds (or finds) the Radio, SSID and AccessPoint rows of rows.
func (b *Binding) createRows(ctx context.Context, rows []*radioRow) error {
	return b.write(ctx, func(w *writer) {
		radioNames := invert(w.values("Device.WiFi.Radio.", "Name"))
		ssidNames := invert(w.values("Device.WiFi.SSID.", "Name"))
		ssidBSSIDs := invertMAC(w.values("Device.WiFi.SSID.", "BSSID"))
		apRefs := invert(w.values("Device.WiFi.AccessPoint.", "SSIDReference"))
		for _, rr := range rows {
			static := staticRadioValues(rr.info)
			if p := radioNames[rr.info.Name]; p != "" {
				rr.path = p
				w.update(p, static)
			} else {
				static.set("Name", rr.info.Name)
				rr.path = w.add("Device.WiFi.Radio.", static)
			}
			rr.ssid = ssidNames[rr.info.Interface]
			if rr.ssid == "" && len(rr.state.BSSID) > 0 {
				rr.ssid = ssidBSSIDs[macString(rr.state.BSSID)]
			}
			if rr.ssid == "" {
				var kv params
				kv.set("Name", rr.info.Interface)
				rr.ssid = w.add("Device.WiFi.SSID.", kv)
			}
			if rr.ap = apRefs[ref(rr.ssid)]; rr.ap == "" {
				var kv params
				kv.set("SSIDReference", ref(rr.ssid))
				rr.ap = w.add("Device.WiFi.AccessPoint.", kv)
			}
		}
	})
}

// invert maps non-empty values back to their row paths.
func invert(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != "" {
			out[v] = k
		}
	}
	return out
}

// invertMAC maps MAC addresses, upper-cased, back to their row paths.
func invertMAC(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != "" {
			out[strings.ToUpper(v)] = k
		}
	}
	return out
}

// staticRadioValues are a Radio row's values that follow from Info alone.
func staticRadioValues(info radio.Info) params {
	caps := info.Caps
	var kv params
	kv.set("SupportedFrequencyBands", string(caps.Band))
	kv.set("OperatingFrequencyBand", string(caps.Band))
	kv.set("SupportedStandards", standards(caps))
	kv.set("OperatingStandards", standards(caps))
	kv.set("PossibleChannels", possibleChannels(caps))
	kv.set("SupportedOperatingChannelBandwidths", widthList(caps.Widths))
	// The mesh leader chooses channels for the home: a radio takes part
	// while AutoChannelEnable is true; a Controller pins its channel by
	// setting it false (restored at Start from the owner file, owner.go).
	kv.set("AutoChannelSupported", "true")
	kv.set("AutoChannelEnable", "true")
	kv.set("X_USPMESH_AutoTransmitPower", "true")
	kv.set("TransmitPowerSupported", powerSupported(caps))
	return kv
}

// refresh re-reads rr's state (and, with survey set, its channel survey)
// and writes it to the Radio, SSID and AccessPoint rows. Parameters a
// Controller changed that the radio has not yet applied are left alone.
func (b *Binding) refresh(ctx context.Context, rr *radioRow, survey bool) {
	rr.refreshMu.Lock()
	defer rr.refreshMu.Unlock()
	b.mu.Lock()
	epoch := rr.epoch
	b.mu.Unlock()
	st, err := rr.r.State(ctx)
	if err != nil {
		b.log.Warn("radio state", "radio", rr.info.Name, "err", err)
		return
	}
	var sv []radio.SurveyEntry
	if survey {
		if sv, err = rr.r.Survey(ctx); err != nil {
			b.log.Debug("radio survey", "radio", rr.info.Name, "err", err)
			survey = false
		}
	}
	var reg string
	if rep, ok := rr.r.(RegulatoryReporter); ok {
		reg, _ = rep.RegulatoryDomain(ctx)
	}
	err = b.write(ctx, func(w *writer) {
		b.mu.Lock()
		rr.state = st
		if survey {
			rr.survey = sv
			rr.air.update(sv, st.FreqMHz, b.cfg.Now())
		}
		// A switch that began or ended since the read makes the read's
		// channel stale.
		keepSwitch := rr.switching || rr.pending != nil || rr.epoch != epoch
		keepOther := rr.pending != nil
		kv := stateValues(rr, keepSwitch, keepOther)
		if rr.pinned && !keepSwitch && st.Channel > 0 {
			rr.pinChannel, rr.pinWidth = st.Channel, widthName(st.Width)
			if rr.autoWidth || rr.pinWidth == "" {
				rr.pinWidth = "Auto"
			}
		}
		b.mu.Unlock()
		if reg != "" {
			kv.set("RegulatoryDomain", reg)
		}
		w.update(rr.path, kv)
		w.update(rr.ssid, ssidValues(rr, st))
		w.update(rr.ap, apValues(st))
	})
	if err != nil {
		b.log.Warn("write radio state", "radio", rr.info.Name, "err", err)
	}
	b.saveOwner()
}

// stateValues are a Radio row's values from the radio's state, survey and
// last scan. keepSwitch leaves Channel and the bandwidths alone, keepOther
// Enable and TransmitPower; an OperatingChannelBandwidth a Controller set
// to "Auto" stays so. The caller holds Binding.mu.
func stateValues(rr *radioRow, keepSwitch, keepOther bool) params {
	st, caps := rr.state, rr.info.Caps
	var kv params
	kv.set("Status", upDown(st.Up))
	if !keepOther {
		kv.set("Enable", strconv.FormatBool(st.Enabled))
		kv.set("TransmitPower", strconv.Itoa(powerPercent(caps, st.TxPowerDBm)))
		kv.set("X_USPMESH_AutoTransmitPower", strconv.FormatBool(!rr.powerFixed))
	}
	if !keepSwitch && st.Channel > 0 {
		kv.set("Channel", strconv.Itoa(st.Channel))
		if w := widthName(st.Width); w != "" {
			kv.set("CurrentOperatingChannelBandwidth", w)
			if !rr.autoWidth {
				kv.set("OperatingChannelBandwidth", w)
			}
		}
	}
	kv.set("ChannelsInUse", channelsInUse(rr))
	kv.set("X_USPMESH_UnavailableChannels", joinInts(st.Unavailable))
	uplinkValues(&kv, st.Uplink)
	if n := rr.noise(); n != 0 {
		kv.set("Stats.Noise", strconv.Itoa(n))
	}
	rr.air.values(&kv)
	return kv
}

// uplinkValues sets a Radio row's X_USPMESH_Uplink* parameters from the
// radio's wireless backhaul, all empty or zero when it has none.
func uplinkValues(kv *params, up *radio.Uplink) {
	bssid, dbm, rate := "", 0, 0
	if up != nil && len(up.BSSID) == 6 {
		bssid = macString(up.BSSID)
		dbm = int(math.Round(min(max(up.SignalDBm, -200), 0)))
		rate = max(up.TxRateKbps, 0)
	}
	kv.set("X_USPMESH_UplinkBSSID", bssid)
	kv.set("X_USPMESH_UplinkSignalStrength", strconv.Itoa(dbm))
	kv.set("X_USPMESH_UplinkRate", strconv.Itoa(rate))
}

// channelsInUse is Radio.{i}.ChannelsInUse: the radio's own channel, the
// channels the survey found busy and those a scan found networks on.
func channelsInUse(rr *radioRow) string {
	var chs []int
	if rr.state.Channel > 0 {
		chs = append(chs, rr.state.Channel)
	}
	for _, s := range rr.survey {
		if s.BusyTime > 0 && s.Channel > 0 {
			chs = append(chs, s.Channel)
		}
	}
	for _, n := range rr.neighbors {
		if band, _, ok := radio.FreqChannel(n.FreqMHz); (!ok || band == rr.info.Caps.Band) && n.Channel > 0 {
			chs = append(chs, n.Channel)
		}
	}
	slices.Sort(chs)
	return joinInts(slices.Compact(chs))
}

// joinInts is a TR-181 list of numbers: "36,40"; "" for none.
func joinInts(ns []int) string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.Itoa(n)
	}
	return strings.Join(out, ",")
}

// ssidValues are an SSID row's values; the row's Name is the AP
// interface.
func ssidValues(rr *radioRow, st radio.State) params {
	var kv params
	kv.set("Enable", strconv.FormatBool(st.Enabled))
	kv.set("Status", upDown(st.Up))
	kv.set("LowerLayers", ref(rr.path))
	kv.set("SSID", st.SSID)
	if len(st.BSSID) > 0 {
		kv.set("BSSID", macString(st.BSSID))
	}
	if len(rr.info.MAC) > 0 {
		kv.set("MACAddress", macString(rr.info.MAC))
	}
	return kv
}

// apValues are an AccessPoint row's values.
func apValues(st radio.State) params {
	var kv params
	kv.set("Enable", strconv.FormatBool(st.Enabled))
	status := "Disabled"
	if st.Up {
		status = "Enabled"
	}
	kv.set("Status", status)
	return kv
}

func upDown(up bool) string {
	if up {
		return "Up"
	}
	return "Down"
}
