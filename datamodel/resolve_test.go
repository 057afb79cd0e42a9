package datamodel

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// flat renders Get results as "<object path><param>=<value>" lines.
func flat(res []ObjectValues) []string {
	var out []string
	for _, o := range res {
		for _, p := range o.Params {
			out = append(out, o.Path+p.Name+"="+p.Value)
		}
	}
	return out
}

func objPaths(res []ObjectValues) []string {
	var out []string
	for _, o := range res {
		out = append(out, o.Path)
	}
	return out
}

func TestGetResolution(t *testing.T) {
	m, e := newTestModel(t, Config{})
	e.live.Store(42)
	ctx := context.Background()
	cases := []struct {
		name string
		path string
		want []string
	}{
		{"param", "Device.Name", []string{"Device.Name="}},
		{"live param", "Device.Live", []string{"Device.Live=42"}},
		{"derived count", "Device.WiFi.RadioNumberOfEntries", []string{"Device.WiFi.RadioNumberOfEntries=2"}},
		{"row param", "Device.WiFi.Radio.2.Channel", []string{"Device.WiFi.Radio.2.Channel=36"}},
		{"sub-object param", "Device.WiFi.Radio.1.Stats.Noise", []string{"Device.WiFi.Radio.1.Stats.Noise=-90"}},
		{"wildcard", "Device.WiFi.Radio.*.Name", []string{"Device.WiFi.Radio.1.Name=wlan0", "Device.WiFi.Radio.2.Name=wlan1"}},
		{"eq string", `Device.WiFi.Radio.[Band=="5GHz"].Name`, []string{"Device.WiFi.Radio.2.Name=wlan1"}},
		{"ne string", `Device.WiFi.Radio.[Band!="5GHz"].Name`, []string{"Device.WiFi.Radio.1.Name=wlan0"}},
		{"gt typed", `Device.WiFi.Radio.[Channel>6].Name`, []string{"Device.WiFi.Radio.2.Name=wlan1"}},
		{"ge", `Device.WiFi.Radio.[Channel>=6].Name`, []string{"Device.WiFi.Radio.1.Name=wlan0", "Device.WiFi.Radio.2.Name=wlan1"}},
		{"lt", `Device.WiFi.Radio.[Channel<36].Name`, []string{"Device.WiFi.Radio.1.Name=wlan0"}},
		{"le", `Device.WiFi.Radio.[Channel<=36].Name`, []string{"Device.WiFi.Radio.1.Name=wlan0", "Device.WiFi.Radio.2.Name=wlan1"}},
		{"leading zeros typed", `Device.WiFi.Radio.[Channel==036].Name`, []string{"Device.WiFi.Radio.2.Name=wlan1"}},
		{"bool 1 is true", `Device.WiFi.SSID.[Enable==1].SSID`, []string{"Device.WiFi.SSID.1.SSID=Home"}},
		{"and", `Device.WiFi.Radio.[Band=="2.4GHz"&&Channel==6].Name`, []string{"Device.WiFi.Radio.1.Name=wlan0"}},
		{"sub-object in filter", `Device.WiFi.Radio.[Stats.Noise<-80].Name`, []string{"Device.WiFi.Radio.1.Name=wlan0", "Device.WiFi.Radio.2.Name=wlan1"}},
		{"unique key", `Device.WiFi.SSID.[Name=="ssid1"].SSID`, []string{"Device.WiFi.SSID.2.SSID=Guest"}},
		{"no match is empty", `Device.WiFi.Radio.[Channel==11].Name`, nil},
		{"reference", "Device.WiFi.SSID.2.LowerLayers+.Name", []string{"Device.WiFi.Radio.2.Name=wlan1"}},
		{"reference #1", "Device.WiFi.SSID.1.LowerLayers#1+.Channel", []string{"Device.WiFi.Radio.1.Channel=6"}},
		{"reference #2 absent", "Device.WiFi.SSID.1.LowerLayers#2+.Channel", nil},
		{"reference in filter", `Device.WiFi.SSID.[LowerLayers+.Band=="5GHz"].SSID`, []string{"Device.WiFi.SSID.2.SSID=Guest"}},
		{"nested wildcard", "Device.Box.Port.*.Lane.*.Alias", []string{"Device.Box.Port.1.Lane.1.Alias=cpe-1", "Device.Box.Port.1.Lane.2.Alias=cpe-2"}},
		{"row object", "Device.Box.Port.1.Lane.2.", []string{"Device.Box.Port.1.Lane.2.Alias=cpe-2", "Device.Box.Port.1.Lane.2.Up=false"}},
		{"table object", "Device.Box.Port.1.Lane.", []string{"Device.Box.Port.1.Lane.1.Alias=cpe-1", "Device.Box.Port.1.Lane.1.Up=false", "Device.Box.Port.1.Lane.2.Alias=cpe-2", "Device.Box.Port.1.Lane.2.Up=false"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := m.Get(ctx, mustParse(t, c.path), 0, nil)
			if err != nil {
				t.Fatalf("Get %s: %v", c.path, err)
			}
			if got := flat(res); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Get %s\n got %q\nwant %q", c.path, got, c.want)
			}
		})
	}
}

