package bind

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"strconv"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/radio"
)

// The owner's settings. A Controller pins a radio's channel
// (AutoChannelEnable false) and fixes its power (TransmitPower as a
// percentage, or X_USPMESH_AutoTransmitPower false); the mesh leader then
// leaves them alone. The Radio rows are rebuilt from the radios at every
// start, so with Config.OwnerFile set the binding keeps these settings in
// that file, by radio (its MAC address, which survives a reboot that
// renames its wiphy), and restores them at Start: the rows read
// them again and the radio is taken back to the pinned channel and width
// and the fixed power (a radio restarts on its own configuration, such
// as hostapd's). A radio absent at a start keeps its entry for when it
// comes back.

// ownerFormat names the owner file's format.
const ownerFormat = "uspmesh-radio-owner/1"

// ownerDoc is the owner file.
type ownerDoc struct {
	Format string                `json:"format"`
	Radios map[string]ownerRadio `json:"radios"` // by ownerKey
}

// ownerRadio is what a Controller fixed on one radio.
type ownerRadio struct {
	// Pinned: AutoChannelEnable false, at Channel and Width (an
	// OperatingChannelBandwidth value, "Auto" keeping the radio's).
	Pinned  bool   `json:"pinned,omitempty"`
	Channel int    `json:"channel,omitempty"`
	Width   string `json:"width,omitempty"`
	// PowerFixed: X_USPMESH_AutoTransmitPower false, at Power percent
	// of full power.
	PowerFixed bool `json:"power_fixed,omitempty"`
	Power      int  `json:"power,omitempty"`
}

// decodeOwner reads an owner file, refusing anything that is not one.
func decodeOwner(data []byte) (map[string]ownerRadio, error) {
	var doc ownerDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Format != ownerFormat {
		return nil, fmt.Errorf("format %q, want %q", doc.Format, ownerFormat)
	}
	for name, o := range doc.Radios {
		switch {
		case name == "":
			return nil, errors.New("a radio without a name")
		case o.Pinned && (o.Channel < 1 || o.Channel > 255):
			return nil, fmt.Errorf("radio %s: channel %d is not a channel number", name, o.Channel)
		case o.Pinned && !validWidth(o.Width):
			return nil, fmt.Errorf("radio %s: bandwidth %q", name, o.Width)
		case o.PowerFixed && (o.Power < 1 || o.Power > 100):
			return nil, fmt.Errorf("radio %s: power %d%% is not a percentage of full power", name, o.Power)
		case !o.Pinned && !o.PowerFixed:
			return nil, fmt.Errorf("radio %s: an entry that fixes nothing", name)
		}
	}
	if doc.Radios == nil {
		doc.Radios = map[string]ownerRadio{}
	}
	return doc.Radios, nil
}

// validWidth reports whether s is an OperatingChannelBandwidth the
// binding can apply ("Auto" included).
func validWidth(s string) bool {
	if s == "" {
		return false
	}
	_, err := parseWidth(s)
	return err == nil
}

// loadOwner reads Config.OwnerFile. A missing file is no settings; a
// corrupt one is set aside (renamed *.corrupt) with a warning, and the
// radios start under the mesh's control.
func (b *Binding) loadOwner() map[string]ownerRadio {
	name := b.cfg.OwnerFile
	if name == "" {
		return map[string]ownerRadio{}
	}
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]ownerRadio{}
	}
	var saved map[string]ownerRadio
	if err == nil {
		saved, err = decodeOwner(data)
	}
	if err != nil {
		rerr := os.Rename(name, name+".corrupt")
		b.log.Warn("owner's radio settings unreadable, set aside: pinned channels and fixed powers are back under the mesh's control",
			"file", name, "err", err, "set_aside", rerr == nil)
		return map[string]ownerRadio{}
	}
	return saved
}

// ownerKey names a radio in the owner file: its MAC address, lower
// case, or "name:" and its name when it reports none.
func ownerKey(info radio.Info) string {
	if len(info.MAC) == 6 {
		return strings.ToLower(info.MAC.String())
	}
	return "name:" + info.Name
}

// ownerOf is what a Controller fixed on rr: a fixed power is the one
// the radio has (its percentage of full power). The caller holds
// Binding.mu.
func ownerOf(rr *radioRow) ownerRadio {
	o := ownerRadio{Pinned: rr.pinned, Channel: rr.pinChannel, Width: rr.pinWidth, PowerFixed: rr.powerFixed}
	if o.PowerFixed {
		o.Power = max(powerPercent(rr.info.Caps, rr.state.TxPowerDBm), 1)
	}
	return o
}

