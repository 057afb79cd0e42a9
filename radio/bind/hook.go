package bind

import (
	"context"
	"fmt"
	"strconv"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/radio"
)

// settings are the values of a Radio row that ask something of the radio.
type settings struct {
	channel, width, power, autoPower, autoChannel, enable string
}

func settingsOf(get func(string) string) settings {
	return settings{
		channel:     get("Channel"),
		width:       get("OperatingChannelBandwidth"),
		power:       get("TransmitPower"),
		autoPower:   get("X_USPMESH_AutoTransmitPower"),
		autoChannel: get("AutoChannelEnable"),
		enable:      get("Enable"),
	}
}

// pending is a Controller's change of a Radio row, checked by the commit
// hook and applied to the radio once its transaction has committed.
type pending struct {
	seq           uint64
	before, after settings
}

// radioChange is the commit hook of Device.WiFi.Radio.{i}. It lets the
// binding's own writes through, refuses what the radio cannot do
// (7012, naming the parameter), and records the change so that it is
// applied to the radio — one switch for Channel and
// OperatingChannelBandwidth together — after the write commits. A
// transaction that rolls back calls the hook again with the change
// reversed, which withdraws it.
func (b *Binding) radioChange(ctx context.Context, ch *datamodel.ObjectChange) error {
	if ch.Created || ch.Deleted || b.isInternal(ctx) {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	rr := b.byPath[ch.Row.Path]
	if rr == nil {
		return nil
	}
	after := settingsOf(ch.Values)
	p := rr.pending
	if p != nil && after == p.before {
		// Reversed (a rollback) or set back: nothing to apply.
		rr.pending = nil
		return nil
	}
	if err := checkChange(rr, ch); err != nil {
		return err
	}
	before := settingsOf(oldValues(ch))
	if p != nil {
		before = p.before
	}
	if after == before {
		rr.pending = nil
		return nil
	}
	b.seq++
	seq, m := b.seq, b.model
	rr.pending = &pending{seq: seq, before: before, after: after}
	rr.epoch++
	if !b.goLocked(func(ctx context.Context) { b.applyAfterCommit(ctx, m, rr, seq) }) {
		rr.pending = nil
		return &datamodel.Error{Code: datamodel.CodeNotUpdated, Path: ch.Row.Path, Msg: "the radio binding is closed"}
	}
	return nil
}

// oldValues returns a lookup of the row's values before ch.
func oldValues(ch *datamodel.ObjectChange) func(string) string {
	return func(name string) string {
		for _, c := range ch.Changes {
			if c.Param.Name == name {
				return c.Old
			}
		}
		return ch.Values(name)
	}
}

// invalid is a refused value of the parameter at paramPath (7012).
func invalid(paramPath, format string, args ...any) error {
	return &datamodel.Error{Code: datamodel.CodeInvalidValue, Path: paramPath, Msg: fmt.Sprintf(format, args...)}
}

// checkChange refuses a change rr's radio cannot make. The caller holds
// Binding.mu.
func checkChange(rr *radioRow, ch *datamodel.ObjectChange) error {
	caps := rr.info.Caps
	pair := false
	for _, c := range ch.Changes {
		p := ch.Row.Path + c.Param.Name
		switch c.Param.Name {
		case "Channel", "OperatingChannelBandwidth":
			pair = true
		case "TransmitPower":
			percent, _ := strconv.Atoi(c.New)
			if err := checkPower(caps, percent); err != nil {
				return invalid(p, "%v", err)
			}
		case "Enable":
			if _, ok := rr.r.(Enabler); !ok {
				return invalid(p, "the radio backend of %s cannot enable or disable it", rr.info.Name)
			}
		case "AutoChannelEnable":
			// Read by the mesh leader's planner; kept as the owner's
			// setting (owner.go) after the write commits.
		case "X_USPMESH_AutoTransmitPower":
			// Read by the mesh leader's planner; applied to the
			// binding's own guard after the write commits.
		case "OperatingFrequencyBand":
			if c.New != string(caps.Band) {
				return invalid(p, "radio %s operates in the %s band only", rr.info.Name, caps.Band)
			}
		case "OperatingStandards":
			return invalid(p, "the radio backend of %s cannot change its operating standards", rr.info.Name)
		case "RegulatoryDomain":
			return invalid(p, "the regulatory domain of %s cannot be changed through the data model", rr.info.Name)
		}
	}
	if !pair {
		return nil
	}
	if rr.switching {
		return &datamodel.Error{Code: datamodel.CodeNotUpdated, Path: ch.Row.Path,
			Msg: "a channel switch is under way on this radio; retry when it completes"}
	}
	channel, _ := strconv.Atoi(ch.Values("Channel"))
	width, err := parseWidth(ch.Values("OperatingChannelBandwidth"))
	if err != nil {
		return invalid(ch.Row.Path+"OperatingChannelBandwidth", "%v", err)
	}
	if pe := checkPair(caps, channel, width, rr.state.Width, "OperatingChannelBandwidth"); pe != nil {
		return invalid(ch.Row.Path+pe.Param, "%s", pe.Msg)
	}
	return nil
}

// switchRequest is the switch p asks of a radio in state cur; move is
// false when p does not change the channel or width, or the radio already
// operates as asked.
func switchRequest(p *pending, cur radio.State) (req radio.SwitchRequest, move bool) {
	if p.after.channel == p.before.channel && p.after.width == p.before.width {
		return req, false
	}
	channel, _ := strconv.Atoi(p.after.channel)
	width, _ := parseWidth(p.after.width)
	req = radio.SwitchRequest{Channel: channel, Width: width}
	return req, moves(cur, channel, width)
}

// applyAfterCommit applies the pending change seq of rr to the radio once
// the transaction that made it has ended, if it committed.
func (b *Binding) applyAfterCommit(ctx context.Context, m *datamodel.Model, rr *radioRow, seq uint64) {
	// The hook ran inside the writer's transaction, which holds the
	// model's write lock: taking the lock waits until that transaction
	// has committed or rolled back (a rollback withdrew the change
	// through the hook, and a later write replaced it with a newer seq).
	m.Begin(ctx).Rollback()
	b.mu.Lock()
	p := rr.pending
	if p == nil || p.seq != seq {
		b.mu.Unlock()
		return
	}
	rr.pending = nil
	if p.after.width != p.before.width {
		rr.autoWidth = p.after.width == "Auto"
	}
	// The owner fixes the power by writing a percentage or
	// X_USPMESH_AutoTransmitPower false, and gives it back to the mesh
	// with -1 or true. Set with the pending change's withdrawal, so that
	// no refresh in between shows the old flag.
	wasFixed := rr.powerFixed
	if p.after.autoChannel != p.before.autoChannel {
		rr.pinned = p.after.autoChannel == "false"
	}
	if rr.pinned {
		// Where the owner asks; a refresh keeps it to where the radio
		// is once the switch has ended.
		rr.pinChannel, _ = strconv.Atoi(p.after.channel)
		rr.pinWidth = p.after.width
	}
	if p.after.autoPower != p.before.autoPower {
		auto, _ := strconv.ParseBool(p.after.autoPower)
		rr.powerFixed = !auto
	}
	if p.after.power != p.before.power {
		rr.powerFixed = p.after.power != "-1"
	}
	caps := rr.info.Caps
	req, move := switchRequest(p, rr.state)
	busy := move && rr.switching
	if move && !busy {
		// Claimed under the same lock that withdrew the pending change,
		// so that no refresh in between shows the old channel.
		rr.switching = true
		rr.epoch++
	}
	b.mu.Unlock()

	log := b.log.With("radio", rr.info.Name)
	switch {
	case busy:
		log.Warn("channel switch not made: another switch is under way", "channel", req.Channel, "width", req.Width)
	case move:
		if _, err := b.launchSwitch(ctx, rr, req); err != nil {
			log.Warn("channel switch refused", "channel", req.Channel, "width", req.Width, "err", err)
		}
	}
	if percent, _ := strconv.Atoi(p.after.power); p.after.power != p.before.power && percent != -1 {
		if err := rr.r.SetTxPower(ctx, powerDBm(caps, percent)); err != nil {
			log.Warn("set transmit power", "percent", percent, "err", err)
			b.mu.Lock()
			rr.powerFixed = wasFixed // the owner's power did not take
			b.mu.Unlock()
		}
	}
	if p.after.enable != p.before.enable {
		if en, ok := rr.r.(Enabler); ok {
			if err := en.SetEnabled(ctx, p.after.enable == "true"); err != nil {
				log.Warn("enable radio", "enable", p.after.enable, "err", err)
			}
		}
	}
	// Show what the radio now does: applied values, or the old ones
	// where the radio refused.
	b.refresh(ctx, rr, false)
}