func TestGetErrors(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	ctx := context.Background()
	cases := []struct {
		path string
		code uint32
	}{
		{"Device.Nope.", CodeInvalidPath},
		{"Device.Nope", CodeInvalidPath},
		{"Other.Name", CodeInvalidPath},
		{"Device.WiFi.Radio.Name", CodeInvalidPath},       // a table needs an instance
		{"Device.WiFi.Radio.9.Name", CodeObjectNotFound},  // missing row, no search
		{"Device.WiFi.Radio.*.Nope", CodeInvalidPath},     // unknown param in a search
		{"Device.WiFi.Radio.[Nope==1].", CodeInvalidPath}, // unknown param in a filter
		{"Device.WiFi.Radio.[Channel==1].Nope", CodeInvalidPath},
		{"Device.WiFi.Radio.[Band>\"x\"].", CodeInvalidPathSyntax}, // < > on strings
		{"Device.Name.", CodeInvalidPath},                          // a parameter is no object
		{"Device.1.", CodeInvalidPath},                             // Device is no table
		{"Device.WiFi.SSID.1.Enable+.Name", CodeInvalidPath},       // not a reference
		{"Device.WiFi.Radio.[Stats.Noise.X==1].", CodeInvalidPath},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			_, err := m.Get(ctx, mustParse(t, c.path), 0, nil)
			if codeOf(err) != c.code {
				t.Fatalf("Get %s: err %v (code %d), want code %d", c.path, err, codeOf(err), c.code)
			}
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *Error", err)
			}
		})
	}
	// A search over a missing row is simply empty.
	res, err := m.Get(ctx, mustParse(t, "Device.WiFi.Radio.*.Stats.Noise"), 0, nil)
	if err != nil || len(res) != 2 {
		t.Fatalf("wildcard: %v %v", res, err)
	}
}

