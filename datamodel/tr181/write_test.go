package tr181_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
)

func TestWriteChecks(t *testing.T) {
	m := resolveModel(t)
	const (
		radio = "Device.WiFi.Radio.1."
		ctrl  = "Device.LocalAgent.Controller.1."
	)
	ctrlOpt := datamodel.WriteOptions{}
	for _, tc := range []struct {
		obj, param, val string
		opt             datamodel.WriteOptions
		code            uint32
	}{
		{radio, "Channel", "36", ctrlOpt, 0},
		{radio, "Channel", "300", ctrlOpt, datamodel.CodeInvalidValue},
		{radio, "Channel", "0", ctrlOpt, datamodel.CodeInvalidValue},
		{radio, "Channel", "abc", ctrlOpt, datamodel.CodeInvalidType},
		{radio, "TransmitPower", "-1", ctrlOpt, 0},
		{radio, "TransmitPower", "-2", ctrlOpt, datamodel.CodeInvalidValue},
		{radio, "TransmitPower", "101", ctrlOpt, datamodel.CodeInvalidValue},
		{radio, "OperatingChannelBandwidth", "320MHz-1", ctrlOpt, 0},
		{radio, "OperatingChannelBandwidth", "90MHz", ctrlOpt, datamodel.CodeInvalidValue},
		{radio, "OperatingStandards", "ax,be", ctrlOpt, 0},
		{radio, "OperatingStandards", "ax,wifi7", ctrlOpt, datamodel.CodeInvalidValue},
		{radio, "RegulatoryDomain", "US ", ctrlOpt, 0},
		{radio, "RegulatoryDomain", "us ", ctrlOpt, datamodel.CodeInvalidValue},
		{radio, "Name", "radio9", ctrlOpt, datamodel.CodeNotWritable},
		{radio, "Name", "radio9", internal, 0},
		{radio, "Stats.BytesSent", "1", ctrlOpt, datamodel.CodeNotWritable},
		{"Device.DeviceInfo.", "Manufacturer", "acme", ctrlOpt, datamodel.CodeNotWritable},
		{"Device.DeviceInfo.", "UpTime", "5", ctrlOpt, datamodel.CodeNotWritable},
		{"Device.DeviceInfo.", "FriendlyName", strings.Repeat("x", 33), ctrlOpt, datamodel.CodeInvalidValue},
		{"Device.DeviceInfo.", "FriendlyName", "Hall", ctrlOpt, 0},
		{"Device.LocalAgent.", "EndpointID", "proto::other", ctrlOpt, datamodel.CodeNotWritable},
		{"Device.LocalAgent.", "MaxSubscriptionChangeAdoptionTime", "4", ctrlOpt, datamodel.CodeInvalidValue},
		{"Device.LocalAgent.", "MTPNumberOfEntries", "4", internal, datamodel.CodeNotWritable},
		{ctrl, "Alias", "other", ctrlOpt, datamodel.CodeNotWritable},
		{ctrl, "USPNotifRetryIntervalMultiplier", "999", ctrlOpt, datamodel.CodeInvalidValue},
		{ctrl, "USPNotifRetryMinimumWaitInterval", "65536", ctrlOpt, datamodel.CodeInvalidValue},
		{ctrl, "E2ESession.SessionMode", "Require", ctrlOpt, 0},
		{ctrl, "E2ESession.SessionMode", "Always", ctrlOpt, datamodel.CodeInvalidValue},
		{ctrl, "InheritedRole", "Device.LocalAgent.ControllerTrust.Role.1", ctrlOpt, datamodel.CodeNotWritable},
		{"Device.WiFi.AccessPoint.1.", "Security.KeyPassphrase", "short", ctrlOpt, datamodel.CodeInvalidValue},
		{"Device.WiFi.AccessPoint.1.", "Security.ModeEnabled", "WEP-64", ctrlOpt, datamodel.CodeInvalidValue},
		{"Device.WiFi.SSID.1.", "SSID", strings.Repeat("s", 33), ctrlOpt, datamodel.CodeInvalidValue},
		{"Device.WiFi.SSID.1.", "BSSID", "02:00:00:00:00:99", ctrlOpt, datamodel.CodeNotWritable},
		{"Device.LocalAgent.Subscription.1.", "ID", "y", ctrlOpt, datamodel.CodeNotWritable},
		{"Device.X_USPMESH_Mesh.", "Term", "7", ctrlOpt, datamodel.CodeNotWritable},
		{"Device.X_USPMESH_Mesh.", "Term", "7", internal, 0},
	} {
		t.Run(tc.obj+tc.param+"="+tc.val, func(t *testing.T) {
			tx := m.Begin(context.Background())
			defer tx.Rollback()
			err := update(t, tx, tc.obj, tc.opt, tc.param, tc.val)
			if got := codeOf(err); got != tc.code {
				t.Errorf("set %s%s=%q: %v (code %d), want code %d", tc.obj, tc.param, tc.val, err, got, tc.code)
			}
		})
	}
}

