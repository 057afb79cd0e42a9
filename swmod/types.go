// Package swmod runs applications on a node: deployment units (DUs),
// the bundles an installing Controller names by URL, and the execution
// units (EUs) they hold, on a Runtime (crun for OCI containers, or plain
// processes on devices without container support).
//
// Data enters through Env's methods (Install, Update, Uninstall,
// SetRequestedState) and leaves as DU and EU records, whose fields carry
// TR-181's Device.SoftwareModules. names and states, and as Events
// (DUStateChange and EU state changes) through Config.Events. The USP
// data model wiring maps these one to one; swmod knows nothing of USP.
//
// A DU is a bundle tarball (.tar or .tar.gz, detected by content) holding
// manifest.json (see Manifest) and a rootfs/ directory; swmod writes the
// OCI config.json itself. One DU holds one EU. Everything lives under
// Config.Dir/swmod: state.json (written atomically), <duid>/v<gen>/ (the
// unpacked bundle, moved into place from .tmp/ by rename), run/<euid>/
// (runtime files) and logs/<euid>.log (a bounded log).
package swmod

import "time"

// DUStatus is a deployment unit's Status as TR-181 names it.
type DUStatus string

// The DU states of TR-181's DeploymentUnit.{i}.Status.
const (
	DUInstalling   DUStatus = "Installing"
	DUInstalled    DUStatus = "Installed"
	DUUpdating     DUStatus = "Updating"
	DUUninstalling DUStatus = "Uninstalling"
	DUUninstalled  DUStatus = "Uninstalled"
)

// EUStatus is an execution unit's Status as TR-181 names it.
type EUStatus string

// The EU states of TR-181's ExecutionUnit.{i}.Status.
const (
	EUIdle     EUStatus = "Idle"
	EUStarting EUStatus = "Starting"
	EUActive   EUStatus = "Active"
	EUStopping EUStatus = "Stopping"
)

// RequestedState is what SetRequestedState asks of an EU: Idle or Active.
type RequestedState string

// The two states an EU can be asked for.
const (
	WantIdle   RequestedState = "Idle"
	WantActive RequestedState = "Active"
)

// FaultCode is an EU's ExecutionFaultCode as TR-181 names it.
type FaultCode string

// TR-181's ExecutionUnit.{i}.ExecutionFaultCode values.
const (
	NoFault            FaultCode = "NoFault"
	FailureOnStart     FaultCode = "FailureOnStart"
	FailureOnAutoStart FaultCode = "FailureOnAutoStart"
	FailureOnStop      FaultCode = "FailureOnStop"
	FailureWhileActive FaultCode = "FailureWhileActive"
	DependencyFailure  FaultCode = "DependencyFailure"
	UnStartable        FaultCode = "UnStartable"
)

// Limits bound an EU's resources. Zero means no limit of that kind.
type Limits struct {
	MemoryBytes int64 `json:"memory_bytes,omitempty"` // memory cgroup limit (RLIMIT_AS for plain processes)
	CPUMilli    int64 `json:"cpu_milli,omitempty"`    // CPU bandwidth in thousandths of a core
	Pids        int64 `json:"pids,omitempty"`         // processes and threads
}

// min returns the tighter of l and o, kind by kind (zero is no limit).
func (l Limits) min(o Limits) Limits {
	f := func(a, b int64) int64 {
		if a == 0 || (b != 0 && b < a) {
			return b
		}
		return a
	}
	return Limits{f(l.MemoryBytes, o.MemoryBytes), f(l.CPUMilli, o.CPUMilli), f(l.Pids, o.Pids)}
}

// DU is a deployment unit: TR-181's DeploymentUnit.{i} plus its owner.
type DU struct {
	DUID     string   `json:"duid"`
	UUID     string   `json:"uuid"`
	Name     string   `json:"name"`
	Vendor   string   `json:"vendor"`
	Version  string   `json:"version"`
	URL      string   `json:"url"`
	Owner    string   `json:"owner"` // the installing Controller's Endpoint ID
	Status   DUStatus `json:"status"`
	Resolved bool     `json:"resolved"`
	EUIDs    []string `json:"euids"`      // ExecutionUnitList
	SHA256   string   `json:"sha256"`     // of the installed archive
	Gen      int      `json:"gen"`        // the installed version's directory, <duid>/v<gen>
	DiskUsed int64    `json:"disk_bytes"` // bytes the unpacked bundle occupies
}

// EU is an execution unit: TR-181's ExecutionUnit.{i}.
type EU struct {
	EUID           string         `json:"euid"`
	DUID           string         `json:"duid"`
	Name           string         `json:"name"`
	Status         EUStatus       `json:"status"`
	RequestedState RequestedState `json:"requested_state"`
	AutoStart      bool           `json:"autostart"`
	FaultCode      FaultCode      `json:"fault_code"`
	FaultMessage   string         `json:"fault_message"`
	Limits         Limits         `json:"limits"`   // in force: the ExecEnv's and the DU's, whichever is tighter
	Restarts       int            `json:"restarts"` // automatic restarts since install
	Pid            int            `json:"-"`        // the running process, 0 when not Active
}

// Operation names what a DUStateChange reports, as TR-181 does.
type Operation string

// The operations of DUStateChange!'s OperationPerformed.
const (
	OpInstall   Operation = "Install"
	OpUpdate    Operation = "Update"
	OpUninstall Operation = "Uninstall"
)

// Event is what Env reports through Config.Events: a DUStateChange (DU
// set, Op set) when an install, update or uninstall ends, successfully
// or not, or an EU state change (EU set).
type Event struct {
	Op       Operation // empty for EU state changes
	DU       DU
	EU       *EU
	Start    time.Time // when the DU operation started
	Complete time.Time // when it ended
	Fault    *Fault    // nil on success
}
