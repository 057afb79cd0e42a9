// Package tr181 builds the TR-181 Device:2 data model (version 2.19, USP
// flavour) of one uspmesh node: Device. with its Reboot(), FactoryReset()
// and ScheduleTimer() commands and Boot! event, DeviceInfo, Time,
// LocalAgent (MTPs, Controllers, Subscriptions, Requests, ControllerTrust),
// WiFi (radios, SSIDs, access points and their associated stations, and the
// neighbouring Wi-Fi scan), and the vendor object Device.X_USPMESH_Mesh. that
// reports the node's view of its cluster.
//
// Data enters as a Config: the node's identity, an injected clock, and the
// functions behind the commands that act on the node. NewSchema returns a
// *datamodel.Schema from which datamodel.NewModel builds the live tree.
// Identity values are the defaults of read-only parameters; UpTime and
// CurrentLocalTime are live values read from the clock. Rows the Agent owns
// (radios, stations, mesh nodes) are written later by the node with
// internal writes; Populate writes a synthetic estate for benchmarks, tests
// and the simulator. The package keeps no state beyond the Config its
// schema closes over, and logs nothing.
package tr181

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// RootDataModelVersion is the TR-181 version this model implements, the
// value of Device.RootDataModelVersion.
const RootDataModelVersion = "2.19"

// Config is the identity of a node and the hooks its data model calls. The
// zero value is a node with empty identity, the system clock, UpTime counted
// from NewSchema, and commands that fail with a clear error. A Config is not
// changed after NewSchema.
type Config struct {
	// Manufacturer, ManufacturerOUI (six upper-case hex digits),
	// ModelName, ModelNumber, Description, ProductClass, SerialNumber,
	// HardwareVersion and SoftwareVersion are the Device.DeviceInfo.
	// identity; ModelName is also the default FriendlyName.
	Manufacturer    string
	ManufacturerOUI string
	ModelName       string
	ModelNumber     string
	Description     string
	ProductClass    string
	SerialNumber    string
	HardwareVersion string
	SoftwareVersion string

	// EndpointID is the Agent's USP Endpoint ID,
	// Device.LocalAgent.EndpointID.
	EndpointID string

	// Now is the clock for UpTime, CurrentLocalTime, Subscription
	// CreationDate and generated Subscription IDs. Nil means time.Now.
	Now func() time.Time
	// Boot is the time UpTime counts from. Zero means the time NewSchema
	// was called.
	Boot time.Time
	// After returns a channel that receives once d has passed; it times
	// ScheduleTimer(). Nil means a real timer.
	After func(d time.Duration) <-chan time.Time

	// Recipient returns the path, without trailing dot, of the
	// Device.LocalAgent.Controller.{i} row of the Controller whose
	// request ctx carries; it is the value of a new Subscription's
	// Recipient. Nil means "".
	Recipient func(ctx context.Context) string

	// Reboot and FactoryReset run Device.Reboot() and
	// Device.FactoryReset(); they should schedule the action and return.
	// Nil makes the command fail with "not supported" (7022).
	Reboot, FactoryReset func(ctx context.Context) error
	// SendOnBoardRequest runs
	// Device.LocalAgent.Controller.{i}.SendOnBoardRequest() for the
	// Controller row at controller (path without trailing dot). Nil makes
	// the command fail (7022) until the USP layer provides it.
	SendOnBoardRequest func(ctx context.Context, controller string) error

	// MTPState, when set, gives the live state of the MTP rows:
	// param (Status, ResponseTopicDiscovered, ResponseInformation, the
	// Stats counters, IsEncrypted, CurrentRetryCount) of the row at row
	// (a Device.MQTT.Client.{i}., Device.LocalAgent.MTP.{i}. or
	// Controller.{i}.MTP.{i}.WebSocket. path, trailing dot). ok false
	// keeps the parameter's default.
	MTPState func(ctx context.Context, row, param string) (v string, ok bool)

	// WiFi connects Device.WiFi. to the node's radios. The zero value
	// keeps the Wi-Fi objects plain data (see WiFiHooks).
	WiFi WiFiHooks
}

// builder holds the Config while NewSchema lays out the objects; its
// methods are split by subtree over this package's files.
type builder struct {
	cfg Config
}

