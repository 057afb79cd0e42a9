package tr181_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// boot is the test nodes' boot time and the clock's start.
var boot = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// clock is an injected clock the tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// controllerKey carries the requesting Controller's row path in a context,
// as the USP layer will.
type controllerKey struct{}

func asController(ctx context.Context, ctrl string) context.Context {
	return context.WithValue(ctx, controllerKey{}, ctrl)
}

func testConfig(clk *clock) tr181.Config {
	return tr181.Config{
		Manufacturer: "uspmesh", ManufacturerOUI: "00D09E", ModelName: "Mesh AP One", ModelNumber: "MAP-1",
		Description: "uspmesh test node", ProductClass: "MeshAP", SerialNumber: "SN0001",
		HardwareVersion: "hw1", SoftwareVersion: "0.1.0", EndpointID: "proto::agent-ap1",
		Now: clk.Now, Boot: boot,
		Recipient: func(ctx context.Context) string {
			ctrl, _ := ctx.Value(controllerKey{}).(string)
			return ctrl
		},
	}
}

func newModel(t *testing.T, cfg tr181.Config, mcfg datamodel.Config) *datamodel.Model {
	t.Helper()
	m, err := datamodel.NewModel(context.Background(), tr181.NewSchema(cfg), mcfg)
	if err != nil {
		t.Fatalf("NewModel: %v", err)
	}
	return m
}

func mustParse(t *testing.T, s string) *path.Path {
	t.Helper()
	p, err := path.Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return p
}

func get(t *testing.T, m *datamodel.Model, p string) []datamodel.ObjectValues {
	t.Helper()
	ovs, err := m.Get(context.Background(), mustParse(t, p), 0, nil)
	if err != nil {
		t.Fatalf("Get %s: %v", p, err)
	}
	return ovs
}

// getValue reads one parameter.
func getValue(t *testing.T, m *datamodel.Model, p string) string {
	t.Helper()
	ovs := get(t, m, p)
	if len(ovs) != 1 || len(ovs[0].Params) != 1 {
		t.Fatalf("Get %s: got %v, want one value", p, ovs)
	}
	return ovs[0].Params[0].Value
}