func TestAddRefusals(t *testing.T) {
	m := resolveModel(t)
	ctx := asController(context.Background(), "Device.LocalAgent.Controller.1")
	for _, tc := range []struct {
		table string
		opt   datamodel.WriteOptions
		kv    []string
		code  uint32
	}{
		{"Device.LocalAgent.Controller.", datamodel.WriteOptions{}, []string{"Alias", "88InvalidAlias", "EndpointID", "proto::b"}, datamodel.CodeInvalidValue},
		{"Device.LocalAgent.Controller.", datamodel.WriteOptions{}, []string{"Alias", "ctrlB", "EndpointID", "proto::b"}, 0},
		{"Device.LocalAgent.Controller.", datamodel.WriteOptions{}, []string{"EndpointID", "proto::ctrl-a"}, datamodel.CodeDuplicateKey},
		{"Device.LocalAgent.Subscription.", datamodel.WriteOptions{}, []string{"ID", "x"}, datamodel.CodeDuplicateKey},
		{"Device.LocalAgent.Subscription.", datamodel.WriteOptions{}, []string{"Recipient", "Device.LocalAgent.Controller.2"}, datamodel.CodeNotWritable},
		{"Device.LocalAgent.Subscription.", datamodel.WriteOptions{}, []string{"NotifType", "Event"}, 0},
		{"Device.WiFi.Radio.", datamodel.WriteOptions{}, []string{"Name", "radio9"}, datamodel.CodeNotCreatable},
		{"Device.WiFi.AccessPoint.1.AssociatedDevice.", datamodel.WriteOptions{}, []string{"MACAddress", "02:00:00:00:00:01"}, datamodel.CodeNotCreatable},
		{"Device.WiFi.AccessPoint.1.AssociatedDevice.", internal, []string{"MACAddress", "02-00-00-00-00-01"}, datamodel.CodeInvalidValue},
		{"Device.LocalAgent.Request.", datamodel.WriteOptions{}, []string{"Command", "Device.Reboot()"}, datamodel.CodeNotCreatable},
		{"Device.LocalAgent.MTP.", datamodel.WriteOptions{}, []string{"Protocol", "STOMP"}, datamodel.CodeInvalidValue},
		{"Device.LocalAgent.MTP.", datamodel.WriteOptions{}, []string{"Protocol", "CoAP", "CoAP.Port", "5684"}, 0},
	} {
		t.Run(tc.table+strings.Join(tc.kv, ","), func(t *testing.T) {
			tx := m.Begin(ctx)
			defer tx.Rollback()
			_, err := add(t, tx, tc.table, tc.opt, tc.kv...)
			if got := codeOf(err); got != tc.code {
				t.Errorf("add %v: %v (code %d), want code %d", tc.kv, err, got, tc.code)
			}
		})
	}
}

func TestSubscriptionAutoValues(t *testing.T) {
	clk := &clock{now: boot}
	m := newModel(t, testConfig(clk), datamodel.Config{})
	clk.Advance(10 * time.Minute)
	const ctrl = "Device.LocalAgent.Controller.1"
	var keys []map[string]string
	commit(t, m, asController(context.Background(), ctrl), func(tx *datamodel.Txn) {
		for range 2 {
			res, err := add(t, tx, "Device.LocalAgent.Subscription.", datamodel.WriteOptions{}, "NotifType", "Event",
				"ReferenceList", "Device.Boot!")
			if err != nil {
				t.Fatalf("add Subscription: %v", err)
			}
			keys = append(keys, res.Keys)
		}
	})
	unix := boot.Add(10 * time.Minute).Unix()
	want := []map[string]string{
		{"Alias": "cpe-1", "Recipient": ctrl, "ID": fmt.Sprintf("1-%X", unix)},
		{"Alias": "cpe-2", "Recipient": ctrl, "ID": fmt.Sprintf("2-%X", unix)},
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("unique keys %v, want %v", keys, want)
	}
	if got := getValue(t, m, "Device.LocalAgent.Subscription.2.CreationDate"); got != "2025-01-01T00:10:00Z" {
		t.Errorf("CreationDate = %s, want 2025-01-01T00:10:00Z", got)
	}
}

