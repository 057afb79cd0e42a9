package bulkdata

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel/value"
)

var sample = []Report{
	{Time: time.Unix(1364529149, 0), Items: []Item{
		{Name: "Device.WiFi.Radio.1.Channel", Value: "36", Type: value.UnsignedInt},
		{Name: "Device.WiFi.Radio.1.Enable", Value: "true", Type: value.Boolean},
		{Name: "Device.WiFi.SSID.1.SSID", Value: `home, "5G"`, Type: value.String},
	}},
	{Time: time.Unix(1364529449, 0), Items: []Item{
		{Name: "Device.WiFi.Radio.1.Channel", Value: "40", Type: value.UnsignedInt},
		{Name: "Temp", Value: "-1.5", Type: value.Decimal},
	}},
}

func TestEncoders(t *testing.T) {
	csv := func(format, ts string) CSVEncoding {
		return CSVEncoding{FieldSeparator: ",", RowSeparator: "&#13;&#10;", EscapeCharacter: "&quot;", ReportFormat: format, RowTimestamp: ts}
	}
	for _, tc := range []struct {
		name string
		p    Profile
		want string
		ct   string
		fmt  string
	}{
		{"json hierarchy", Profile{EncodingType: "JSON", JSON: JSONEncoding{ObjectHierarchy, TimeUnix}},
			`{"Report":[{"CollectionTime":1364529149,"Device":{"WiFi":{"Radio":{"1":{"Channel":36,"Enable":true}},"SSID":{"1":{"SSID":"home, \"5G\""}}}}},` +
				`{"CollectionTime":1364529449,"Device":{"WiFi":{"Radio":{"1":{"Channel":40}}}},"Temp":-1.5}]}`,
			"application/json; charset=UTF-8", ObjectHierarchy},
		{"json name-value", Profile{EncodingType: "JSON", JSON: JSONEncoding{NameValuePair, TimeISO}},
			`{"Report":[{"CollectionTime":"2013-03-29T03:52:29Z","Device.WiFi.Radio.1.Channel":36,"Device.WiFi.Radio.1.Enable":true,"Device.WiFi.SSID.1.SSID":"home, \"5G\""},` +
				`{"CollectionTime":"2013-03-29T03:57:29Z","Device.WiFi.Radio.1.Channel":40,"Temp":-1.5}]}`,
			"application/json; charset=UTF-8", NameValuePair},
		{"json no timestamp", Profile{EncodingType: "JSON", JSON: JSONEncoding{NameValuePair, TimeNone}},
			`{"Report":[{"Device.WiFi.Radio.1.Channel":36,"Device.WiFi.Radio.1.Enable":true,"Device.WiFi.SSID.1.SSID":"home, \"5G\""},` +
				`{"Device.WiFi.Radio.1.Channel":40,"Temp":-1.5}]}`,
			"application/json; charset=UTF-8", NameValuePair},
		{"csv per row", Profile{EncodingType: "CSV", CSV: csv(ParameterPerRow, TimeUnix)},
			"ReportTimestamp,ParameterName,ParameterValue,ParameterType\r\n" +
				"1364529149,Device.WiFi.Radio.1.Channel,36,unsignedInt\r\n" +
				"1364529149,Device.WiFi.Radio.1.Enable,true,boolean\r\n" +
				"1364529149,Device.WiFi.SSID.1.SSID,\"home, \"\"5G\"\"\",string\r\n" +
				"1364529449,Device.WiFi.Radio.1.Channel,40,unsignedInt\r\n" +
				"1364529449,Temp,-1.5,decimal\r\n",
			"text/csv; charset=UTF-8; header=present", ParameterPerRow},
		{"csv per column", Profile{EncodingType: "CSV", CSV: csv(ParameterPerColumn, TimeISO)},
			"ReportTimestamp,Device.WiFi.Radio.1.Channel,Device.WiFi.Radio.1.Enable,Device.WiFi.SSID.1.SSID,Temp\r\n" +
				"2013-03-29T03:52:29Z,36,true,\"home, \"\"5G\"\"\",\r\n" +
				"2013-03-29T03:57:29Z,40,,,-1.5\r\n",
			"text/csv; charset=UTF-8; header=present", ParameterPerColumn},
		{"csv semicolons no timestamp", Profile{EncodingType: "CSV", CSV: CSVEncoding{FieldSeparator: ";", RowSeparator: "&#10;",
			EscapeCharacter: "'", ReportFormat: ParameterPerRow, RowTimestamp: TimeNone}},
			"ParameterName;ParameterValue;ParameterType\n" +
				"Device.WiFi.Radio.1.Channel;36;unsignedInt\n" +
				"Device.WiFi.Radio.1.Enable;true;boolean\n" +
				"Device.WiFi.SSID.1.SSID;home, \"5G\";string\n" +
				"Device.WiFi.Radio.1.Channel;40;unsignedInt\n" +
				"Temp;-1.5;decimal\n",
			"text/csv; charset=UTF-8; header=present", ParameterPerRow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := NewEncoder(&tc.p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := enc.Append(nil, sample)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
			if enc.ContentType() != tc.ct || enc.Format() != tc.fmt {
				t.Fatalf("content type %q format %q", enc.ContentType(), enc.Format())
			}
			if tc.p.EncodingType == "JSON" && !json.Valid(got) {
				t.Fatal("not valid JSON")
			}
		})
	}
}