func TestGetMaxDepth(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	ctx := context.Background()
	cases := []struct {
		depth uint32
		want  []string
	}{
		{1, []string{"Device.WiFi."}},
		{2, []string{"Device.WiFi.", "Device.WiFi.Radio.1.", "Device.WiFi.Radio.2.", "Device.WiFi.SSID.1.", "Device.WiFi.SSID.2."}},
		{0, []string{"Device.WiFi.", "Device.WiFi.Radio.1.", "Device.WiFi.Radio.1.Stats.", "Device.WiFi.Radio.2.", "Device.WiFi.Radio.2.Stats.", "Device.WiFi.SSID.1.", "Device.WiFi.SSID.2."}},
		{3, []string{"Device.WiFi.", "Device.WiFi.Radio.1.", "Device.WiFi.Radio.1.Stats.", "Device.WiFi.Radio.2.", "Device.WiFi.Radio.2.Stats.", "Device.WiFi.SSID.1.", "Device.WiFi.SSID.2."}},
	}
	for _, c := range cases {
		res, err := m.Get(ctx, mustParse(t, "Device.WiFi."), c.depth, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := objPaths(res); !reflect.DeepEqual(got, c.want) {
			t.Errorf("max_depth %d: got %q want %q", c.depth, got, c.want)
		}
	}
	// Parameters of an object come in schema order.
	res, _ := m.Get(ctx, mustParse(t, "Device.WiFi."), 1, nil)
	if got := flat(res); !reflect.DeepEqual(got, []string{"Device.WiFi.RadioNumberOfEntries=2", "Device.WiFi.SSIDNumberOfEntries=2"}) {
		t.Errorf("Device.WiFi. own params: %q", got)
	}
}

func TestGetReadFilter(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	deny := func(obj string, p *ParamDef) bool {
		return p.Name != "Channel" && !strings.HasPrefix(obj, "Device.WiFi.SSID.")
	}
	res, err := m.Get(context.Background(), mustParse(t, "Device.WiFi.Radio.1."), 1, deny)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range flat(res) {
		if strings.Contains(l, "Channel") {
			t.Fatalf("filtered parameter returned: %s", l)
		}
	}
	res, _ = m.Get(context.Background(), mustParse(t, "Device.WiFi.SSID.1."), 0, deny)
	if len(res) != 0 {
		t.Fatalf("object with no readable parameter returned: %v", res)
	}
}

func TestInstances(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	ctx := context.Background()
	got := func(p string, first bool) []string {
		t.Helper()
		in, err := m.Instances(ctx, mustParse(t, p), first, nil)
		if err != nil {
			t.Fatalf("Instances %s: %v", p, err)
		}
		var out []string
		for _, i := range in {
			out = append(out, i.Path)
		}
		return out
	}
	if g := got("Device.Box.Port.", true); !reflect.DeepEqual(g, []string{"Device.Box.Port.1."}) {
		t.Errorf("first level: %q", g)
	}
	if g := got("Device.Box.Port.", false); !reflect.DeepEqual(g, []string{"Device.Box.Port.1.", "Device.Box.Port.1.Lane.1.", "Device.Box.Port.1.Lane.2."}) {
		t.Errorf("all levels: %q", g)
	}
	if g := got("Device.Sub.", true); g != nil {
		t.Errorf("empty table: %q", g)
	}
	in, _ := m.Instances(ctx, mustParse(t, "Device.WiFi.SSID.2."), true, nil)
	if len(in) != 1 || !reflect.DeepEqual(in[0].Keys, map[string]string{"Alias": "cpe-2", "Name": "ssid1"}) {
		t.Errorf("row keys: %+v", in)
	}
	if _, err := m.Instances(ctx, mustParse(t, "Device.Box."), true, nil); codeOf(err) != CodeNotTable {
		t.Errorf("single object: %v", err)
	}
}

func TestPaths(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	ctx := context.Background()
	for _, c := range []struct {
		p    string
		want []string
	}{
		{"Device.WiFi.Radio.", []string{"Device.WiFi.Radio."}},
		{"Device.WiFi.Radio.*.", []string{"Device.WiFi.Radio.1.", "Device.WiFi.Radio.2."}},
		{"Device.Box.Port.*.Lane.", []string{"Device.Box.Port.1.Lane."}},
		{`Device.WiFi.Radio.[Channel==36].Stats.Noise`, []string{"Device.WiFi.Radio.2.Stats."}},
		{`Device.WiFi.Radio.[Channel==99].`, []string{}},
	} {
		got, err := m.Paths(ctx, mustParse(t, c.p))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Paths %s = %q %v, want %q", c.p, got, err, c.want)
		}
	}
	if _, err := m.Paths(ctx, mustParse(t, "Device.Nope.")); codeOf(err) != CodeInvalidPath {
		t.Errorf("Paths of unknown object: %v", err)
	}
}
