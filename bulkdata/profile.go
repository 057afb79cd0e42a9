package bulkdata

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// Paths this package reads.
const (
	bulkDataPath = "Device.BulkData."
	profileTable = "Device.BulkData.Profile."
)

// Protocols a profile may name.
const (
	ProtoHTTP     = "HTTP"
	ProtoMQTT     = "MQTT"
	ProtoUSPEvent = "USPEventNotif"
)

// Profile is one Device.BulkData.Profile.{i} row, parsed.
type Profile struct {
	// Row is the row's path, e.g. "Device.BulkData.Profile.1.".
	Row    string
	Enable bool
	Name   string
	// Controller is the owner's Device.LocalAgent.Controller.{i} row
	// (no trailing dot); "" when no Controller created the profile.
	Controller   string
	Protocol     string
	EncodingType string
	Interval     time.Duration
	// TimeReference anchors the collection times; zero when unknown.
	TimeReference time.Time
	// Retain is NumberOfRetainedFailedReports: -1 as many as the caps
	// allow, 0 none.
	Retain     int
	Parameters []Parameter
	CSV        CSVEncoding
	JSON       JSONEncoding
	HTTP       HTTP
	MQTT       MQTT
}

// Parameter is one Profile.{i}.Parameter.{i} row.
type Parameter struct {
	// Row is the row's path, for status messages.
	Row       string
	Name      string
	Reference string
	Exclude   bool
}

// CSVEncoding is Profile.{i}.CSVEncoding. as written: the separators
// may be XML character references ("&#13;&#10;").
type CSVEncoding struct {
	FieldSeparator, RowSeparator, EscapeCharacter string
	// ReportFormat is ParameterPerRow or ParameterPerColumn.
	ReportFormat string
	// RowTimestamp is Unix-Epoch, ISO-8601 or None.
	RowTimestamp string
}

// JSONEncoding is Profile.{i}.JSONEncoding.
type JSONEncoding struct {
	// ReportFormat is ObjectHierarchy or NameValuePair.
	ReportFormat string
	// ReportTimestamp is Unix-Epoch, ISO-8601 or None.
	ReportTimestamp string
}

// HTTP is Profile.{i}.HTTP.
type HTTP struct {
	URL, Username, Password string
	// Method is POST or PUT; Compression None or GZIP.
	Method, Compression string
	UseDateHeader       bool
	RetryEnable         bool
	RetryMinimumWait    time.Duration
	// RetryIntervalMultiplier is per mille (2000 doubles each wait).
	RetryIntervalMultiplier int
	URIParameters           []URIParameter
}

// URIParameter is one HTTP.RequestURIParameter.{i} row.
type URIParameter struct {
	Name, Reference string
}

// MQTT is Profile.{i}.MQTT.
type MQTT struct {
	// Reference is the Device.MQTT.Client.{i} row to publish through.
	Reference    string
	PublishTopic string
	PublishQoS   int
}

// ReadProfiles reads Device.BulkData.: whether bulk data is enabled and
// every profile row, in instance order. It reads as the Agent itself
// (no access filter): the profiles' owners filter only their reports.
func ReadProfiles(ctx context.Context, m *datamodel.Model) (enabled bool, profiles []Profile, err error) {
	p, err := path.Parse(bulkDataPath)
	if err != nil {
		return false, nil, err
	}
	res, err := m.Get(ctx, p, 0, nil)
	if err != nil {
		return false, nil, fmt.Errorf("bulkdata: read %s: %w", bulkDataPath, err)
	}
	rows := map[string]*Profile{}
	var order []string
	for _, ov := range res {
		v := values(ov)
		if ov.Path == bulkDataPath {
			enabled = v["Enable"] == "true"
			continue
		}
		row, rest, ok := profileRow(ov.Path)
		if !ok {
			continue
		}
		pr := rows[row]
		if pr == nil {
			pr = &Profile{Row: row}
			rows[row] = pr
			order = append(order, row)
		}
		pr.set(ov.Path, rest, v)
	}
	for _, row := range order {
		pr := rows[row]
		sortRows(pr)
		profiles = append(profiles, *pr)
	}
	return enabled, profiles, nil
}