func TestEncoderErrors(t *testing.T) {
	for _, p := range []Profile{
		{EncodingType: "XML"},
		{EncodingType: "JSON", JSON: JSONEncoding{"Flat", TimeUnix}},
		{EncodingType: "JSON", JSON: JSONEncoding{NameValuePair, "Julian"}},
		{EncodingType: "CSV", CSV: CSVEncoding{FieldSeparator: "", RowSeparator: "\n", EscapeCharacter: `"`, ReportFormat: ParameterPerRow, RowTimestamp: TimeNone}},
		{EncodingType: "CSV", CSV: CSVEncoding{FieldSeparator: ",", RowSeparator: ",", EscapeCharacter: `"`, ReportFormat: ParameterPerRow, RowTimestamp: TimeNone}},
		{EncodingType: "CSV", CSV: CSVEncoding{FieldSeparator: "&bogus;", RowSeparator: "\n", EscapeCharacter: `"`, ReportFormat: ParameterPerRow, RowTimestamp: TimeNone}},
		{EncodingType: "CSV", CSV: CSVEncoding{FieldSeparator: ",", RowSeparator: "\n", EscapeCharacter: `"`, ReportFormat: "Wide", RowTimestamp: TimeNone}},
	} {
		if _, err := NewEncoder(&p); !errors.Is(err, ErrEncoding) {
			t.Errorf("%+v: err %v, want ErrEncoding", p, err)
		}
	}
}

// TestJSONNativeTypes: numbers and booleans bare only when their text is
// a JSON number or boolean; a label colliding with a path keeps the first.
func TestJSONNativeTypes(t *testing.T) {
	enc, _ := NewEncoder(&Profile{EncodingType: "JSON", JSON: JSONEncoding{ObjectHierarchy, TimeNone}})
	got, _ := enc.Append(nil, []Report{{Items: []Item{
		{Name: "A.B", Value: "1", Type: value.Int},
		{Name: "A.B.C", Value: "2", Type: value.Int},
		{Name: "A", Value: "x", Type: value.String},
		{Name: "N", Value: "007", Type: value.UnsignedInt},
		{Name: "D", Value: "2025-01-01T00:00:00Z", Type: value.DateTime},
		{Name: "Bad", Value: "\xff\x01", Type: value.String},
	}}})
	want := `{"Report":[{"A":{"B":1},"N":"007","D":"2025-01-01T00:00:00Z","Bad":"\ufffd\u0001"}]}`
	if string(got) != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}

func TestDecodeSeparator(t *testing.T) {
	for in, want := range map[string]string{",": ",", "&#13;&#10;": "\r\n", "&#x9;": "\t", "&quot;": `"`, "a&amp;b": "a&b", "&#124;": "|"} {
		if got, err := DecodeSeparator(in); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "&", "&#;", "&#0;", "&#xD800;", "&nbsp;", "&#99999999;"} {
		if got, err := DecodeSeparator(in); err == nil {
			t.Errorf("%q: %q, want an error", in, got)
		}
	}
}