// saveOwner writes the owner file when what the Controllers fixed has
// changed since it was last written. A failure is logged: the settings
// hold until the next start.
func (b *Binding) saveOwner() {
	if b.cfg.OwnerFile == "" {
		return
	}
	b.saveMu.Lock()
	defer b.saveMu.Unlock()
	b.mu.Lock()
	changed := false
	for _, rr := range b.radios {
		key, o := ownerKey(rr.info), ownerOf(rr)
		was, had := b.owner[key]
		switch {
		case !o.Pinned && !o.PowerFixed:
			if had {
				delete(b.owner, key)
				changed = true
			}
		case o != was:
			b.owner[key] = o
			changed = true
		}
	}
	doc := ownerDoc{Format: ownerFormat, Radios: maps.Clone(b.owner)}
	b.mu.Unlock()
	if !changed {
		return
	}
	data, _ := json.MarshalIndent(doc, "", " ")
	if err := datamodel.WriteFileAtomic(b.cfg.OwnerFile, data, 0o600); err != nil {
		b.log.Warn("owner's radio settings not saved: they hold until the next start", "file", b.cfg.OwnerFile, "err", err)
	}
}

// restoreOwner gives the rows of rows what a Controller fixed at an
// earlier start, and takes their radios back there: a switch to the
// pinned channel and width (not waited for), the fixed power. What the
// radio can no longer do (another board, another regulatory domain) is
// logged and left to the mesh.
func (b *Binding) restoreOwner(ctx context.Context, rows []*radioRow) {
	// What each radio gets back, and its state then, taken under the
	// lock that guards the rows.
	type restore struct {
		rr *radioRow
		o  ownerRadio
		st radio.State
	}
	var todo []restore
	b.mu.Lock()
	for _, rr := range rows {
		o, ok := b.owner[ownerKey(rr.info)]
		if !ok {
			continue
		}
		caps, log := rr.info.Caps, b.log.With("radio", rr.info.Name)
		if o.Pinned {
			width, _ := parseWidth(o.Width)
			if pe := checkPair(caps, o.Channel, width, rr.state.Width, "OperatingChannelBandwidth"); pe != nil {
				log.Warn("owner's pinned channel not restored: the radio cannot use it", "channel", o.Channel, "width", o.Width, "err", pe.Msg)
				o.Pinned, o.Channel, o.Width = false, 0, ""
			}
		}
		if o.PowerFixed {
			if err := checkPower(caps, o.Power); err != nil {
				log.Warn("owner's fixed power not restored", "percent", o.Power, "err", err)
				o.PowerFixed, o.Power = false, 0
			}
		}
		rr.pinned, rr.pinChannel, rr.pinWidth = o.Pinned, o.Channel, o.Width
		rr.autoWidth = o.Pinned && o.Width == "Auto"
		rr.powerFixed = o.PowerFixed
		if o.Pinned || o.PowerFixed {
			todo = append(todo, restore{rr, o, rr.state})
		}
	}
	b.mu.Unlock()
	if len(todo) == 0 {
		return
	}
	if err := b.write(ctx, func(w *writer) {
		for _, t := range todo {
			var kv params
			if t.o.Pinned {
				kv.set("AutoChannelEnable", "false")
				kv.set("Channel", strconv.Itoa(t.o.Channel))
				kv.set("OperatingChannelBandwidth", t.o.Width)
			}
			kv.set("X_USPMESH_AutoTransmitPower", strconv.FormatBool(!t.o.PowerFixed))
			w.update(t.rr.path, kv)
		}
	}); err != nil {
		b.log.Warn("write owner's radio settings", "err", err)
	}
	for _, t := range todo {
		rr, o, caps := t.rr, t.o, t.rr.info.Caps
		log := b.log.With("radio", rr.info.Name)
		if o.PowerFixed && powerPercent(caps, t.st.TxPowerDBm) != o.Power {
			if err := rr.r.SetTxPower(ctx, powerDBm(caps, o.Power)); err != nil {
				log.Warn("owner's fixed power not applied", "percent", o.Power, "err", err)
			}
		}
		width, _ := parseWidth(o.Width)
		if !o.Pinned || !moves(t.st, o.Channel, width) {
			continue
		}
		if _, err := b.startSwitch(ctx, rr, radio.SwitchRequest{Channel: o.Channel, Width: width}); err != nil {
			log.Warn("owner's pinned channel not applied", "channel", o.Channel, "width", o.Width, "err", err)
		} else {
			log.Info("radio taken back to the owner's pinned channel", "channel", o.Channel, "width", o.Width)
		}
	}
}