// params builds a parameter list from name, value pairs.
func params(kv ...string) []datamodel.ParamValue {
	out := make([]datamodel.ParamValue, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, datamodel.ParamValue{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

// updates builds parameter updates from name, value pairs; every one is
// required, so that a failure fails the write.
func updates(kv ...string) []datamodel.ParamUpdate {
	out := make([]datamodel.ParamUpdate, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, datamodel.ParamUpdate{Param: kv[i], Value: kv[i+1], Required: true})
	}
	return out
}

// codeOf returns the USP error code err carries, or 0.
func codeOf(err error) uint32 {
	var c interface{ USPErrorCode() uint32 }
	if errors.As(err, &c) {
		return c.USPErrorCode()
	}
	return 0
}

// add creates a row in the table at tablePath within tx.
func add(t *testing.T, tx *datamodel.Txn, tablePath string, opt datamodel.WriteOptions, kv ...string) (*datamodel.AddResult, error) {
	t.Helper()
	tabs, err := tx.Tables(mustParse(t, tablePath))
	if err != nil || len(tabs) != 1 {
		t.Fatalf("Tables %s: %v, %d tables", tablePath, err, len(tabs))
	}
	return tx.Add(tabs[0], updates(kv...), opt)
}

// update sets parameters of the one object at objPath within tx.
func update(t *testing.T, tx *datamodel.Txn, objPath string, opt datamodel.WriteOptions, kv ...string) error {
	t.Helper()
	objs, err := tx.Objects(mustParse(t, objPath))
	if err != nil || len(objs) != 1 {
		t.Fatalf("Objects %s: %v, %d objects", objPath, err, len(objs))
	}
	_, err = tx.Update(objs[0], updates(kv...), opt)
	return err
}

// commit runs fn in a transaction and commits it.
func commit(t *testing.T, m *datamodel.Model, ctx context.Context, fn func(tx *datamodel.Txn)) {
	t.Helper()
	tx := m.Begin(ctx)
	defer tx.Rollback()
	fn(tx)
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

var internal = datamodel.WriteOptions{Internal: true}

func TestDeviceInfoIdentity(t *testing.T) {
	m := newModel(t, testConfig(&clock{now: boot}), datamodel.Config{})
	want := []datamodel.ObjectValues{{Path: "Device.DeviceInfo.", Params: params(
		"Manufacturer", "uspmesh", "ManufacturerOUI", "00D09E", "ModelName", "Mesh AP One",
		"ModelNumber", "MAP-1", "Description", "uspmesh test node", "ProductClass", "MeshAP",
		"SerialNumber", "SN0001", "HardwareVersion", "hw1", "SoftwareVersion", "0.1.0",
		"UpTime", "0", "FirstUseDate", value.UnknownTime, "ProvisioningCode", "", "HostName", "",
		"FriendlyName", "Mesh AP One",
	)}}
	if got := get(t, m, "Device.DeviceInfo."); !reflect.DeepEqual(got, want) {
		t.Errorf("Get Device.DeviceInfo.:\n got %v\nwant %v", got, want)
	}
	for _, tc := range []struct{ path, want string }{
		{"Device.RootDataModelVersion", "2.19"},
		{"Device.LocalAgent.EndpointID", "proto::agent-ap1"},
		{"Device.LocalAgent.SoftwareVersion", "0.1.0"},
		{"Device.LocalAgent.SupportedProtocols", "CoAP,MQTT,WebSocket"},
		{"Device.LocalAgent.SupportedFingerprintAlgorithms", "SHA-256"},
		{"Device.LocalAgent.MTPNumberOfEntries", "0"},
		{"Device.Time.Status", "Unsynchronized"},
		{"Device.X_USPMESH_Mesh.Status", "Alone"},
		{"Device.X_USPMESH_Mesh.Plan.Status", "Idle"},
	} {
		if got := getValue(t, m, tc.path); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestFriendlyNameDefaultTruncated(t *testing.T) {
	cfg := testConfig(&clock{now: boot})
	cfg.ModelName = strings.Repeat("M", 40)
	m := newModel(t, cfg, datamodel.Config{})
	if got := getValue(t, m, "Device.DeviceInfo.FriendlyName"); got != strings.Repeat("M", 32) {
		t.Errorf("FriendlyName = %q, want the ModelName cut to 32 characters", got)
	}
}

func TestUpTimeFollowsClock(t *testing.T) {
	clk := &clock{now: boot}
	m := newModel(t, testConfig(clk), datamodel.Config{})
	for _, tc := range []struct {
		advance  time.Duration
		uptime   string
		realTime string
	}{
		{0, "0", "2025-01-01T00:00:00Z"},
		{90 * time.Second, "90", "2025-01-01T00:01:30Z"},
		{time.Hour + 500*time.Millisecond, "3690", "2025-01-01T01:01:30Z"},
		{48 * time.Hour, "176490", "2025-01-03T01:01:30Z"},
	} {
		clk.Advance(tc.advance)
		for _, p := range []string{"Device.DeviceInfo.UpTime", "Device.LocalAgent.UpTime"} {
			if got := getValue(t, m, p); got != tc.uptime {
				t.Errorf("after +%v: %s = %s, want %s", tc.advance, p, got, tc.uptime)
			}
		}
		if got := getValue(t, m, "Device.Time.CurrentLocalTime"); got != tc.realTime {
			t.Errorf("after +%v: CurrentLocalTime = %s, want %s", tc.advance, got, tc.realTime)
		}
	}
}

func TestUpTimeBeforeBootIsZero(t *testing.T) {
	cfg := testConfig(&clock{now: boot.Add(-time.Minute)})
	m := newModel(t, cfg, datamodel.Config{})
	if got := getValue(t, m, "Device.DeviceInfo.UpTime"); got != "0" {
		t.Errorf("UpTime before Boot = %s, want 0", got)
	}
}

func TestTableDefinitions(t *testing.T) {
	s := tr181.NewSchema(testConfig(&clock{now: boot}))
	const (
		ro = datamodel.ObjReadOnly
		rw = datamodel.ObjAddDelete
	)
	for _, tc := range []struct {
		path       string
		keys       [][]string
		access     datamodel.ObjAccess
		persistent bool
	}{
		{"Device.LocalAgent.MTP.{i}.", [][]string{{"Alias"}}, rw, true},
		{"Device.LocalAgent.Controller.{i}.", [][]string{{"Alias"}, {"EndpointID"}}, rw, true},
		{"Device.LocalAgent.Controller.{i}.BootParameter.{i}.", [][]string{{"Alias"}, {"ParameterName"}}, rw, true},
		{"Device.LocalAgent.Controller.{i}.MTP.{i}.", [][]string{{"Alias"}, {"Protocol"}}, rw, true},
		{"Device.LocalAgent.Subscription.{i}.", [][]string{{"Alias"}, {"Recipient", "ID"}}, rw, true},
		{"Device.LocalAgent.Request.{i}.", [][]string{{"Alias"}}, ro, false},
		{"Device.LocalAgent.ControllerTrust.Role.{i}.", [][]string{{"Alias"}, {"Name"}}, rw, true},
		{"Device.LocalAgent.ControllerTrust.Role.{i}.Permission.{i}.", [][]string{{"Alias"}, {"Order"}}, rw, true},
		{"Device.LocalAgent.ControllerTrust.Credential.{i}.", [][]string{{"Alias"}, {"Credential"}}, rw, true},
		{"Device.WiFi.Radio.{i}.", [][]string{{"Alias"}, {"Name"}}, ro, false},
		{"Device.WiFi.SSID.{i}.", [][]string{{"Alias"}, {"Name"}, {"BSSID"}}, rw, true},
		{"Device.WiFi.AccessPoint.{i}.", [][]string{{"Alias"}, {"SSIDReference"}}, rw, true},
		{"Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.", [][]string{{"MACAddress"}}, ro, false},
		{"Device.WiFi.NeighboringWiFiDiagnostic.Result.{i}.", [][]string{{"BSSID"}}, ro, false},
		{"Device.X_USPMESH_Mesh.Node.{i}.", [][]string{{"Alias"}, {"EndpointID"}}, ro, false},
		{"Device.X_USPMESH_Mesh.Plan.Input.{i}.", [][]string{{"Radio"}}, ro, false},
	} {
		p, err := path.ParseSupported(tc.path)
		if err != nil {
			t.Fatalf("ParseSupported %s: %v", tc.path, err)
		}
		sup, err := s.Lookup(p)
		if err != nil {
			t.Errorf("Lookup %s: %v", tc.path, err)
			continue
		}
		o := sup.Object
		if !o.Multi || !reflect.DeepEqual(o.UniqueKeys, tc.keys) || o.Access != tc.access || o.Persistent != tc.persistent {
			t.Errorf("%s: multi %v keys %v access %v persistent %v; want keys %v access %v persistent %v",
				tc.path, o.Multi, o.UniqueKeys, o.Access, o.Persistent, tc.keys, tc.access, tc.persistent)
		}
	}
}

// TestSchemaConsistent checks every definition against the engine's rules:
// constraints that make sense for their type, defaults of writable and
// persistent parameters that pass their own constraints, key sets that name
// parameters, an [Alias] key set wherever a table has an Alias, and secrets
// where TR-181 has them.
func TestSchemaConsistent(t *testing.T) {
	s := tr181.NewSchema(testConfig(&clock{now: boot}))
	var secrets []string
	s.Root().Walk(func(o *datamodel.ObjectDef) bool {
		for _, p := range o.Params() {
			where := o.SupportedPath() + p.Name
			if err := p.Constraint.Check(p.Type); err != nil {
				t.Errorf("%s: constraint: %v", where, err)
			}
			if p.Secured {
				secrets = append(secrets, where)
			}
			if p.Access == datamodel.ReadOnly && !p.Persistent || p.Type == value.String && p.Default == "" {
				continue
			}
			if got, err := value.Validate(p.Type, &p.Constraint, p.Default); err != nil || got != p.Default {
				t.Errorf("%s: default %q invalid (%v) or not canonical (%q)", where, p.Default, err, got)
			}
		}
		if o.Multi {
			if len(o.UniqueKeys) == 0 {
				t.Errorf("%s: table without unique keys", o.SupportedPath())
			}
			for _, ks := range o.UniqueKeys {
				for _, k := range ks {
					if o.ParamByName(k) == nil {
						t.Errorf("%s: key %s is not a parameter", o.SupportedPath(), k)
					}
				}
			}
			if o.ParamByName("Alias") != nil && !reflect.DeepEqual(o.UniqueKeys[0], []string{"Alias"}) {
				t.Errorf("%s: has Alias but first key set is %v", o.SupportedPath(), o.UniqueKeys[0])
			}
		}
		for _, c := range o.Commands() {
			for _, a := range append(append([]datamodel.Arg{}, c.Inputs...), c.Outputs...) {
				if err := a.Constraint.Check(a.Type); err != nil {
					t.Errorf("%s%s() %s: %v", o.SupportedPath(), c.Name, a.Name, err)
				}
			}
		}
		return true
	})
	wantSecrets := []string{
		"Device.WiFi.AccessPoint.{i}.Security.KeyPassphrase",
		"Device.WiFi.AccessPoint.{i}.Security.SAEPassphrase",
		"Device.MQTT.Client.{i}.Password",
		"Device.BulkData.Profile.{i}.HTTP.Password",
	}
	if !reflect.DeepEqual(secrets, wantSecrets) {
		t.Errorf("secured parameters %v, want %v", secrets, wantSecrets)
	}
}
