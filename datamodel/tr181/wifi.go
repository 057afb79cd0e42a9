package tr181

import (
	"context"
	"fmt"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// Enumerations of Device.WiFi.
var (
	// frequencyBands are the radio bands uspmesh knows.
	frequencyBands = []string{"2.4GHz", "5GHz", "6GHz"}
	// standards are the IEEE 802.11 amendments, in TR-181's spelling.
	standards = []string{"a", "b", "g", "n", "ac", "ax", "be"}
	// channelBandwidths are the values of Radio.{i}.OperatingChannelBandwidth;
	// all but "Auto" are also values of CurrentOperatingChannelBandwidth.
	channelBandwidths = []string{"20MHz", "40MHz", "80MHz", "160MHz", "80+80MHz", "320MHz-1", "320MHz-2", "Auto"}
	// securityModes are the AccessPoint.{i}.Security.ModeEnabled values
	// uspmesh supports (ModesSupported).
	securityModes = []string{"None", "WPA2-Personal", "WPA3-Personal", "WPA3-Personal-Transition"}
)

// ifStatuses are the interface Status values of Radio and SSID rows.
var ifStatuses = []string{"Up", "Down", "Unknown", "Dormant", "NotPresent", "LowerLayerDown", "Error"}

// WiFiHooks connect Device.WiFi. to the node's radios; package radio/bind
// provides them. The zero value leaves the Wi-Fi objects plain data: Radio
// rows accept any valid write, Radio.{i}.X_USPMESH_Switch() is not in the
// schema, and NeighboringWiFiDiagnostic() fails with 7022.
type WiFiHooks struct {
	// RadioChange, when set, is the commit hook of Device.WiFi.Radio.{i}.:
	// it sees every write to a Radio row together (Channel with
	// OperatingChannelBandwidth, TransmitPower, Enable ...) and may refuse
	// it.
	RadioChange datamodel.CommitHook
	// Switch, when set, adds the vendor command
	// Device.WiFi.Radio.{i}.X_USPMESH_Switch() (async) and runs it. Its
	// inputs: Channel (unsignedInt, mandatory), Bandwidth (a value of
	// OperatingChannelBandwidth, e.g. "80MHz"; omitted or "Auto" keeps the
	// current width), CSACount (unsignedInt, beacons announcing the
	// switch; omitted or 0 lets the radio choose), Term (unsignedLong,
	// mandatory: the leader term that fences the write) and TransmitPower
	// (unsignedInt 1..100, as Radio.{i}.TransmitPower; omitted keeps the
	// power). Its outputs:
	// Status ("Complete"), Channel and Bandwidth as the radio reports them
	// after the switch. A failure or refusal is the handler's error.
	Switch datamodel.CommandHandler
	// NeighboringWiFiDiagnostic, when set, runs
	// Device.WiFi.NeighboringWiFiDiagnostic(): it fills
	// Device.WiFi.NeighboringWiFiDiagnostic.Result.{i}. and returns Status
	// and the Result.{i}.* output arguments.
	NeighboringWiFiDiagnostic datamodel.CommandHandler
	// Steer, when set, adds the vendor command
	// Device.WiFi.AccessPoint.{i}.X_USPMESH_Steer() (sync: a station
	// answers within seconds) and runs it: an 802.11v BSS transition
	// request to one associated station. Its inputs: Station (MAC,
	// mandatory), TargetBSSID (MAC, mandatory), Candidates (the candidate
	// list, best first, TargetBSSID among them, items
	// "<BSSID>/<band>/<channel>" such as "02:00:00:00:01:02/5GHz/36"),
	// DisassociationTimer (beacon intervals, 0..65535; 0: no
	// disassociation announced) and Term (unsignedLong, mandatory: the
	// leader term that fences it). Its outputs: Status ("Accepted",
	// "Rejected" or "NoAnswer"), BTMStatus (the station's status code,
	// -1 without answer) and TargetBSSID (the BSS the station said it
	// moves to).
	Steer datamodel.CommandHandler
	// Deny, when set, adds Device.WiFi.AccessPoint.{i}.X_USPMESH_Deny()
	// (sync): disassociate Station (MAC, mandatory) and refuse its
	// association for Seconds (unsignedInt, 1..MaxDenySeconds), fenced
	// by Term. Output: Status ("Complete").
	Deny datamodel.CommandHandler
}

// SteerCommand and DenyCommand are the names (without "()") of the
// vendor commands on Device.WiFi.AccessPoint.{i}. that steer a station
// under a leader term; MaxDenySeconds bounds a refusal.
const (
	SteerCommand   = "X_USPMESH_Steer"
	DenyCommand    = "X_USPMESH_Deny"
	MaxDenySeconds = 300
)

// SwitchCommand is the name (without "()") of the vendor command on
// Device.WiFi.Radio.{i}. that switches a radio's channel under a leader
// term.
const SwitchCommand = "X_USPMESH_Switch"

func (b *builder) wifi(w *datamodel.ObjectDef) {
	h := b.cfg.WiFi
	r := table(w.Table("Radio", []string{"Alias"}, []string{"Name"}), datamodel.ObjReadOnly, false)
	radio(r)
	r.Hook = h.RadioChange
	if h.Switch != nil {
		switchCommand(r, h.Switch)
	}
	ssid(table(w.Table("SSID", []string{"Alias"}, []string{"Name"}, []string{"BSSID"}), datamodel.ObjAddDelete, true))
	ap := table(w.Table("AccessPoint", []string{"Alias"}, []string{"SSIDReference"}), datamodel.ObjAddDelete, true)
	accessPoint(ap)
	steerCommands(ap, h.Steer, h.Deny)
	neighboringWiFi(w, h.NeighboringWiFiDiagnostic)
}

// switchCommand declares Device.WiFi.Radio.{i}.X_USPMESH_Switch(), run by h
// (see WiFiHooks.Switch).
func switchCommand(r *datamodel.ObjectDef, h datamodel.CommandHandler) {
	cmd := r.Command(SwitchCommand, true, h)
	channel := value.Constraint{Ranges: []value.Range{{Min: "1", Max: "255"}}}
	bandwidth := value.Constraint{Enum: channelBandwidths}
	cmd.Inputs = []datamodel.Arg{
		{Name: "Channel", Type: value.UnsignedInt, Mandatory: true, Constraint: channel},
		{Name: "Bandwidth", Type: value.String, Constraint: bandwidth},
		{Name: "CSACount", Type: value.UnsignedInt, Constraint: value.Constraint{Ranges: []value.Range{{Min: "0", Max: "255"}}}},
		{Name: "Term", Type: value.UnsignedLong, Mandatory: true},
		{Name: "TransmitPower", Type: value.UnsignedInt, Constraint: value.Constraint{Ranges: []value.Range{{Min: "1", Max: "100"}}}},
	}
	cmd.Outputs = []datamodel.Arg{
		{Name: "Status", Type: value.String, Constraint: value.Constraint{Enum: []string{"Complete"}}},
		{Name: "Channel", Type: value.UnsignedInt, Constraint: channel},
		{Name: "Bandwidth", Type: value.String, Constraint: bandwidth},
	}
}

// steerCommands declares X_USPMESH_Steer() and X_USPMESH_Deny() on
// Device.WiFi.AccessPoint.{i}. for the handlers that are set (see
// WiFiHooks.Steer and WiFiHooks.Deny).
func steerCommands(ap *datamodel.ObjectDef, steer, deny datamodel.CommandHandler) {
	macArg := func(name string, mandatory bool) datamodel.Arg {
		return datamodel.Arg{Name: name, Type: value.String, Mandatory: mandatory,
			Constraint: value.Constraint{MaxLength: 17, Pattern: macPattern}}
	}
	if steer != nil {
		cmd := ap.Command(SteerCommand, false, steer)
		cmd.Inputs = []datamodel.Arg{
			macArg("Station", true),
			macArg("TargetBSSID", true),
			{Name: "Candidates", Type: value.String, Constraint: value.Constraint{List: true, MaxListLength: 16 * 18}},
			{Name: "TargetChannel", Type: value.UnsignedInt, Constraint: value.Constraint{Ranges: []value.Range{{Min: "0", Max: "255"}}}},
			{Name: "DisassociationTimer", Type: value.UnsignedInt, Constraint: value.Constraint{Ranges: []value.Range{{Min: "0", Max: "65535"}}}},
			{Name: "Term", Type: value.UnsignedLong, Mandatory: true},
		}
		cmd.Outputs = []datamodel.Arg{
			{Name: "Status", Type: value.String, Constraint: value.Constraint{Enum: []string{"Accepted", "Rejected", "NoAnswer"}}},
			{Name: "BTMStatus", Type: value.Int},
			macArg("TargetBSSID", false),
		}
	}
	if deny != nil {
		cmd := ap.Command(DenyCommand, false, deny)
		cmd.Inputs = []datamodel.Arg{
			macArg("Station", true),
			{Name: "Seconds", Type: value.UnsignedInt, Mandatory: true},
			{Name: "Term", Type: value.UnsignedLong, Mandatory: true},
		}
		cmd.Outputs = []datamodel.Arg{{Name: "Status", Type: value.String, Constraint: value.Constraint{Enum: []string{"Complete"}}}}
	}
}

// radio lays out Device.WiFi.Radio.{i}., one row per physical radio,
// created by the Agent.
func radio(r *datamodel.ObjectDef) {
	r.Param("Enable", value.Boolean).RW()
	str(r, "Status", 0).Def("Down").Enum(ifStatuses...)
	alias(r)
	str(r, "Name", 64)
	r.Param("Upstream", value.Boolean)
	r.Param("MaxBitRate", value.UnsignedInt)
	str(r, "SupportedFrequencyBands", 0).List().Enum(frequencyBands...)
	str(r, "OperatingFrequencyBand", 0).RW().Enum(frequencyBands...)
	str(r, "SupportedStandards", 0).List().Enum(standards...)
	str(r, "OperatingStandards", 0).List().RW().Enum(standards...)
	str(r, "PossibleChannels", 1024).List()
	str(r, "ChannelsInUse", 1024).List()
	// X_USPMESH_UnavailableChannels lists the channels of PossibleChannels
	// the radio cannot use now: DFS channels in their non-occupancy period
	// after radar (30 minutes). A switch onto one fails; the mesh leader
	// leaves them out of its plans until the list drops them.
	str(r, "X_USPMESH_UnavailableChannels", 1024).List()
	// The radio's wireless backhaul, when a station interface on it is
	// associated to another mesh AP: that AP's BSSID ("" when none), the
	// level the station hears it at (dBm, 0 unknown) and the PHY rate of
	// the last frames sent to it (kbit/s, 0 unknown). Such a radio
	// shares its uplink AP's channel: it follows that AP's switches and
	// cannot leave on its own, and the mesh leader plans the two as one.
	mac(r, "X_USPMESH_UplinkBSSID")
	r.Param("X_USPMESH_UplinkSignalStrength", value.Int).Range(-200, 0)
	r.Param("X_USPMESH_UplinkRate", value.UnsignedInt)
	r.Param("Channel", value.UnsignedInt).RW().Def("1").Range(1, 255)
	r.Param("AutoChannelSupported", value.Boolean)
	r.Param("AutoChannelEnable", value.Boolean).RW()
	str(r, "SupportedOperatingChannelBandwidths", 0).List().Enum(channelBandwidths...)
	str(r, "OperatingChannelBandwidth", 0).RW().Enum(channelBandwidths...).Def("Auto")
	str(r, "CurrentOperatingChannelBandwidth", 0).Enum(channelBandwidths[:len(channelBandwidths)-1]...).Def("20MHz")
	r.Param("TransmitPowerSupported", value.Int).List().Range(-1, 100).Def("-1")
	r.Param("TransmitPower", value.Int).RW().Def("-1").Range(-1, 100)
	// X_USPMESH_AutoTransmitPower is true while the mesh leader may plan
	// the radio's power. A Controller that sets TransmitPower to a
	// percentage, or this parameter to false, fixes the power (the
	// owner's power stands); TransmitPower -1 (automatic, TR-181's
	// meaning) or true gives it back. Kept across restarts, like a pin by
	// AutoChannelEnable (radio/bind's owner file).
	r.Param("X_USPMESH_AutoTransmitPower", value.Boolean).RW().Def("true")
	regulatory := str(r, "RegulatoryDomain", 3).RW()
	regulatory.Constraint.Pattern = mustPattern(`[A-Z][A-Z][ OI]`)

	st := r.Object("Stats")
	counters(st, value.UnsignedLong, "BytesSent", "BytesReceived", "PacketsSent", "PacketsReceived")
	counters(st, value.UnsignedInt, "ErrorsSent", "ErrorsReceived", "DiscardPacketsSent", "DiscardPacketsReceived", "FCSErrorCount")
	st.Param("Noise", value.Int).Range(-200, 0)
	radioAirtime(st)
}

// radioAirtime adds the vendor survey figures of Device.WiFi.Radio.{i}.Stats.
// (radio/bind computes them from the channel survey's cumulative counters:
// deltas between reads, smoothed):
//
//   - X_USPMESH_ChannelBusy: the share of time, in percent, the medium of
//     the radio's operating (primary 20 MHz) channel was busy, its own
//     traffic included; -1 when the radio reports no busy time.
//   - X_USPMESH_Airtime: the share of time, in percent, the radio spent
//     on its own traffic (transmit plus receive time) on its operating
//     channel; -1 when the radio reports no transmit or receive time.
//   - X_USPMESH_SurveyBusy: the busy share of every channel the survey
//     covers, as "<channel>:<percent>" items (e.g. "36:41,40:12"); a
//     channel is listed once the survey measured it twice.
func radioAirtime(st *datamodel.ObjectDef) {
	st.Param("X_USPMESH_ChannelBusy", value.Int).Range(-1, 100).Def("-1")
	st.Param("X_USPMESH_Airtime", value.Int).Range(-1, 100).Def("-1")
	str(st, "X_USPMESH_SurveyBusy", 16).List()
}

// ssid lays out Device.WiFi.SSID.{i}., one row per SSID (a BSS on a
// radio); Controllers may add and delete them.
func ssid(s *datamodel.ObjectDef) {
	s.Param("Enable", value.Boolean).RW()
	str(s, "Status", 0).Def("Down").Enum(ifStatuses...)
	alias(s)
	name := str(s, "Name", 64)
	name.AutoValue = func(_ context.Context, row datamodel.Row) string {
		return fmt.Sprintf("ssid%d", row.Instances[len(row.Instances)-1])
	}
	str(s, "LowerLayers", 256).List().Ref().RW()
	mac(s, "BSSID")
	mac(s, "MACAddress")
	str(s, "SSID", 32).RW()
	s.Param("Upstream", value.Boolean)

	st := s.Object("Stats")
	counters(st, value.UnsignedLong, "BytesSent", "BytesReceived", "PacketsSent", "PacketsReceived")
	counters(st, value.UnsignedInt, "ErrorsSent", "ErrorsReceived")
	counters(st, value.UnsignedLong, "UnicastPacketsSent", "UnicastPacketsReceived")
	counters(st, value.UnsignedInt, "DiscardPacketsSent", "DiscardPacketsReceived")
	counters(st, value.UnsignedLong, "MulticastPacketsSent", "MulticastPacketsReceived",
		"BroadcastPacketsSent", "BroadcastPacketsReceived")
	counters(st, value.UnsignedInt, "UnknownProtoPacketsReceived", "RetransCount", "FailedRetransCount",
		"RetryCount", "MultipleRetryCount", "ACKFailureCount", "AggregatedPacketCount")
}

// accessPoint lays out Device.WiFi.AccessPoint.{i}., the access-point
// side of an SSID, and the stations associated with it.
func accessPoint(ap *datamodel.ObjectDef) {
	ap.Param("Enable", value.Boolean).RW()
	str(ap, "Status", 0).Def("Disabled").Enum("Disabled", "Enabled", "Error_Misconfigured", "Error")
	alias(ap)
	str(ap, "SSIDReference", 256).Ref().RW()
	ap.Param("SSIDAdvertisementEnabled", value.Boolean).RW().Def("true")
	ap.Param("IsolationEnable", value.Boolean).RW()
	ap.Param("MaxAllowedAssociations", value.UnsignedInt).RW()

	sec := ap.Object("Security")
	str(sec, "ModesSupported", 0).List().Enum(securityModes...).Def(value.JoinList(securityModes))
	str(sec, "ModeEnabled", 0).RW().Enum(securityModes...).Def("WPA2-Personal")
	pass := str(sec, "KeyPassphrase", 63).RW().Secret()
	pass.Constraint.MinLength = 8
	str(sec, "SAEPassphrase", 0).RW().Secret()
	sec.Param("RekeyingInterval", value.UnsignedInt).RW().Def("3600")
	str(sec, "MFPConfig", 0).RW().Enum("Disabled", "Optional", "Required").Def("Optional")

	associatedDevice(table(ap.Table("AssociatedDevice", []string{"MACAddress"}), datamodel.ObjReadOnly, false))
}

// associatedDevice lays out AccessPoint.{i}.AssociatedDevice.{i}., one row
// per associated station, created by the Agent.
func associatedDevice(a *datamodel.ObjectDef) {
	mac(a, "MACAddress")
	str(a, "OperatingStandard", 0).Enum(standards...)
	a.Param("AuthenticationState", value.Boolean)
	atLeast(a.Param("LastDataDownlinkRate", value.UnsignedInt), 1000)
	atLeast(a.Param("LastDataUplinkRate", value.UnsignedInt), 1000)
	a.Param("AssociationTime", value.DateTime)
	a.Param("SignalStrength", value.Int).Range(-200, 0)
	a.Param("Noise", value.Int).Range(-200, 0)
	a.Param("SNR", value.Int)
	a.Param("Retransmissions", value.UnsignedInt).Range(0, 100)
	a.Param("Active", value.Boolean)
	associatedSteering(a)

	st := a.Object("Stats")
	counters(st, value.UnsignedLong, "BytesSent", "BytesReceived", "PacketsSent", "PacketsReceived")
	counters(st, value.UnsignedInt, "ErrorsSent", "RetransCount", "FailedRetransCount", "RetryCount", "MultipleRetryCount")
}

// associatedSteering adds the vendor parameters of
// AccessPoint.{i}.AssociatedDevice.{i}. that client steering reads,
// written by the node from the radio's station capabilities and the
// station's 802.11k beacon reports:
//
//   - X_USPMESH_BTM: the station supports 802.11v BSS transition.
//   - X_USPMESH_BeaconReport: it answers 802.11k beacon report requests.
//   - X_USPMESH_Bands: the bands it can use (empty: unknown).
//   - X_USPMESH_Standards: the 802.11 standards it supports.
//   - X_USPMESH_Seen: the mesh BSSs its latest beacon reports heard, as
//     "<BSSID>/<dBm>/<dateTime of the report>" items.
func associatedSteering(a *datamodel.ObjectDef) {
	a.Param("X_USPMESH_BTM", value.Boolean)
	a.Param("X_USPMESH_BeaconReport", value.Boolean)
	str(a, "X_USPMESH_Bands", 0).List().Enum(frequencyBands...)
	str(a, "X_USPMESH_Standards", 0).List().Enum(standards...)
	p := str(a, "X_USPMESH_Seen", 0).List()
	p.Constraint.MaxListLength = 64 * 48
}

// resultParam is one parameter of a neighbouring Wi-Fi scan result, laid
// out both as a parameter of Device.WiFi.NeighboringWiFiDiagnostic.Result.{i}.
// and as a "Result.{i}." output argument of the command.
type resultParam struct {
	name string
	typ  value.Type
	c    value.Constraint
}

var neighborSecurityModes = []string{"None", "WEP", "WPA", "WPA2", "WPA3", "WPA-WPA2", "WPA2-WPA3",
	"WPA-Enterprise", "WPA2-Enterprise", "WPA3-Enterprise", "WPA-WPA2-Enterprise"}

var resultParams = []resultParam{
	{name: "Radio", typ: value.String, c: value.Constraint{MaxLength: 256}},
	{name: "SSID", typ: value.String, c: value.Constraint{MaxLength: 32}},
	{name: "BSSID", typ: value.String, c: value.Constraint{MaxLength: 17, Pattern: macPattern}},
	{name: "Mode", typ: value.String, c: value.Constraint{Enum: []string{"AdHoc", "Infrastructure"}}},
	{name: "Channel", typ: value.UnsignedInt, c: value.Constraint{Ranges: []value.Range{{Min: "1", Max: "255"}}}},
	{name: "SignalStrength", typ: value.Int, c: value.Constraint{Ranges: []value.Range{{Min: "-200", Max: "0"}}}},
	{name: "SecurityModeEnabled", typ: value.String, c: value.Constraint{Enum: neighborSecurityModes}},
	{name: "EncryptionMode", typ: value.String, c: value.Constraint{List: true, Enum: []string{"TKIP", "AES"}}},
	{name: "OperatingFrequencyBand", typ: value.String, c: value.Constraint{Enum: frequencyBands}},
	{name: "SupportedStandards", typ: value.String, c: value.Constraint{List: true, Enum: standards}},
	{name: "OperatingStandards", typ: value.String, c: value.Constraint{List: true, Enum: standards}},
	{name: "OperatingChannelBandwidth", typ: value.String, c: value.Constraint{Enum: channelBandwidths}},
	{name: "BeaconPeriod", typ: value.UnsignedInt},
	{name: "Noise", typ: value.Int, c: value.Constraint{Ranges: []value.Range{{Min: "-200", Max: "0"}}}},
	{name: "BasicDataTransferRates", typ: value.String, c: value.Constraint{List: true, MaxListLength: 256}},
	{name: "SupportedDataTransferRates", typ: value.String, c: value.Constraint{List: true, MaxListLength: 256}},
	{name: "DTIMPeriod", typ: value.UnsignedInt},
	// X_USPMESH_Utilization is the BSS Load element's channel utilisation
	// in percent, -1 when the BSS does not advertise it.
	{name: "X_USPMESH_Utilization", typ: value.Int, c: value.Constraint{Ranges: []value.Range{{Min: "-1", Max: "100"}}}},
}

// neighboringWiFi declares Device.WiFi.NeighboringWiFiDiagnostic(), run by
// h (nil: a stub that fails), and the read-only table
// Device.WiFi.NeighboringWiFiDiagnostic.Result.{i}. that keeps the latest
// scan readable.
func neighboringWiFi(w *datamodel.ObjectDef, h datamodel.CommandHandler) {
	if h == nil {
		h = neighboringWiFiDiagnostic
	}
	cmd := w.Command("NeighboringWiFiDiagnostic", true, h)
	cmd.Outputs = []datamodel.Arg{{Name: "Status", Type: value.String,
		Constraint: value.Constraint{Enum: []string{"Complete", "Canceled", "Error"}}}}
	res := table(w.Object("NeighboringWiFiDiagnostic").Table("Result", []string{"BSSID"}), datamodel.ObjReadOnly, false)
	for _, rp := range resultParams {
		p := res.Param(rp.name, rp.typ)
		p.Constraint = rp.c
		if rp.name == "Radio" {
			p.Ref()
		}
		cmd.Outputs = append(cmd.Outputs, datamodel.Arg{Name: "Result.{i}." + rp.name, Type: rp.typ, Constraint: rp.c})
	}
}

// neighboringWiFiDiagnostic runs Device.WiFi.NeighboringWiFiDiagnostic()
// when no WiFiHooks.NeighboringWiFiDiagnostic is wired: it reports Status
// "Error".
func neighboringWiFiDiagnostic(context.Context, datamodel.Row, map[string]string) (map[string]string, error) {
	return map[string]string{"Status": "Error"}, &datamodel.Error{Code: datamodel.CodeCommandFailure,
		Path: "Device.WiFi.NeighboringWiFiDiagnostic()", Msg: "no radio backend: neighbouring Wi-Fi scan not available"}
}

// counters adds read-only statistics counters of type t to o; their
// changes never notify.
func counters(o *datamodel.ObjectDef, t value.Type, names ...string) {
	for _, n := range names {
		o.Param(n, t).Counter()
	}
}