// NewSchema returns the supported data model of a node described by cfg.
// Each call returns a new Schema.
func NewSchema(cfg Config) *datamodel.Schema {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Boot.IsZero() {
		cfg.Boot = cfg.Now()
	}
	b := &builder{cfg: cfg}
	s := datamodel.NewSchema("Device")
	root := s.Root()
	b.device(root)
	b.deviceInfo(root.Object("DeviceInfo"))
	b.time(root.Object("Time"))
	b.localAgent(root.Object("LocalAgent"))
	b.wifi(root.Object("WiFi"))
	b.mqtt(root.Object("MQTT"))
	b.bulkData(root.Object("BulkData"))
	b.softwareModules(root.Object("SoftwareModules"))
	mesh(root.Object("X_USPMESH_Mesh"))
	return s
}

// bootCauses are the values of Boot!'s Cause argument.
var bootCauses = []string{"LocalReboot", "RemoteReboot", "LocalFactoryReset", "RemoteFactoryReset"}

func (b *builder) device(d *datamodel.ObjectDef) {
	str(d, "RootDataModelVersion", 32).Def(RootDataModelVersion)

	reboot := d.Command("Reboot", false, nodeCommand("Device.Reboot()", b.cfg.Reboot))
	reboot.Inputs = []datamodel.Arg{
		{Name: "Cause", Type: value.String, Default: "RemoteReboot",
			Constraint: value.Constraint{Enum: []string{"LocalReboot", "RemoteReboot"}}},
		{Name: "Reason", Type: value.String, Default: "Unknown"},
	}
	reset := d.Command("FactoryReset", false, nodeCommand("Device.FactoryReset()", b.cfg.FactoryReset))
	reset.Inputs = []datamodel.Arg{
		{Name: "Cause", Type: value.String, Default: "RemoteFactoryReset",
			Constraint: value.Constraint{Enum: []string{"LocalFactoryReset", "RemoteFactoryReset"}}},
		{Name: "Reason", Type: value.String, Default: "Unknown"},
	}
	timer := d.Command("ScheduleTimer", true, b.scheduleTimer)
	timer.Inputs = []datamodel.Arg{{Name: "DelaySeconds", Type: value.UnsignedInt, Mandatory: true, Constraint: delayConstraint}}

	d.Event("Boot",
		datamodel.Arg{Name: "CommandKey", Type: value.String},
		datamodel.Arg{Name: "Cause", Type: value.String, Constraint: value.Constraint{Enum: bootCauses}},
		datamodel.Arg{Name: "Reason", Type: value.String},
		datamodel.Arg{Name: "FirmwareUpdated", Type: value.Boolean},
		datamodel.Arg{Name: "ParameterMap", Type: value.String},
	)
}

// delayConstraint is ScheduleTimer()'s DelaySeconds: unsignedInt(1:).
var delayConstraint = value.Constraint{Ranges: []value.Range{{Min: "1"}}}