func TestPermissionHook(t *testing.T) {
	m := newModel(t, testConfig(&clock{now: boot}), datamodel.Config{})
	const perms = "Device.LocalAgent.ControllerTrust.Role.1.Permission."
	commit(t, m, context.Background(), func(tx *datamodel.Txn) {
		if _, err := add(t, tx, "Device.LocalAgent.ControllerTrust.Role.", internal, "Name", "full"); err != nil {
			t.Fatalf("add Role: %v", err)
		}
		if _, err := add(t, tx, perms, internal, "Order", "1", "Targets", "Device."); err != nil {
			t.Fatalf("add Permission: %v", err)
		}
	})
	for i, tc := range []struct {
		param, val string
		code       uint32
	}{
		{"Param", "rw-n", 0},
		{"Param", "rwz-", datamodel.CodeInvalidValue},
		{"Obj", "wr--", datamodel.CodeInvalidValue},
		{"InstantiatedObj", "rwx", datamodel.CodeInvalidValue},
		{"CommandEvent", "rwxnn", datamodel.CodeInvalidValue},
		{"CommandEvent", "--xn", 0},
		{"Obj", "RW--", datamodel.CodeInvalidValue},
	} {
		t.Run(tc.param+"="+tc.val, func(t *testing.T) {
			tx := m.Begin(context.Background())
			defer tx.Rollback()
			_, err := add(t, tx, perms, datamodel.WriteOptions{}, "Order", fmt.Sprint(10+i), tc.param, tc.val)
			if got := codeOf(err); got != tc.code {
				t.Errorf("add Permission %s=%q: %v (code %d), want %d", tc.param, tc.val, err, got, tc.code)
			}
			err = update(t, tx, perms+"1.", datamodel.WriteOptions{}, tc.param, tc.val)
			if got := codeOf(err); got != tc.code {
				t.Errorf("set Permission %s=%q: %v (code %d), want %d", tc.param, tc.val, err, got, tc.code)
			}
		})
	}
	if got := getValue(t, m, perms+"1.Param"); got != tr181.DenyAll {
		t.Errorf("Permission.1.Param = %q after rolled-back writes, want %q", got, tr181.DenyAll)
	}
}

// TestTransientSubscriptionNotSaved: a subscription that is not
// Persistent is never written to the state file and is gone after a
// restart; a Persistent one stays.
func TestTransientSubscriptionNotSaved(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: boot}
	store := datamodel.FileStore{Path: filepath.Join(t.TempDir(), "datamodel.json")}
	m1 := newModel(t, testConfig(clk), datamodel.Config{Store: store})
	commit(t, m1, asController(ctx, "Device.LocalAgent.Controller.1"), func(tx *datamodel.Txn) {
		for _, persistent := range []string{"false", "true"} {
			if _, err := add(t, tx, "Device.LocalAgent.Subscription.", datamodel.WriteOptions{}, "NotifType", "ValueChange",
				"ReferenceList", "Device.DeviceInfo.FriendlyName", "Enable", "true", "Persistent", persistent, "ID", "sub-"+persistent); err != nil {
				t.Fatalf("add Subscription: %v", err)
			}
		}
	})
	doc, err := os.ReadFile(store.Path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(doc, []byte("sub-false")) || !bytes.Contains(doc, []byte("sub-true")) {
		t.Fatalf("state file:\n%s\nwant sub-true saved and sub-false not", doc)
	}
	m2 := newModel(t, testConfig(clk), datamodel.Config{Store: store})
	res, err := m2.Get(ctx, mustParse(t, "Device.LocalAgent.Subscription.*.ID"), 0, nil)
	if err != nil || len(res) != 1 || res[0].Params[0].Value != "sub-true" {
		t.Fatalf("subscriptions after a restart: %+v %v, want sub-true only", res, err)
	}
}

