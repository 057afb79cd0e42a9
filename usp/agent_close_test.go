package usp_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/usp"
)

// TestAgentCloseCancelsAsyncCommands starts a command that would run for
// an hour (ScheduleTimer(3600), whose timer never fires here) and closes
// the Agent: Close cancels it and returns at once, the command ends with
// 7023 and leaves no Request row, and the Agent refuses new commands.
func TestAgentCloseCancelsAsyncCommands(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, operate(scheduleTimer, "long", true, map[string]string{"DelaySeconds": "3600"}))
	wantResp(t, r, operateResp(opStarted(scheduleTimer, requestTable+"1.")))
	if d := h.timer(); d != time.Hour {
		t.Fatalf("timer %v", d)
	}
	wantRows(t, h, requestTable, requestTable+"1.")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := h.a.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Close waited for the command's end, so its OperationComplete has
	// already been delivered.
	select {
	case oc := <-h.done:
		if oc.CommandKey != "long" || usp.CodeOf(oc.Err) != usp.ErrCommandCanceled {
			t.Fatalf("OperationComplete %+v (code %d), want 7023", oc, usp.CodeOf(oc.Err))
		}
	default:
		t.Fatal("Close returned before the command's OperationComplete")
	}
	wantRows(t, h, requestTable)

	// A command after Close is refused without a Request row.
	r = h.send(ctrlID, operate(scheduleTimer, "late", true, map[string]string{"DelaySeconds": "1"}))
	wantResp(t, r, operateResp(opFailed(scheduleTimer, usp.ErrRequestDenied)))
	wantRows(t, h, requestTable)
	select {
	case d := <-h.timers:
		t.Fatalf("a command started after Close (timer %v)", d)
	default:
	}
	// Synchronous requests are still served.
	if r := h.send(ctrlID, get([]string{"Device.DeviceInfo.SerialNumber"}, 0)); r.GetBody().GetResponse() == nil {
		t.Fatalf("Get after Close: %v", r)
	}
	if err := h.a.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestAgentCloseBoundedByContext: a command that ignores its context keeps
// Close waiting only until Close's own context ends; a later Close, once
// the command ended, succeeds.
func TestAgentCloseBoundedByContext(t *testing.T) {
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	sc := testDevice()
	sc.WiFi.NeighboringWiFiDiagnostic = func(context.Context, datamodel.Row, map[string]string) (map[string]string, error) {
		close(started)
		<-release // ignores its context
		return nil, nil
	}
	m, err := datamodel.NewModel(ctx, tr181.NewSchema(sc), datamodel.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := usp.NewAgent(usp.AgentConfig{EndpointID: agentID, Model: m})
	if err != nil {
		t.Fatal(err)
	}
	const scan = "Device.WiFi.NeighboringWiFiDiagnostic()"
	resp := a.HandleMsg(ctx, ctrlID, usp.NewRequest("scan", operate(scan, "k", true, nil)))
	wantResp(t, resp, operateResp(opStarted(scan, requestTable+"1.")))
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the command did not start")
	}

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := a.Close(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close of a stuck command: %v, want DeadlineExceeded", err)
	}
	close(release)
	long, cancel2 := context.WithTimeout(ctx, 5*time.Second)
	defer cancel2()
	if err := a.Close(long); err != nil {
		t.Fatalf("Close once the command ended: %v", err)
	}
	rp, _ := path.Parse(requestTable)
	if insts, err := m.Instances(ctx, rp, true, nil); err != nil || len(insts) != 0 {
		t.Fatalf("request rows after Close: %v %v", insts, err)
	}
}