// nodeCommand returns the handler of a synchronous command that fn
// carries out (its input arguments, Cause and Reason, are not passed on);
// a nil fn fails with 7022.
func nodeCommand(name string, fn func(context.Context) error) datamodel.CommandHandler {
	return func(ctx context.Context, _ datamodel.Row, _ map[string]string) (map[string]string, error) {
		if fn == nil {
			return nil, &datamodel.Error{Code: datamodel.CodeCommandFailure, Path: name, Msg: "not supported by this node"}
		}
		if err := fn(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, nil
	}
}

// scheduleTimer runs Device.ScheduleTimer(): it waits DelaySeconds, or
// until ctx is cancelled (Request.{i}.Cancel()), and has no outputs.
func (b *builder) scheduleTimer(ctx context.Context, _ datamodel.Row, in map[string]string) (map[string]string, error) {
	const name = "Device.ScheduleTimer()"
	arg, ok := in["DelaySeconds"]
	if !ok {
		return nil, &datamodel.Error{Code: datamodel.CodeInvalidCmdArgs, Path: name, Msg: "DelaySeconds is mandatory"}
	}
	canon, err := value.Validate(value.UnsignedInt, &delayConstraint, arg)
	if err != nil {
		return nil, &datamodel.Error{Code: datamodel.CodeInvalidCmdArgs, Path: name, Msg: "DelaySeconds: " + err.Error()}
	}
	secs, _ := strconv.ParseUint(canon, 10, 32) // validated above
	d := time.Duration(secs) * time.Second
	var fire <-chan time.Time
	if b.cfg.After != nil {
		fire = b.cfg.After(d)
	} else {
		t := time.NewTimer(d)
		defer t.Stop()
		fire = t.C
	}
	select {
	case <-fire:
		return nil, nil
	case <-ctx.Done():
		// Report ctx.Err() (context.Canceled after Cancel()) and, when
		// the canceller gave one, its cause too.
		if err, cause := ctx.Err(), context.Cause(ctx); cause != err {
			return nil, fmt.Errorf("%s: %w: %w", name, err, cause)
		}
		return nil, fmt.Errorf("%s: %w", name, ctx.Err())
	}
}

func (b *builder) deviceInfo(di *datamodel.ObjectDef) {
	c := b.cfg
	str(di, "Manufacturer", 64).Def(c.Manufacturer)
	oui := str(di, "ManufacturerOUI", 6).Def(c.ManufacturerOUI)
	oui.Constraint.MinLength = 6
	oui.Constraint.Pattern = ouiPattern
	str(di, "ModelName", 64).Def(c.ModelName)
	str(di, "ModelNumber", 64).Def(c.ModelNumber)
	str(di, "Description", 256).Def(c.Description)
	str(di, "ProductClass", 64).Def(c.ProductClass)
	str(di, "SerialNumber", 64).Def(c.SerialNumber)
	str(di, "HardwareVersion", 64).Def(c.HardwareVersion)
	str(di, "SoftwareVersion", 64).Def(c.SoftwareVersion)
	di.Param("UpTime", value.UnsignedInt).Live(b.uptime).Counter()
	// FirstUseDate is written once by the node (internal write) and kept.
	di.Param("FirstUseDate", value.DateTime).Persist()
	str(di, "ProvisioningCode", 64).RW().Persist()
	str(di, "HostName", 0).RW().Persist()
	str(di, "FriendlyName", 32).RW().Persist().Def(truncate(c.ModelName, 32))
}

func (b *builder) time(t *datamodel.ObjectDef) {
	t.Param("Enable", value.Boolean).RW().Persist().Def("true")
	str(t, "Status", 0).Def("Unsynchronized").
		Enum("Disabled", "Unsynchronized", "Synchronized", "Error_FailedToSynchronize", "Error")
	t.Param("CurrentLocalTime", value.DateTime).Live(b.currentTime).Counter()
	str(t, "LocalTimeZone", 256).RW().Persist()
}

// uptime is the live value of the UpTime parameters: whole seconds since
// Config.Boot, 0 before it, capped at the unsignedInt maximum.
func (b *builder) uptime(context.Context, datamodel.Row) (string, error) {
	d := b.cfg.Now().Sub(b.cfg.Boot)
	if d < 0 {
		d = 0
	}
	secs := uint64(d / time.Second)
	if secs > math.MaxUint32 {
		secs = math.MaxUint32
	}
	return strconv.FormatUint(secs, 10), nil
}

// currentTime is the live value of Time.CurrentLocalTime. It is given in
// UTC, the canonical form of a dateTime with a zone.
func (b *builder) currentTime(context.Context, datamodel.Row) (string, error) {
	return dateTime(b.cfg.Now()), nil
}

// dateTime formats t as a canonical TR-181 dateTime, in UTC, to the second.
func dateTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}

// Parameter helpers shared by the subtrees.

// str adds a read-only string parameter of at most max characters
// (0 = unbounded; for a list, the bound applies to each item).
func str(o *datamodel.ObjectDef, name string, max int) *datamodel.ParamDef {
	p := o.Param(name, value.String)
	if max > 0 {
		p.MaxLen(max)
	}
	return p
}

// alias adds the Alias parameter of a table row: writeOnceReadOnly,
// string(64). The engine applies TR-181's Alias rules to it (a unique key
// starting with a letter, "cpe-<instance>" when not given).
func alias(o *datamodel.ObjectDef) *datamodel.ParamDef { return str(o, "Alias", 64).Once() }

// mac adds a read-only MACAddress parameter: "" or six colon-separated
// pairs of hex digits.
func mac(o *datamodel.ObjectDef, name string) *datamodel.ParamDef {
	p := str(o, name, 17)
	p.Constraint.Pattern = macPattern
	return p
}

// atLeast restricts p (a number) to min and above.
func atLeast(p *datamodel.ParamDef, min int64) *datamodel.ParamDef {
	p.Constraint.Ranges = append(p.Constraint.Ranges, value.Range{Min: strconv.FormatInt(min, 10)})
	return p
}

// table configures a table's access and persistence and returns it.
func table(t *datamodel.ObjectDef, access datamodel.ObjAccess, persistent bool) *datamodel.ObjectDef {
	t.Access, t.Persistent = access, persistent
	return t
}

var (
	macPattern = mustPattern(`(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}`, ``)
	ouiPattern = mustPattern(`[0-9A-F]{6}`)
)

func mustPattern(p ...string) *regexp.Regexp {
	re, err := value.CompilePattern(p...)
	if err != nil {
		panic(err)
	}
	return re
}

// truncate returns s cut to at most n characters.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
