package tr181

import (
	"context"
	"strconv"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// Bulk data (TR-181 BulkData:1, USP flavour): profiles that collect
// parameters on a schedule and send them to a collector over HTTP(S),
// MQTT or as a Push! event to their Controller.

// BulkData's enumerations, as the node implements them.
var (
	bulkProtocols       = []string{"HTTP", "MQTT", "USPEventNotif"}
	bulkEncodings       = []string{"CSV", "JSON"}
	bulkTimestamps      = []string{"Unix-Epoch", "ISO-8601", "None"}
	bulkStatuses        = []string{"Enabled", "Disabled", "Error"}
	bulkMaxProfiles     = 32
	bulkMaxParameters   = 1024
	bulkDefaultInterval = "86400"
)

// BulkDataHooks connect Device.BulkData. to the part of the node that
// runs the profiles. A nil field keeps the schema's default: Status and
// X_USPMESH_Status read their defaults, ForceCollection() fails (7022).
type BulkDataHooks struct {
	// State gives the live value of param of row: "Device.BulkData."
	// (Status, MinReportingInterval) or a "Device.BulkData.Profile.{i}."
	// row (X_USPMESH_Status, X_USPMESH_StatusMessage). ok false keeps
	// the default.
	State func(ctx context.Context, row, param string) (v string, ok bool)
	// Force runs Profile.{i}.ForceCollection() for the profile at row
	// (with trailing dot): collect and send a report now.
	Force func(ctx context.Context, row string) error
}

// AttachBulkData installs h in s, a schema NewSchema returned: call it
// before datamodel.NewModel, once.
func AttachBulkData(s *datamodel.Schema, h BulkDataHooks) {
	bd := s.Root().Child("BulkData")
	prof := bd.Child("Profile")
	if h.State != nil {
		for _, p := range []*datamodel.ParamDef{bd.ParamByName("Status"), bd.ParamByName("MinReportingInterval"),
			prof.ParamByName("X_USPMESH_Status"), prof.ParamByName("X_USPMESH_StatusMessage")} {
			p.Provider = liveFrom(h.State, p.Name, p.Default)
		}
	}
	if h.Force != nil {
		prof.CommandByName("ForceCollection").Handler = func(ctx context.Context, row datamodel.Row, _ map[string]string) (map[string]string, error) {
			if err := h.Force(ctx, row.Path); err != nil {
				return nil, &datamodel.Error{Code: datamodel.CodeCommandFailure, Path: row.Path + "ForceCollection()", Msg: err.Error()}
			}
			return nil, nil
		}
	}
}

func liveFrom(state func(context.Context, string, string) (string, bool), param, def string) datamodel.Provider {
	return func(ctx context.Context, row datamodel.Row) (string, error) {
		if v, ok := state(ctx, row.Path, param); ok {
			return v, nil
		}
		return def, nil
	}
}

// bulkData lays out Device.BulkData.
func (b *builder) bulkData(bd *datamodel.ObjectDef) {
	bd.Param("Enable", value.Boolean).RW().Persist().Def("true")
	str(bd, "Status", 0).Enum(bulkStatuses...).Def("Enabled")
	bd.Param("MinReportingInterval", value.UnsignedInt).Def("60")
	str(bd, "Protocols", 0).List().Enum(bulkProtocols...).Def(strings.Join(bulkProtocols, ","))
	str(bd, "EncodingTypes", 0).List().Enum(bulkEncodings...).Def(strings.Join(bulkEncodings, ","))
	bd.Param("ParameterWildCardSupported", value.Boolean).Def("true")
	bd.Param("MaxNumberOfProfiles", value.Int).Def(strconv.Itoa(bulkMaxProfiles))
	bd.Param("MaxNumberOfParameterReferences", value.Int).Def(strconv.Itoa(bulkMaxParameters))

	p := table(bd.Table("Profile", []string{"Alias"}), datamodel.ObjAddDelete, true)
	p.MaxEntries = bulkMaxProfiles
	alias(p)
	p.Param("Enable", value.Boolean).RW()
	str(p, "Name", 255).RW()
	p.Param("NumberOfRetainedFailedReports", value.Int).RW().Range(-1, 2147483647)
	str(p, "Protocol", 0).RW().Enum(bulkProtocols...).Def("HTTP")
	str(p, "EncodingType", 0).RW().Enum(bulkEncodings...).Def("JSON")
	atLeast(p.Param("ReportingInterval", value.UnsignedInt).RW().Def(bulkDefaultInterval), 1)
	p.Param("TimeReference", value.DateTime).RW().Def(value.UnknownTime)
	// Controller is the Controller that created the profile: its read
	// rights filter every report.
	ctl := str(p, "Controller", 256).Ref().Persist()
	ctl.AutoValue = b.recipient
	str(p, "X_USPMESH_Status", 0).Enum(bulkStatuses...).Def("Disabled")
	str(p, "X_USPMESH_StatusMessage", 0)
	p.Command("ForceCollection", false, nodeCommand("Device.BulkData.Profile.{i}.ForceCollection()", nil))
	p.Event("Push", datamodel.Arg{Name: "Data", Type: value.String})

	par := table(p.Table("Parameter", []string{"Alias"}), datamodel.ObjAddDelete, true)
	alias(par)
	par.MaxEntries = bulkMaxParameters
	str(par, "Name", 64).RW()
	str(par, "Reference", 256).RW()
	par.Param("Exclude", value.Boolean).RW()

	csv := p.Object("CSVEncoding")
	str(csv, "FieldSeparator", 16).RW().Def(",")
	str(csv, "RowSeparator", 16).RW().Def("&#13;&#10;")
	str(csv, "EscapeCharacter", 16).RW().Def("&quot;")
	str(csv, "ReportFormat", 0).RW().Enum("ParameterPerRow", "ParameterPerColumn").Def("ParameterPerColumn")
	str(csv, "RowTimestamp", 0).RW().Enum(bulkTimestamps...).Def("Unix-Epoch")

	js := p.Object("JSONEncoding")
	str(js, "ReportFormat", 0).RW().Enum("ObjectHierarchy", "NameValuePair").Def("ObjectHierarchy")
	str(js, "ReportTimestamp", 0).RW().Enum(bulkTimestamps...).Def("Unix-Epoch")

	h := p.Object("HTTP")
	str(h, "URL", 1024).RW()
	str(h, "Username", 256).RW()
	str(h, "Password", 256).RW().Secret()
	str(h, "CompressionsSupported", 0).List().Enum("GZIP").Def("GZIP")
	str(h, "Compression", 0).RW().Enum("None", "GZIP").Def("None")
	str(h, "MethodsSupported", 0).List().Enum("POST", "PUT").Def("POST,PUT")
	str(h, "Method", 0).RW().Enum("POST", "PUT").Def("POST")
	h.Param("UseDateHeader", value.Boolean).RW().Def("true")
	h.Param("RetryEnable", value.Boolean).RW()
	h.Param("RetryMinimumWaitInterval", value.UnsignedInt).RW().Def("5").Range(1, 65535)
	h.Param("RetryIntervalMultiplier", value.UnsignedInt).RW().Def("2000").Range(1000, 65535)
	rup := table(h.Table("RequestURIParameter", []string{"Alias"}), datamodel.ObjAddDelete, true)
	alias(rup)
	str(rup, "Name", 64).RW()
	str(rup, "Reference", 256).RW()

	mq := p.Object("MQTT")
	str(mq, "Reference", 256).Ref().RW()
	str(mq, "PublishTopic", 65535).RW()
	mq.Param("PublishQoS", value.UnsignedInt).RW().Range(0, 2)
}
