package bulkdata

import (
	"fmt"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel/value"
)

// thousand is a report of 1,000 parameters shaped like a home's: 50
// stations of 20 parameters each, mixed types.
func thousand() []Report {
	r := Report{Time: time.Unix(1735689600, 0)}
	types := []value.Type{value.UnsignedInt, value.Int, value.Boolean, value.String, value.UnsignedLong}
	vals := []string{"36", "-61", "true", "aa:bb:cc:dd:ee:ff", "123456789012"}
	for s := 1; s <= 50; s++ {
		for p := range 20 {
			r.Items = append(r.Items, Item{Name: fmt.Sprintf("Device.WiFi.AccessPoint.1.AssociatedDevice.%d.P%d", s, p),
				Value: vals[p%5], Type: types[p%5]})
		}
	}
	return []Report{r}
}

func BenchmarkEncode1000(b *testing.B) {
	reports := thousand()
	csv := func(f string) Profile {
		return Profile{EncodingType: "CSV", CSV: CSVEncoding{FieldSeparator: ",", RowSeparator: "&#13;&#10;", EscapeCharacter: "&quot;", ReportFormat: f, RowTimestamp: TimeUnix}}
	}
	for _, tc := range []struct {
		name string
		p    Profile
	}{
		{"JSON-ObjectHierarchy", Profile{EncodingType: "JSON", JSON: JSONEncoding{ObjectHierarchy, TimeUnix}}},
		{"JSON-NameValuePair", Profile{EncodingType: "JSON", JSON: JSONEncoding{NameValuePair, TimeUnix}}},
		{"CSV-ParameterPerRow", csv(ParameterPerRow)},
		{"CSV-ParameterPerColumn", csv(ParameterPerColumn)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			enc, err := NewEncoder(&tc.p)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var n int
			for b.Loop() {
				out, _ := enc.Append(nil, reports)
				n = len(out)
			}
			b.ReportMetric(float64(n), "bytes/report")
		})
	}
}

// BenchmarkCollect1000 is the collection of a 1,000-parameter report
// through the model (wildcards over 50 stations of 2 APs).
func BenchmarkCollect1000(b *testing.B) {
	m := newModelSized(b, 25)
	params := []Parameter{{Row: "P.1.", Reference: "Device.WiFi.AccessPoint.*.AssociatedDevice.*."}}
	rep, _, err := Collect(b.Context(), m, allowAll{}, params, t0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(rep.Items)), "params")
	b.ReportAllocs()
	for b.Loop() {
		_, _, _ = Collect(b.Context(), m, allowAll{}, params, t0)
	}
}
