package bind

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/radio"
)

// errClosed is a switch asked of a closed binding.
var errClosed = errors.New("bind: closed")

// startSwitch asks rr's radio for req unless a switch is under way (then
// radio.ErrBusy). It returns a channel that receives how the switch
// ended, once the rows show it.
func (b *Binding) startSwitch(ctx context.Context, rr *radioRow, req radio.SwitchRequest) (<-chan radio.SwitchResult, error) {
	b.mu.Lock()
	if rr.switching {
		b.mu.Unlock()
		return nil, &radio.OpError{Op: "switch", Radio: rr.info.Name, Err: radio.ErrBusy}
	}
	rr.switching = true
	rr.epoch++
	b.mu.Unlock()
	return b.launchSwitch(ctx, rr, req)
}

// launchSwitch asks rr's radio for req; the caller has set rr.switching.
// While it is set, refreshes leave Channel and the bandwidths alone; the
// switch's end clears it and writes what the radio reports.
func (b *Binding) launchSwitch(ctx context.Context, rr *radioRow, req radio.SwitchRequest) (<-chan radio.SwitchResult, error) {
	res, err := rr.r.Switch(ctx, req)
	if err != nil {
		b.endSwitch(ctx, rr)
		return nil, err
	}
	done := make(chan radio.SwitchResult, 1)
	b.mu.Lock()
	ok := b.goLocked(func(ctx context.Context) {
		var r radio.SwitchResult
		select {
		case got, ok := <-res:
			r = got
			if !ok {
				r.Err = errors.New("the radio ended the switch without a result")
			}
		case <-ctx.Done():
			r.Err = fmt.Errorf("switch not followed: %w", errClosed)
		}
		b.endSwitch(ctx, rr)
		done <- r
	})
	b.mu.Unlock()
	if !ok {
		b.endSwitch(ctx, rr)
		return nil, errClosed
	}
	return done, nil
}

// endSwitch clears rr.switching and writes the radio's state.
func (b *Binding) endSwitch(ctx context.Context, rr *radioRow) {
	b.mu.Lock()
	rr.switching = false
	rr.epoch++
	b.mu.Unlock()
	b.refresh(ctx, rr, false)
}

