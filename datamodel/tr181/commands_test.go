package tr181_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
)

// handler returns the command at cmdPath (one target) and its row.
func handler(t *testing.T, m *datamodel.Model, cmdPath string) (datamodel.CommandHandler, datamodel.Row) {
	t.Helper()
	targets, err := m.Commands(context.Background(), mustParse(t, cmdPath))
	if err != nil || len(targets) != 1 {
		t.Fatalf("Commands %s: %v, %d targets", cmdPath, err, len(targets))
	}
	if targets[0].Def.Handler == nil {
		t.Fatalf("%s has no handler", cmdPath)
	}
	return targets[0].Def.Handler, targets[0].Row
}

func TestNodeCommands(t *testing.T) {
	errBusy := errors.New("busy")
	for _, tc := range []struct {
		name    string
		cmd     string
		set     func(cfg *tr181.Config, calls *[]string)
		code    uint32 // 0: success
		wantErr error
		calls   []string
	}{
		{name: "Reboot not wired", cmd: "Device.Reboot()", code: datamodel.CodeCommandFailure},
		{name: "Reboot", cmd: "Device.Reboot()", calls: []string{"reboot"},
			set: func(cfg *tr181.Config, calls *[]string) {
				cfg.Reboot = func(context.Context) error { *calls = append(*calls, "reboot"); return nil }
			}},
		{name: "FactoryReset not wired", cmd: "Device.FactoryReset()", code: datamodel.CodeCommandFailure},
		{name: "FactoryReset fails", cmd: "Device.FactoryReset()", wantErr: errBusy, calls: []string{"reset"},
			set: func(cfg *tr181.Config, calls *[]string) {
				cfg.FactoryReset = func(context.Context) error { *calls = append(*calls, "reset"); return errBusy }
			}},
		{name: "SendOnBoardRequest not wired", cmd: "Device.LocalAgent.Controller.1.SendOnBoardRequest()",
			code: datamodel.CodeCommandFailure},
		{name: "SendOnBoardRequest", cmd: "Device.LocalAgent.Controller.1.SendOnBoardRequest()",
			calls: []string{"Device.LocalAgent.Controller.1"},
			set: func(cfg *tr181.Config, calls *[]string) {
				cfg.SendOnBoardRequest = func(_ context.Context, ctrl string) error { *calls = append(*calls, ctrl); return nil }
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			cfg := testConfig(&clock{now: boot})
			if tc.set != nil {
				tc.set(&cfg, &calls)
			}
			m := newModel(t, cfg, datamodel.Config{})
			commit(t, m, context.Background(), func(tx *datamodel.Txn) {
				if _, err := add(t, tx, "Device.LocalAgent.Controller.", internal, "EndpointID", "proto::ctrl-a"); err != nil {
					t.Fatalf("add Controller: %v", err)
				}
			})
			h, row := handler(t, m, tc.cmd)
			out, err := h(context.Background(), row, nil)
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("%s: %v, want %v", tc.cmd, err, tc.wantErr)
				}
			case codeOf(err) != tc.code:
				t.Errorf("%s: %v (code %d), want code %d", tc.cmd, err, codeOf(err), tc.code)
			}
			if len(out) != 0 {
				t.Errorf("%s: outputs %v, want none", tc.cmd, out)
			}
			if !reflect.DeepEqual(calls, tc.calls) {
				t.Errorf("%s: calls %q, want %q", tc.cmd, calls, tc.calls)
			}
		})
	}
}

// manualTimer is an injected Config.After whose timers the test fires.
type manualTimer struct {
	asked chan time.Duration
	fire  chan time.Time
}

func newManualTimer() *manualTimer {
	return &manualTimer{asked: make(chan time.Duration, 1), fire: make(chan time.Time, 1)}
}

func (mt *manualTimer) After(d time.Duration) <-chan time.Time {
	mt.asked <- d
	return mt.fire
}

type result struct {
	out map[string]string
	err error
}

