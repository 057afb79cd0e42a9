package tr181

import (
	"context"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// Software module management (TR-181 SoftwareModules:1, USP flavour):
// deployment units (DUs) a Controller installs by URL, the execution
// units (EUs) they hold, and the execution environments (ExecEnv) that
// run them. The rows are the Agent's: the node writes them from its
// application runtime (package swmod) and answers the commands through
// SoftwareModulesHooks.

// The enumerations of Device.SoftwareModules.
var (
	duStatuses   = []string{"Installing", "Installed", "Updating", "Uninstalling", "Uninstalled"}
	euStatuses   = []string{"Idle", "Starting", "Active", "Stopping"}
	euRequested  = []string{"Idle", "Active"}
	euFaultCodes = []string{"NoFault", "FailureOnStart", "FailureOnAutoStart", "FailureOnStop",
		"FailureWhileActive", "DependencyFailure", "UnStartable"}
	envStatuses  = []string{"Up", "Error", "Disabled"}
	duOperations = []string{"Install", "Update", "Uninstall"}
)

// SoftwareModulesHooks connect Device.SoftwareModules. to the node's
// application runtime. A nil field makes its command fail with 7022.
// Errors that are a *datamodel.Error keep their code; others are 7022.
type SoftwareModulesHooks struct {
	// Install runs InstallDU() with its input arguments (URL, UUID,
	// Username, Password, ExecutionEnvRef); it returns when the DU is
	// installed or has failed.
	Install func(ctx context.Context, in map[string]string) error
	// Update runs DeploymentUnit.{i}.Update() on the row at row
	// (trailing dot) with its inputs (URL, Username, Password).
	Update func(ctx context.Context, row string, in map[string]string) error
	// Uninstall runs DeploymentUnit.{i}.Uninstall() on the row at row.
	Uninstall func(ctx context.Context, row string) error
	// SetRequestedState runs ExecutionUnit.{i}.SetRequestedState() on
	// the row at row with "Idle" or "Active".
	SetRequestedState func(ctx context.Context, row, state string) error
}

// AttachSoftwareModules installs h in s, a schema NewSchema returned:
// call it before datamodel.NewModel, once.
func AttachSoftwareModules(s *datamodel.Schema, h SoftwareModulesHooks) {
	sm := s.Root().Child("SoftwareModules")
	const base = "Device.SoftwareModules."
	if h.Install != nil {
		sm.CommandByName("InstallDU").Handler = func(ctx context.Context, _ datamodel.Row, in map[string]string) (map[string]string, error) {
			return nil, commandError(base+"InstallDU()", h.Install(ctx, in))
		}
	}
	du := sm.Child("DeploymentUnit")
	if h.Update != nil {
		du.CommandByName("Update").Handler = func(ctx context.Context, row datamodel.Row, in map[string]string) (map[string]string, error) {
			return nil, commandError(row.Path+"Update()", h.Update(ctx, row.Path, in))
		}
	}
	if h.Uninstall != nil {
		du.CommandByName("Uninstall").Handler = func(ctx context.Context, row datamodel.Row, _ map[string]string) (map[string]string, error) {
			return nil, commandError(row.Path+"Uninstall()", h.Uninstall(ctx, row.Path))
		}
	}
	if h.SetRequestedState != nil {
		sm.Child("ExecutionUnit").CommandByName("SetRequestedState").Handler = func(ctx context.Context, row datamodel.Row, in map[string]string) (map[string]string, error) {
			return nil, commandError(row.Path+"SetRequestedState()", h.SetRequestedState(ctx, row.Path, in["RequestedState"]))
		}
	}
}

// commandError gives err a USP code: its own when it has one, else 7022.
func commandError(name string, err error) error {
	if err == nil {
		return nil
	}
	if de, ok := err.(*datamodel.Error); ok {
		return de
	}
	return &datamodel.Error{Code: datamodel.CodeCommandFailure, Path: name, Msg: err.Error()}
}

// softwareModules lays out Device.SoftwareModules.
func (b *builder) softwareModules(sm *datamodel.ObjectDef) {
	unsupported := func(name string) datamodel.CommandHandler {
		return func(context.Context, datamodel.Row, map[string]string) (map[string]string, error) {
			return nil, &datamodel.Error{Code: datamodel.CodeCommandFailure, Path: name, Msg: "not supported by this node"}
		}
	}
	install := sm.Command("InstallDU", true, unsupported("Device.SoftwareModules.InstallDU()"))
	install.Inputs = []datamodel.Arg{
		{Name: "URL", Type: value.String, Mandatory: true, Constraint: value.Constraint{MaxLength: 1024}},
		{Name: "UUID", Type: value.String, Constraint: value.Constraint{MaxLength: 36}},
		{Name: "Username", Type: value.String, Constraint: value.Constraint{MaxLength: 256}},
		{Name: "Password", Type: value.String, Constraint: value.Constraint{MaxLength: 256}},
		{Name: "ExecutionEnvRef", Type: value.String, Constraint: value.Constraint{MaxLength: 256}},
	}
	sm.Event("DUStateChange",
		datamodel.Arg{Name: "UUID", Type: value.String},
		datamodel.Arg{Name: "DeploymentUnitRef", Type: value.String},
		datamodel.Arg{Name: "Version", Type: value.String},
		datamodel.Arg{Name: "CurrentState", Type: value.String, Constraint: value.Constraint{Enum: []string{"Installed", "Uninstalled", "Failed"}}},
		datamodel.Arg{Name: "Resolved", Type: value.Boolean},
		datamodel.Arg{Name: "ExecutionUnitRefList", Type: value.String},
		datamodel.Arg{Name: "StartTime", Type: value.DateTime},
		datamodel.Arg{Name: "CompleteTime", Type: value.DateTime},
		datamodel.Arg{Name: "OperationPerformed", Type: value.String, Constraint: value.Constraint{Enum: duOperations}},
		datamodel.Arg{Name: "FaultCode", Type: value.UnsignedInt},
		datamodel.Arg{Name: "FaultString", Type: value.String},
	)

	env := table(sm.Table("ExecEnv", []string{"Name"}), datamodel.ObjReadOnly, false)
	env.Param("Enable", value.Boolean).Def("true")
	str(env, "Status", 0).Enum(envStatuses...).Def("Up")
	str(env, "Name", 32)
	str(env, "Type", 64)
	str(env, "Vendor", 128)
	str(env, "Version", 32)
	for _, n := range []string{"AvailableDiskSpace", "AvailableMemory", "AllocatedDiskSpace", "AllocatedMemory"} {
		env.Param(n, value.Int).Def("-1")
	}
	str(env, "ActiveExecutionUnits", 0).List().Ref()

	du := table(sm.Table("DeploymentUnit", []string{"DUID"}), datamodel.ObjReadOnly, false)
	str(du, "UUID", 36)
	str(du, "DUID", 64)
	str(du, "Name", 64)
	str(du, "Status", 0).Enum(duStatuses...).Def("Installing")
	du.Param("Resolved", value.Boolean)
	str(du, "URL", 1024)
	str(du, "Vendor", 128)
	str(du, "Version", 32)
	str(du, "ExecutionUnitList", 0).List().Ref()
	str(du, "ExecutionEnvRef", 256).Ref()
	update := du.Command("Update", true, unsupported("Device.SoftwareModules.DeploymentUnit.{i}.Update()"))
	update.Inputs = []datamodel.Arg{
		{Name: "URL", Type: value.String, Constraint: value.Constraint{MaxLength: 1024}},
		{Name: "Username", Type: value.String, Constraint: value.Constraint{MaxLength: 256}},
		{Name: "Password", Type: value.String, Constraint: value.Constraint{MaxLength: 256}},
	}
	du.Command("Uninstall", true, unsupported("Device.SoftwareModules.DeploymentUnit.{i}.Uninstall()"))

	eu := table(sm.Table("ExecutionUnit", []string{"EUID"}), datamodel.ObjReadOnly, false)
	str(eu, "EUID", 64)
	str(eu, "Name", 32)
	str(eu, "ExecEnvLabel", 64)
	str(eu, "Status", 0).Enum(euStatuses...).Def("Idle")
	str(eu, "RequestedState", 0).Enum(euRequested...).Def("Idle")
	str(eu, "ExecutionFaultCode", 0).Enum(euFaultCodes...).Def("NoFault")
	str(eu, "ExecutionFaultMessage", 256)
	eu.Param("AutoStart", value.Boolean)
	eu.Param("RunLevel", value.UnsignedInt).Def("0")
	eu.Param("DiskSpaceInUse", value.Int).Def("-1")
	eu.Param("MemoryInUse", value.Int).Def("-1")
	str(eu, "References", 0).List().Ref()
	str(eu, "AssociatedProcessList", 0).List().Ref()
	set := eu.Command("SetRequestedState", false, unsupported("Device.SoftwareModules.ExecutionUnit.{i}.SetRequestedState()"))
	set.Inputs = []datamodel.Arg{{Name: "RequestedState", Type: value.String, Mandatory: true,
		Constraint: value.Constraint{Enum: euRequested}}}
}