// profileRow splits "Device.BulkData.Profile.3.HTTP." into the profile
// row "Device.BulkData.Profile.3." and the rest "HTTP.".
func profileRow(objPath string) (row, rest string, ok bool) {
	tail, ok := strings.CutPrefix(objPath, profileTable)
	if !ok {
		return "", "", false
	}
	inst, rest, ok := strings.Cut(tail, ".")
	if !ok || inst == "" {
		return "", "", false
	}
	return profileTable + inst + ".", rest, true
}

func values(ov datamodel.ObjectValues) map[string]string {
	v := make(map[string]string, len(ov.Params))
	for _, pv := range ov.Params {
		v[pv.Name] = pv.Value
	}
	return v
}

// set fills the part of pr that the object at objPath (rest: its path
// below the profile row) holds.
func (pr *Profile) set(objPath, rest string, v map[string]string) {
	switch {
	case rest == "":
		pr.Enable = v["Enable"] == "true"
		pr.Name = v["Name"]
		pr.Controller = strings.TrimSuffix(v["Controller"], ".")
		pr.Protocol = v["Protocol"]
		pr.EncodingType = v["EncodingType"]
		pr.Interval = time.Duration(atoi(v["ReportingInterval"])) * time.Second
		pr.Retain = atoi(v["NumberOfRetainedFailedReports"])
		if tr := v["TimeReference"]; tr != value.UnknownTime {
			if t, err := time.Parse(time.RFC3339, tr); err == nil {
				pr.TimeReference = t
			}
		}
	case strings.HasPrefix(rest, "Parameter."):
		pr.Parameters = append(pr.Parameters, Parameter{Row: objPath, Name: v["Name"], Reference: v["Reference"], Exclude: v["Exclude"] == "true"})
	case rest == "CSVEncoding.":
		pr.CSV = CSVEncoding{FieldSeparator: v["FieldSeparator"], RowSeparator: v["RowSeparator"],
			EscapeCharacter: v["EscapeCharacter"], ReportFormat: v["ReportFormat"], RowTimestamp: v["RowTimestamp"]}
	case rest == "JSONEncoding.":
		pr.JSON = JSONEncoding{ReportFormat: v["ReportFormat"], ReportTimestamp: v["ReportTimestamp"]}
	case rest == "HTTP.":
		pr.HTTP = HTTP{URL: v["URL"], Username: v["Username"], Password: v["Password"], Method: v["Method"],
			Compression: v["Compression"], UseDateHeader: v["UseDateHeader"] == "true", RetryEnable: v["RetryEnable"] == "true",
			RetryMinimumWait:        time.Duration(atoi(v["RetryMinimumWaitInterval"])) * time.Second,
			RetryIntervalMultiplier: atoi(v["RetryIntervalMultiplier"]), URIParameters: pr.HTTP.URIParameters}
	case strings.HasPrefix(rest, "HTTP.RequestURIParameter."):
		pr.HTTP.URIParameters = append(pr.HTTP.URIParameters, URIParameter{Name: v["Name"], Reference: v["Reference"]})
	case rest == "MQTT.":
		pr.MQTT = MQTT{Reference: strings.TrimSuffix(v["Reference"], "."), PublishTopic: v["PublishTopic"], PublishQoS: atoi(v["PublishQoS"])}
	}
}

// sortRows puts the Parameter rows in instance order (the model gives
// them so already; this keeps the order independent of that).
func sortRows(pr *Profile) {
	sort.SliceStable(pr.Parameters, func(i, j int) bool { return rowInst(pr.Parameters[i].Row) < rowInst(pr.Parameters[j].Row) })
}

// rowInst is the last instance number of a row path ("...Parameter.12." → 12).
func rowInst(row string) int {
	s := strings.TrimSuffix(row, ".")
	return atoi(s[strings.LastIndexByte(s, '.')+1:])
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}