// switchCommand runs Device.WiFi.Radio.{i}.X_USPMESH_Switch(): it admits
// Term through the Fence (a refusal is 7002, Request denied), checks
// Channel, Bandwidth and the optional TransmitPower (a percentage, as
// Radio.{i}.TransmitPower) against the radio (7027), sets the power
// first (at once; a radio that refuses, or whose power a Controller
// fixed, fails the command, 7022), asks the radio to
// switch and completes when the radio reports the result, after the Radio
// row shows it; a radio that refuses or fails the switch fails the
// command (7022). A switch to where the radio already operates completes
// at once. A radio a Controller pinned (AutoChannelEnable false) refuses
// to move (7022): a leader that read it before the pin cannot override
// it. Cancelling the command stops the wait, not the switch.
func (b *Binding) switchCommand(ctx context.Context, row datamodel.Row, in map[string]string) (map[string]string, error) {
	name := row.Path + tr181.SwitchCommand + "()"
	fail := func(code uint32, format string, args ...any) (map[string]string, error) {
		return nil, &datamodel.Error{Code: code, Path: name, Msg: fmt.Sprintf(format, args...)}
	}
	b.mu.Lock()
	rr, fence, runCtx := b.byPath[row.Path], b.cfg.Fence, b.ctx
	b.mu.Unlock()
	if rr == nil {
		return fail(datamodel.CodeCommandFailure, "no radio is bound to this row")
	}
	term, err := strconv.ParseUint(in["Term"], 10, 64)
	if err != nil {
		return fail(datamodel.CodeInvalidCmdArgs, "Term: %q is not an unsignedLong", in["Term"])
	}
	if fence == nil {
		return fail(CodeRequestDenied, "term %d refused: this node has no leader-term fence", term)
	}
	if err := fence.Admit(ctx, term); err != nil {
		return fail(CodeRequestDenied, "term %d refused: %v", term, err)
	}
	channel, err := strconv.Atoi(in["Channel"])
	if err != nil {
		return fail(datamodel.CodeInvalidCmdArgs, "Channel: %q is not a channel number", in["Channel"])
	}
	width, err := parseWidth(in["Bandwidth"])
	if err != nil {
		return fail(datamodel.CodeInvalidCmdArgs, "Bandwidth: %v", err)
	}
	csa := 0
	if s := in["CSACount"]; s != "" {
		if csa, err = strconv.Atoi(s); err != nil {
			return fail(datamodel.CodeInvalidCmdArgs, "CSACount: %q is not a count", s)
		}
	}
	// The row may lag the radio (a move it made on its own, such as a
	// radar flight, not read back yet): read it now, so that a switch to
	// where the row says is not taken for one to where the radio is.
	b.refresh(ctx, rr, false)
	b.mu.Lock()
	caps, cur, busy, fixed, pinned := rr.info.Caps, rr.state, rr.switching, rr.powerFixed, rr.pinned
	b.mu.Unlock()
	if pe := checkPair(caps, channel, width, cur.Width, "Bandwidth"); pe != nil {
		return fail(datamodel.CodeInvalidCmdArgs, "%s", pe.Error())
	}
	if pinned && (busy || moves(cur, channel, width)) {
		// A leader that read the radio before the owner's pin must not
		// move it: the owner's channel stands, as its power does.
		return fail(datamodel.CodeCommandFailure, "a Controller pinned this radio at channel %d/%d MHz (AutoChannelEnable false)",
			cur.Channel, cur.Width)
	}
	if s := in["TransmitPower"]; s != "" {
		percent, err := strconv.Atoi(s)
		if err != nil {
			return fail(datamodel.CodeInvalidCmdArgs, "TransmitPower: %q is not a percentage", s)
		}
		if percent < 1 {
			return fail(datamodel.CodeInvalidCmdArgs, "TransmitPower: %d is not a percentage of full power", percent)
		}
		if err := checkPower(caps, percent); err != nil {
			return fail(datamodel.CodeInvalidCmdArgs, "TransmitPower: %v", err)
		}
		if percent != powerPercent(caps, cur.TxPowerDBm) {
			if fixed {
				return fail(datamodel.CodeCommandFailure, "TransmitPower: a Controller fixed this radio's power at %d%% (X_USPMESH_AutoTransmitPower false)",
					powerPercent(caps, cur.TxPowerDBm))
			}
			if err := rr.r.SetTxPower(ctx, powerDBm(caps, percent)); err != nil {
				return fail(datamodel.CodeCommandFailure, "set transmit power to %d%%: %v", percent, err)
			}
			b.refresh(ctx, rr, false)
		}
	}
	if !busy && !moves(cur, channel, width) {
		return switchOutputs(cur.Channel, cur.Width), nil
	}
	done, err := b.startSwitch(runCtx, rr, radio.SwitchRequest{Channel: channel, Width: width, CSACount: csa})
	if err != nil {
		return fail(datamodel.CodeCommandFailure, "switch to channel %d refused: %v", channel, err)
	}
	select {
	case r := <-done:
		if r.Err != nil {
			return fail(datamodel.CodeCommandFailure, "switch to channel %d failed: %v", channel, r.Err)
		}
		b.mu.Lock()
		st := rr.state
		b.mu.Unlock()
		if r.Channel == 0 {
			r.Channel = st.Channel
		}
		if r.Width == 0 {
			r.Width = st.Width
		}
		return switchOutputs(r.Channel, r.Width), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", name, ctx.Err())
	}
}

// moves reports whether a switch to channel at width (0: keep the
// current width) changes where a radio in state cur operates.
func moves(cur radio.State, channel, width int) bool {
	return channel != cur.Channel || (width != 0 && width != cur.Width)
}

func switchOutputs(channel, width int) map[string]string {
	return map[string]string{"Status": "Complete", "Channel": strconv.Itoa(channel), "Bandwidth": widthName(width)}
}
