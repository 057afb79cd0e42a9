package bulkdata

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

func names(r Report) []string {
	var out []string
	for _, it := range r.Items {
		out = append(out, it.Name+"="+it.Value)
	}
	return out
}

func TestCollectLabelsExcludeAndErrors(t *testing.T) {
	m := newModel(t)
	params := []Parameter{
		{Row: "P.1.", Reference: "Device.WiFi.Radio.*.Channel"},
		{Row: "P.2.", Name: "Assoc", Reference: "Device.WiFi.AccessPoint.*.AssociatedDevice.*.SignalStrength"},
		{Row: "P.3.", Name: "SSID1", Reference: "Device.WiFi.SSID.1."},
		{Row: "P.4.", Reference: "Device.WiFi.SSID.1.", Exclude: true},
		{Row: "P.5.", Reference: "Device.NoSuch.Thing"},
		{Row: "P.6.", Reference: "Device.WiFi.Radio.1.Reboot()"},
		{Row: "P.7.", Reference: "Device.DeviceInfo.SerialNumber"},
	}
	rep, refErrs, err := Collect(context.Background(), m, allowAll{}, params, t0)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(names(rep), " ")
	for _, want := range []string{"Device.WiFi.Radio.1.Channel=", "Device.WiFi.Radio.2.Channel=", "Assoc.1.1=", "Assoc.2.3=",
		"Device.DeviceInfo.SerialNumber=SN1"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %s: %s", want, got)
		}
	}
	if strings.Contains(got, "SSID1.") {
		t.Errorf("excluded SSID.1 reported: %s", got)
	}
	if len(refErrs) != 2 {
		t.Fatalf("reference errors %v, want P.5 and P.6", refErrs)
	}
	var re *RefError
	if !errors.As(refErrs[0], &re) || re.Row != "P.5." {
		t.Fatalf("first error %v", refErrs[0])
	}
	for _, it := range rep.Items {
		if strings.HasSuffix(it.Name, "Channel") && it.Type != value.UnsignedInt {
			t.Fatalf("%s type %v", it.Name, it.Type)
		}
	}
}

// TestCollectOwnerRights: what the owner cannot read is never collected,
// and secured values read as "" for an owner without the secured right.
func TestCollectOwnerRights(t *testing.T) {
	m := newModel(t)
	params := []Parameter{{Row: "P.1.", Reference: "Device.WiFi."}, {Row: "P.2.", Reference: "Device.DeviceInfo.SerialNumber"}}
	rep, _, err := Collect(context.Background(), m, denyPrefix("Device.WiFi.Radio."), params, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Items) == 0 {
		t.Fatal("nothing collected")
	}
	for _, it := range rep.Items {
		if strings.HasPrefix(it.Path, "Device.WiFi.Radio.") {
			t.Fatalf("unreadable %s collected", it.Path)
		}
		if strings.HasSuffix(it.Path, "KeyPassphrase") && it.Value != "" {
			t.Fatalf("secured %s = %q", it.Path, it.Value)
		}
	}
	rep, _, _ = Collect(context.Background(), m, nil, params, t0)
	if len(rep.Items) != 0 {
		t.Fatalf("no owner, yet %d items", len(rep.Items))
	}
}

func TestLabel(t *testing.T) {
	for _, tc := range []struct{ ref, name, full, want string }{
		{"Device.WiFi.AccessPoint.*.AssociatedDevice.*.BytesSent", "Assoc", "Device.WiFi.AccessPoint.1.AssociatedDevice.10.BytesSent", "Assoc.1.10"},
		{"Device.WiFi.AccessPoint.1.", "AP1", "Device.WiFi.AccessPoint.1.Status", "AP1.Status"},
		{"Device.WiFi.AccessPoint.*.", "AP", "Device.WiFi.AccessPoint.2.Security.ModeEnabled", "AP.2.Security.ModeEnabled"},
		{"Device.WiFi.Radio.[Enable==true].Channel", "Ch", "Device.WiFi.Radio.2.Channel", "Ch.2"},
		{"Device.DeviceInfo.UpTime", "Up", "Device.DeviceInfo.UpTime", "Up"},
	} {
		p, err := ParseReference(tc.ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := Label(p, tc.name, tc.full); got != tc.want {
			t.Errorf("Label(%s, %s, %s) = %s, want %s", tc.ref, tc.name, tc.full, got, tc.want)
		}
	}
	if _, err := ParseReference("Device.WiFi.SSID.1.LowerLayers+.Channel"); err == nil {
		t.Fatal("reference following accepted")
	}
}

func TestNextCollection(t *testing.T) {
	h := time.Hour
	ref := time.Date(2025, 1, 1, 0, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		now, ref time.Time
		phase    time.Duration
		want     time.Time
	}{
		{t0, ref, 0, ref},
		{ref, ref, 0, ref.Add(h)},
		{ref.Add(-3 * h), ref, 0, ref.Add(-2 * h)},
		{ref.Add(5*h + time.Second), ref, 0, ref.Add(6 * h)},
		{t0, time.Time{}, 17 * time.Minute, t0.Add(17 * time.Minute)},
		{t0.Add(17 * time.Minute), time.Time{}, 17 * time.Minute, t0.Add(h + 17*time.Minute)},
	} {
		if got := NextCollection(tc.now, tc.ref, h, tc.phase); !got.Equal(tc.want) {
			t.Errorf("NextCollection(%v, %v, 1h, %v) = %v, want %v", tc.now, tc.ref, tc.phase, got, tc.want)
		}
	}
}

// TestPhaseSpreads: a thousand homes with the same hourly profile and no
// TimeReference collect at many different seconds of the hour.
func TestPhaseSpreads(t *testing.T) {
	seconds := map[time.Duration]int{}
	for i := range 1000 {
		seconds[Phase("os::00D09E-"+strings.Repeat("x", i%7)+string(rune('A'+i%26))+strconv.Itoa(i), "Device.BulkData.Profile.1.", time.Hour)]++
	}
	worst := 0
	for _, n := range seconds {
		worst = max(worst, n)
	}
	if len(seconds) < 800 || worst > 4 {
		t.Fatalf("1000 homes on %d distinct seconds, at most %d in one", len(seconds), worst)
	}
	if Phase("a", "b", time.Hour) != Phase("a", "b", time.Hour) {
		t.Fatal("phase not stable")
	}
}

func TestRetainedBounds(t *testing.T) {
	rep := func(n int) Report {
		return Report{Time: t0.Add(time.Duration(n) * time.Minute), Items: []Item{{Name: "x", Value: "1"}}}
	}
	var q retained
	for i := range 5 {
		q.add(rep(i), 3, 1<<20)
	}
	if len(q.reports) != 3 || !q.reports[0].Time.Equal(rep(2).Time) || q.dropped != 2 {
		t.Fatalf("kept %d from %v, dropped %d", len(q.reports), q.reports[0].Time, q.dropped)
	}
	q.add(rep(9), 0, 1<<20)
	if len(q.reports) != 3 {
		t.Fatal("limit 0 changed what was kept")
	}
	q.clear()
	r0 := rep(0)
	size := r0.size()
	for i := range 10 {
		q.add(rep(i), -1, 4*size)
	}
	if len(q.reports) != 4 || q.bytes != 4*size {
		t.Fatalf("byte cap: kept %d (%d bytes)", len(q.reports), q.bytes)
	}
	q.trim(1, 4*size)
	if len(q.reports) != 1 || !q.reports[0].Time.Equal(rep(9).Time) {
		t.Fatalf("trim kept %d", len(q.reports))
	}
}

var _ datamodel.ReadFilter = allowAll{}.ReadParam
