package swmod

import "fmt"

// FaultKind classifies why a DU operation failed. The names follow the
// CWMP/TR-181 software module fault names; the USP wiring maps each to
// its 72xx error code.
type FaultKind string

// The kinds of DU operation faults.
const (
	FaultDownload       FaultKind = "DownloadFailure"         // fetch failed: unreachable, HTTP error, timeout, too large
	FaultChecksum       FaultKind = "FileCorrupted"           // sha256 missing or not the one asked for
	FaultArchive        FaultKind = "InvalidDeploymentUnit"   // unreadable archive, bad manifest, escaping path, forbidden entry
	FaultResources      FaultKind = "SystemResourcesExceeded" // disk budget or the disk itself is full
	FaultUnknownDU      FaultKind = "UnknownDeploymentUnit"   // no such DU or EU
	FaultDuplicate      FaultKind = "DuplicateDeploymentUnit" // same UUID from the same owner
	FaultInvalidState   FaultKind = "InvalidDeploymentUnitState"
	FaultInternal       FaultKind = "InternalError"
	FaultInvalidRequest FaultKind = "InvalidArguments"
)

// Fault is a DU operation's failure: its kind and what happened.
// Use errors.As to get it from an error Env returns.
type Fault struct {
	Kind FaultKind
	Err  error
}

func (f *Fault) Error() string { return fmt.Sprintf("swmod: %s: %v", f.Kind, f.Err) }

// Unwrap returns the underlying error.
func (f *Fault) Unwrap() error { return f.Err }

func fault(kind FaultKind, format string, args ...any) *Fault {
	return &Fault{Kind: kind, Err: fmt.Errorf(format, args...)}
}