func TestPersistenceRoundTrip(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: boot}
	store := datamodel.FileStore{Path: filepath.Join(t.TempDir(), "datamodel.json")}
	m1 := newModel(t, testConfig(clk), datamodel.Config{Store: store})
	commit(t, m1, asController(ctx, "Device.LocalAgent.Controller.1"), func(tx *datamodel.Txn) {
		for _, ep := range []string{"proto::ctrl-a", "proto::ctrl-b", "proto::ctrl-c"} {
			if _, err := add(t, tx, "Device.LocalAgent.Controller.", internal, "EndpointID", ep, "Enable", "true",
				"AssignedRole", "Device.LocalAgent.ControllerTrust.Role.1"); err != nil {
				t.Fatalf("add Controller: %v", err)
			}
		}
		if _, err := add(t, tx, "Device.LocalAgent.Subscription.", datamodel.WriteOptions{}, "NotifType", "ValueChange",
			"ReferenceList", "Device.WiFi.Radio.*.Channel", "Enable", "true", "Persistent", "true"); err != nil {
			t.Fatalf("add Subscription: %v", err)
		}
		if err := update(t, tx, "Device.DeviceInfo.", datamodel.WriteOptions{}, "FriendlyName", "Living room"); err != nil {
			t.Fatalf("set FriendlyName: %v", err)
		}
	})
	commit(t, m1, ctx, func(tx *datamodel.Txn) {
		objs, err := tx.Objects(mustParse(t, "Device.LocalAgent.Controller.3."))
		if err != nil {
			t.Fatalf("Objects: %v", err)
		}
		if _, err := tx.Delete(objs[0], datamodel.WriteOptions{}); err != nil {
			t.Fatalf("Delete Controller.3: %v", err)
		}
	})
	before := get(t, m1, "Device.LocalAgent.")

	clk.Advance(time.Hour) // a restart later
	m2 := newModel(t, testConfig(clk), datamodel.Config{Store: store})
	after := get(t, m2, "Device.LocalAgent.")
	// UpTime is live: compare everything else.
	dropUpTime := func(ovs []datamodel.ObjectValues) {
		ps := ovs[0].Params
		for i, pv := range ps {
			if pv.Name == "UpTime" {
				ovs[0].Params = append(ps[:i:i], ps[i+1:]...)
				return
			}
		}
	}
	dropUpTime(before)
	dropUpTime(after)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("Device.LocalAgent. after restore:\n got %v\nwant %v", after, before)
	}
	if got := getValue(t, m2, "Device.LocalAgent.Subscription.1.Recipient"); got != "Device.LocalAgent.Controller.1" {
		t.Errorf("restored Recipient = %q", got)
	}
	if got := getValue(t, m2, "Device.DeviceInfo.FriendlyName"); got != "Living room" {
		t.Errorf("restored FriendlyName = %q, want %q", got, "Living room")
	}
	commit(t, m2, ctx, func(tx *datamodel.Txn) {
		res, err := add(t, tx, "Device.LocalAgent.Controller.", internal, "EndpointID", "proto::ctrl-d")
		if err != nil {
			t.Fatalf("add Controller after restore: %v", err)
		}
		if res.Path != "Device.LocalAgent.Controller.4." {
			t.Errorf("next Controller row %s, want Device.LocalAgent.Controller.4. (3 was deleted)", res.Path)
		}
	})
}

func TestPopulatedParameterCount(t *testing.T) {
	ctx := context.Background()
	m := newModel(t, testConfig(&clock{now: boot}), datamodel.Config{})
	if err := tr181.Populate(ctx, m, 3, 6, 20); err != nil {
		t.Fatalf("Populate: %v", err)
	}
	commit(t, m, ctx, func(tx *datamodel.Txn) {
		if _, err := add(t, tx, "Device.LocalAgent.Controller.", internal, "EndpointID", "proto::ctrl-a"); err != nil {
			t.Fatalf("add Controller: %v", err)
		}
	})
	n := 0
	for _, ov := range get(t, m, "Device.") {
		n += len(ov.Params)
	}
	t.Logf("Get Device. on 3 radios, 6 SSIDs, 6 access points with 20 stations each and 1 Controller: %d parameters", n)
	if n < 1500 {
		t.Errorf("%d parameters, the Get Device. benchmark needs at least 1500", n)
	}
	for _, tc := range []struct{ path, want string }{
		{"Device.WiFi.RadioNumberOfEntries", "3"},
		{"Device.WiFi.SSIDNumberOfEntries", "6"},
		{"Device.WiFi.AccessPointNumberOfEntries", "6"},
		{"Device.WiFi.AccessPoint.6.AssociatedDeviceNumberOfEntries", "20"},
		{"Device.WiFi.SSID.4.SSID", "SSID-4"},
		{"Device.WiFi.SSID.4.Name", "ssid4"},
		{"Device.WiFi.SSID.4.LowerLayers", "Device.WiFi.Radio.1"},
	} {
		if got := getValue(t, m, tc.path); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.path, got, tc.want)
		}
	}
	if err := tr181.Populate(ctx, m, 1, 0, 0); codeOf(err) != datamodel.CodeDuplicateKey {
		t.Errorf("second Populate: %v, want a duplicate key (7025)", err)
	}
	if got := getValue(t, m, "Device.WiFi.RadioNumberOfEntries"); got != "3" {
		t.Errorf("a failed Populate left %s radios, want 3", got)
	}
}
