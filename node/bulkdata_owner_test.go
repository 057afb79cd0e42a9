package node

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// otherCtl is a second Controller with full rights: it may subscribe to
// any event, but a profile it did not create is not its to receive.
const otherCtl = "proto::other-ctl"

// pushOf waits for c's next notification and returns it as a Push!.
func pushOf(t *testing.T, c *controller) *uspmsg.Notify_Event {
	t.Helper()
	select {
	case nt := <-c.notes:
		ev := nt.GetEvent()
		if ev.GetEventName() != "Push!" {
			t.Fatalf("notification %v, want a Push! event", nt)
		}
		return ev
	case <-time.After(15 * time.Second):
		t.Fatal("no Push! event")
	}
	return nil
}

func force(t *testing.T, c *controller, row string) {
	t.Helper()
	if _, err := c.client.Operate(context.Background(), c.agent, row+"ForceCollection()", "", nil); err != nil {
		t.Fatalf("ForceCollection %s: %v", row, err)
	}
}

// TestPushOnlyToOwner: a USPEventNotif profile's Push! event reaches the
// Event subscription of the Controller that created it, with the report
// in Data, and not another Controller's subscription to the same event,
// though that Controller's role may receive every event (the report is
// filtered by the owner's rights, not the subscriber's). Notifications
// to one Controller go out in order, so the other Controller's own
// profile's Push!, forced after the owner's, is the barrier: it must be
// the first Push! the other Controller sees.
func TestPushOnlyToOwner(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Controllers = append(cfg.Controllers, ControllerConfig{EndpointID: otherCtl, Role: "full"})
	n := startNode(t, cfg, Deps{})
	owner := dialNode(t, n, testCtl, testPSK)
	other := dialNode(t, n, otherCtl, testPSK)
	params := map[string]string{"Protocol": "USPEventNotif", "ReportingInterval": "86400"}
	mine := addProfile(t, owner, params, "Device.DeviceInfo.SerialNumber")
	theirs := addProfile(t, other, params, "Device.LocalAgent.EndpointID")
	ctx := context.Background()
	for _, c := range []*controller{owner, other} {
		if _, _, err := c.client.Subscribe(ctx, n.AgentID(), usp.Subscription{NotifType: "Event",
			ReferenceList: []string{mine + "Push!", theirs + "Push!"}}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "both profiles enabled", func() bool {
		return get(t, n, mine+"X_USPMESH_Status") == "Enabled" && get(t, n, theirs+"X_USPMESH_Status") == "Enabled"
	})

	force(t, owner, mine)
	ev := pushOf(t, owner)
	if ev.GetObjPath() != mine || !strings.Contains(ev.GetParams()["Data"], `"SerialNumber":"`+n.cfg.SerialNumber+`"`) {
		t.Fatalf("owner's Push! %v", ev)
	}
	force(t, other, theirs)
	if ev := pushOf(t, other); ev.GetObjPath() != theirs {
		t.Fatalf("the other Controller received %s's Push! (Data %q), which it did not create", ev.GetObjPath(), ev.GetParams()["Data"])
	}
}

// TestReportingIntervalMinimum: Device.BulkData.MinReportingInterval is
// the node's bulkdata_min_interval, and a ReportingInterval below it is
// refused with 7012 Invalid value on Add and on Set.
func TestReportingIntervalMinimum(t *testing.T) {
	cfg := baseConfig(t)
	cfg.BulkDataMinInterval = Duration(5 * time.Second)
	n := startNode(t, cfg, Deps{})
	if got := get(t, n, "Device.BulkData.MinReportingInterval"); got != "5" {
		t.Fatalf("MinReportingInterval %s, want 5", got)
	}
	c := dialNode(t, n, testCtl, testPSK)
	ctx := context.Background()
	_, err := c.client.Add(ctx, c.agent, false, &uspmsg.Add_CreateObject{ObjPath: "Device.BulkData.Profile.",
		ParamSettings: []*uspmsg.Add_CreateParamSetting{{Param: "ReportingInterval", Value: "4", Required: true}}})
	if !invalidValue(err, "ReportingInterval") {
		t.Fatalf("Add with ReportingInterval 4: %v, want 7012", err)
	}
	row := addProfile(t, c, map[string]string{"ReportingInterval": "5", "HTTP.URL": "http://127.0.0.1:1/r"}, "Device.DeviceInfo.SerialNumber")
	_, err = c.client.Set(ctx, c.agent, false, &uspmsg.Set_UpdateObject{ObjPath: row,
		ParamSettings: []*uspmsg.Set_UpdateParamSetting{{Param: "ReportingInterval", Value: "4", Required: true}}})
	if !invalidValue(err, row+"ReportingInterval") {
		t.Fatalf("Set ReportingInterval 4: %v, want 7012", err)
	}
	if got := get(t, n, row+"ReportingInterval"); got != "5" {
		t.Fatalf("ReportingInterval %s after the refused Set", got)
	}

	for _, d := range []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond, -time.Minute} {
		bad := baseConfig(t)
		bad.BulkDataMinInterval = Duration(d)
		var ce *ConfigError
		if err := bad.Check(); !errors.As(err, &ce) || ce.Field != "bulkdata_min_interval" {
			t.Fatalf("Check with bulkdata_min_interval %v: %v", d, err)
		}
	}
	zero := baseConfig(t)
	zero.applyDefaults()
	zero.BulkDataMinInterval = 0
	if err := zero.Validate(); err != nil {
		t.Fatalf("a zero bulkdata_min_interval (the default) is refused: %v", err)
	}
}

// invalidValue says whether err is a USP Error whose param_errs refuse
// the parameter ending in param with 7012 Invalid value.
func invalidValue(err error, param string) bool {
	var re *usp.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	for _, pe := range re.ParamErrs {
		if strings.HasSuffix(pe.Path, param) && uint32(pe.Code) == datamodel.CodeInvalidValue {
			return true
		}
	}
	return false
}