// within waits for ch with a deadline.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestScheduleTimer(t *testing.T) {
	mt := newManualTimer()
	cfg := testConfig(&clock{now: boot})
	cfg.After = mt.After
	m := newModel(t, cfg, datamodel.Config{})
	h, row := handler(t, m, "Device.ScheduleTimer()")

	t.Run("waits DelaySeconds", func(t *testing.T) {
		done := make(chan result, 1)
		go func() {
			out, err := h(context.Background(), row, map[string]string{"DelaySeconds": "90"})
			done <- result{out, err}
		}()
		if d := within(t, mt.asked, "the timer"); d != 90*time.Second {
			t.Errorf("timer of %v, want 90s", d)
		}
		select {
		case r := <-done:
			t.Fatalf("ScheduleTimer() returned %v before its timer fired", r)
		default:
		}
		mt.fire <- boot
		if r := within(t, done, "ScheduleTimer() to return"); r.err != nil || len(r.out) != 0 {
			t.Errorf("ScheduleTimer() = %v, %v; want no outputs, no error", r.out, r.err)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan result, 1)
		go func() {
			out, err := h(ctx, row, map[string]string{"DelaySeconds": "3600"})
			done <- result{out, err}
		}()
		within(t, mt.asked, "the timer")
		cancel()
		if r := within(t, done, "ScheduleTimer() to stop"); !errors.Is(r.err, context.Canceled) {
			t.Errorf("cancelled ScheduleTimer() error %v, want context.Canceled", r.err)
		}
	})

	t.Run("cancelled with a cause", func(t *testing.T) {
		errStop := errors.New("controller deleted")
		ctx, cancel := context.WithCancelCause(context.Background())
		done := make(chan result, 1)
		go func() {
			out, err := h(ctx, row, map[string]string{"DelaySeconds": "3600"})
			done <- result{out, err}
		}()
		within(t, mt.asked, "the timer")
		cancel(errStop)
		r := within(t, done, "ScheduleTimer() to stop")
		if !errors.Is(r.err, context.Canceled) || !errors.Is(r.err, errStop) {
			t.Errorf("ScheduleTimer() cancelled with a cause: %v, want context.Canceled and the cause", r.err)
		}
	})

	for _, in := range []map[string]string{{}, {"DelaySeconds": "0"}, {"DelaySeconds": "soon"}} {
		if _, err := h(context.Background(), row, in); codeOf(err) != datamodel.CodeInvalidCmdArgs {
			t.Errorf("ScheduleTimer(%v): %v, want 7027", in, err)
		}
	}
}

func TestScheduleTimerRealClock(t *testing.T) {
	m := newModel(t, tr181.Config{}, datamodel.Config{})
	h, row := handler(t, m, "Device.ScheduleTimer()")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h(ctx, row, map[string]string{"DelaySeconds": "3600"}); !errors.Is(err, context.Canceled) {
		t.Errorf("ScheduleTimer() on a cancelled context: %v, want context.Canceled", err)
	}
}

func TestNeighboringWiFiDiagnosticUnwired(t *testing.T) {
	m := newModel(t, testConfig(&clock{now: boot}), datamodel.Config{})
	h, row := handler(t, m, "Device.WiFi.NeighboringWiFiDiagnostic()")
	out, err := h(context.Background(), row, nil)
	if codeOf(err) != datamodel.CodeCommandFailure || out["Status"] != "Error" {
		t.Errorf("NeighboringWiFiDiagnostic() = %v, %v; want Status Error and a 7022 error", out, err)
	}
}

func TestValidPermission(t *testing.T) {
	for s, want := range map[string]bool{
		"----": true, "rwxn": true, "r---": true, "---n": true, "-w-n": true,
		"": false, "rwx": false, "rwxnr": false, "wrxn": false, "rwz-": false, "RWXN": false, "r--N": false,
	} {
		if got := tr181.ValidPermission(s); got != want {
			t.Errorf("ValidPermission(%q) = %v, want %v", s, got, want)
		}
	}
}
