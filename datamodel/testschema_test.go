package datamodel

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// testSchema is a small model exercising every engine feature:
//
//	Device.Name (RW), Device.Live (provider), Device.Reboot(), Device.Boot!
//	Device.WiFi.Radio.{i}   read-only table, keys [Alias] [Name], a hook
//	Device.WiFi.SSID.{i}    persistent, keys [Alias] [Name], LowerLayers ref
//	Device.Sub.{i}          persistent, keys [Alias] [Recipient ID], auto ID
//	Device.Box.Port.{i}.Lane.{i}  nested tables
type testEnv struct {
	s       *Schema
	live    atomic.Int64
	hookLog []string
	nextID  atomic.Int64
}

func newTestSchema() *testEnv {
	e := &testEnv{}
	s := NewSchema("Device")
	d := s.Root()
	d.Param("Name", value.String).RW().Persist().MaxLen(16)
	d.Param("Live", value.UnsignedInt).Live(func(ctx context.Context, r Row) (string, error) {
		return strconv.FormatInt(e.live.Load(), 10), nil
	}).Counter()
	d.Command("Reboot", false, nil)
	d.Event("Boot", Arg{Name: "Cause", Type: value.String})

	wifi := d.Object("WiFi")
	radio := wifi.Table("Radio", []string{"Alias"}, []string{"Name"})
	radio.Access = ObjReadOnly
	radio.Param("Alias", value.String).RW()
	radio.Param("Name", value.String)
	radio.Param("Enable", value.Boolean).RW()
	radio.Param("Channel", value.UnsignedInt).RW().Range(1, 255).Def("1")
	radio.Param("Bandwidth", value.String).RW().Enum("20MHz", "40MHz", "80MHz").Def("20MHz")
	radio.Param("Band", value.String).Enum("2.4GHz", "5GHz").Def("2.4GHz")
	radio.Param("Standards", value.String).RW().List().Enum("a", "b", "g", "n", "ac", "ax")
	radio.Object("Stats").Param("Noise", value.Int).Def("-90")
	radio.Command("Scan", true, nil)
	radio.Hook = func(ctx context.Context, ch *ObjectChange) error {
		e.hookLog = append(e.hookLog, fmt.Sprintf("%s ch=%s bw=%s n=%d", ch.Row.Path, ch.Values("Channel"), ch.Values("Bandwidth"), len(ch.Changes)))
		if ch.Values("Channel") == "14" && ch.Values("Bandwidth") != "20MHz" {
			return errorf(CodeInvalidValue, ch.Row.Path, "channel 14 allows only 20MHz")
		}
		return nil
	}
	ssid := wifi.Table("SSID", []string{"Alias"}, []string{"Name"})
	ssid.Access, ssid.Persistent = ObjAddDelete, true
	ssid.Param("Alias", value.String).RW()
	ssid.Param("Name", value.String).Once()
	ssid.Param("SSID", value.String).RW().MaxLen(32)
	ssid.Param("LowerLayers", value.String).RW().List().Ref()
	ssid.Param("Enable", value.Boolean).RW()

	sub := d.Table("Sub", []string{"Alias"}, []string{"Recipient", "ID"})
	sub.Access, sub.Persistent = ObjAddDelete, true
	sub.Param("Alias", value.String).RW()
	sub.Param("ID", value.String).Once().MaxLen(64).AutoValue = func(ctx context.Context, r Row) string {
		return "auto-" + strconv.FormatInt(e.nextID.Add(1), 10)
	}
	sub.Param("Recipient", value.String).AutoValue = func(ctx context.Context, r Row) string { return "Device.Ctrl.1" }
	sub.Param("Enable", value.Boolean).RW()
	sub.Param("Ref", value.String).RW().List()
	sub.Param("TTL", value.UnsignedInt).RW()
	sub.Param("Hits", value.UnsignedInt) // read-only, kept by the Agent
	sub.MaxEntries = 2000

	box := d.Object("Box")
	port := box.Table("Port", []string{"Alias"})
	port.Access = ObjAddDelete
	port.Param("Alias", value.String).RW()
	port.Param("Speed", value.UnsignedLong).RW()
	lane := port.Table("Lane", []string{"Alias"})
	lane.Access = ObjAddDelete
	lane.Param("Alias", value.String).RW()
	lane.Param("Up", value.Boolean).RW()
	e.s = s
	return e
}

func mustParse(t testing.TB, s string) *path.Path {
	t.Helper()
	p, err := path.Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return p
}

// newTestModel builds the test model with two radios, two SSIDs, and a port
// with two lanes.
func newTestModel(t testing.TB, cfg Config) (*Model, *testEnv) {
	t.Helper()
	e := newTestSchema()
	ctx := context.Background()
	m, err := NewModel(ctx, e.s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tx := m.Begin(ctx)
	defer tx.Rollback()
	in := WriteOptions{Internal: true}
	radios := tables(t, tx, "Device.WiFi.Radio.")
	for _, r := range []struct{ name, band, ch string }{{"wlan0", "2.4GHz", "6"}, {"wlan1", "5GHz", "36"}} {
		if _, err := tx.Add(radios[0], []ParamUpdate{{Param: "Name", Value: r.name}, {Param: "Band", Value: r.band}, {Param: "Channel", Value: r.ch}}, in); err != nil {
			t.Fatal(err)
		}
	}
	ssids := tables(t, tx, "Device.WiFi.SSID.")
	for i, s := range []string{"Home", "Guest"} {
		if _, err := tx.Add(ssids[0], []ParamUpdate{{Param: "Name", Value: "ssid" + strconv.Itoa(i)}, {Param: "SSID", Value: s},
			{Param: "LowerLayers", Value: "Device.WiFi.Radio." + strconv.Itoa(i+1)}, {Param: "Enable", Value: strconv.FormatBool(i == 0)}}, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Add(tables(t, tx, "Device.Box.Port.")[0], []ParamUpdate{{Param: "Speed", Value: "1000"}}, in); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := tx.Add(tables(t, tx, "Device.Box.Port.1.Lane.")[0], nil, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	e.hookLog = nil
	return m, e
}

func tables(t testing.TB, tx *Txn, p string) []Table {
	t.Helper()
	ts, err := tx.Tables(mustParse(t, p))
	if err != nil {
		t.Fatalf("tables %s: %v", p, err)
	}
	return ts
}

func objects(t testing.TB, tx *Txn, p string) []Object {
	t.Helper()
	os, err := tx.Objects(mustParse(t, p))
	if err != nil {
		t.Fatalf("objects %s: %v", p, err)
	}
	return os
}

func parseSupportedForTest(s string) (*path.Path, error) { return path.ParseSupported(s) }

func mustParseNoT(s string) *path.Path {
	p, err := path.Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}
