package tr181_test

import (
	"context"
	"errors"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
)

func TestWiFiHooksWired(t *testing.T) {
	var hooked []string
	refuse := errors.New("refused")
	cfg := testConfig(&clock{now: boot})
	cfg.WiFi = tr181.WiFiHooks{
		RadioChange: func(_ context.Context, ch *datamodel.ObjectChange) error {
			if ch.Created {
				return nil
			}
			hooked = append(hooked, ch.Values("Channel")+"/"+ch.Values("OperatingChannelBandwidth"))
			return refuse
		},
		Switch: func(_ context.Context, row datamodel.Row, in map[string]string) (map[string]string, error) {
			return map[string]string{"Status": "Complete", "Channel": in["Channel"], "Bandwidth": in["Bandwidth"]}, nil
		},
		NeighboringWiFiDiagnostic: func(context.Context, datamodel.Row, map[string]string) (map[string]string, error) {
			return map[string]string{"Status": "Complete"}, nil
		},
	}
	m := newModel(t, cfg, datamodel.Config{})
	if err := tr181.Populate(context.Background(), m, 1, 0, 0); err != nil {
		t.Fatalf("Populate: %v", err)
	}
	tx := m.Begin(context.Background())
	err := update(t, tx, "Device.WiFi.Radio.1.", datamodel.WriteOptions{}, "Channel", "11", "OperatingChannelBandwidth", "40MHz")
	tx.Rollback()
	if codeOf(err) != datamodel.CodeNotUpdated || len(hooked) != 1 || hooked[0] != "11/40MHz" {
		t.Errorf("Set Channel+Bandwidth: %v (hook saw %q), want one hook call seeing both and its refusal (7020)", err, hooked)
	}

	h, row := handler(t, m, "Device.WiFi.Radio.1."+tr181.SwitchCommand+"()")
	out, err := h(context.Background(), row, map[string]string{"Channel": "11", "Bandwidth": "20MHz", "Term": "3"})
	if err != nil || out["Channel"] != "11" {
		t.Errorf("X_USPMESH_Switch() = %v, %v", out, err)
	}
	sup, err := m.Schema().Lookup(mustParseSupported(t, "Device.WiFi.Radio.{i}.X_USPMESH_Switch()"))
	if err != nil || !sup.Command.Async || len(sup.Command.Inputs) != 5 || len(sup.Command.Outputs) != 3 {
		t.Errorf("X_USPMESH_Switch() schema: %+v, %v; want async, 5 inputs, 3 outputs", sup.Command, err)
	}
	h, row = handler(t, m, "Device.WiFi.NeighboringWiFiDiagnostic()")
	if out, err := h(context.Background(), row, nil); err != nil || out["Status"] != "Complete" {
		t.Errorf("NeighboringWiFiDiagnostic() = %v, %v; want the hook's Complete", out, err)
	}
}

func TestSwitchCommandAbsentUnwired(t *testing.T) {
	s := tr181.NewSchema(testConfig(&clock{now: boot}))
	if _, err := s.Lookup(mustParseSupported(t, "Device.WiFi.Radio.{i}.X_USPMESH_Switch()")); codeOf(err) != datamodel.CodeInvalidPath {
		t.Errorf("Lookup X_USPMESH_Switch() without a Switch hook: %v, want 7026", err)
	}
}

func mustParseSupported(t *testing.T, s string) *path.Path {
	t.Helper()
	p, err := path.ParseSupported(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return p
}
