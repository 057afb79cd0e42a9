package node

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/datamodel/value"
	"github.com/uspmesh/uspmesh/swmod"
	"github.com/uspmesh/uspmesh/usp"
)

// Applications on the node: Device.SoftwareModules. over the swmod
// runtime. The DU, EU and ExecEnv rows are the Agent's, rebuilt from
// swmod's records at start and after every change swmod reports, so
// that installed units (and Active EUs, which swmod restarts) come back
// after a restart of meshd.

const (
	smBase  = "Device.SoftwareModules."
	smDU    = smBase + "DeploymentUnit."
	smEU    = smBase + "ExecutionUnit."
	smEnv   = smBase + "ExecEnv."
	appsDir = "swmod" // swmod keeps its state in <state dir>/swmod
)

// The USP error codes of DU and EU faults (TR-369's 72xx range).
const (
	codeUnknownEnv   uint32 = 7223
	codeDuplicateDU  uint32 = 7226
	codeDUResources  uint32 = 7227
	codeUnknownDU    uint32 = 7228
	codeInvalidState uint32 = 7229
)

// apps is the node's application runtime and its rows.
type apps struct {
	n     *Node
	env   *swmod.Env  // set before ready
	ready atomic.Bool // env is set

	syncMu sync.Mutex // serialises row syncs
	mu     sync.Mutex // guards the maps
	envRow string     // the ExecEnv row, trailing dot
	duRow  map[string]string
	euRow  map[string]string
	owner  map[string]string // row path (trailing dot) -> owner Endpoint ID

	raiseMu sync.Mutex // serialises DUStateChange! raises
	raising string     // owner of the DUStateChange! being raised; guarded by mu
	// creating is the owner of the DU or EU row sync is writing (guarded
	// by mu): a new row's ObjectCreation is matched while sync writes it,
	// before its path, and so its owner, is recorded.
	creating string
}

// appsRuntime is the runtime apps_runtime names: "crun" (the default
// when crun is on PATH), "process" (the default otherwise), or nil for
// "off".
func appsRuntime(name string) swmod.Runtime {
	switch name {
	case "off":
		return nil
	case "process":
		return swmod.Process{}
	case "crun":
		return &swmod.Crun{}
	}
	if _, err := exec.LookPath("crun"); err == nil {
		return &swmod.Crun{}
	}
	return swmod.Process{}
}

// startApps opens the application runtime and writes its rows.
func (n *Node) startApps(ctx context.Context) error {
	rt := appsRuntime(n.cfg.AppsRuntime)
	if rt == nil {
		return nil
	}
	a := &apps{n: n, duRow: map[string]string{}, euRow: map[string]string{}, owner: map[string]string{}}
	lim := swmod.Limits{MemoryBytes: n.cfg.AppsMemoryMB << 20, CPUMilli: n.cfg.AppsCPUMilli, Pids: n.cfg.AppsPids}
	// The default memory bound is a cgroup's (crun). A plain process
	// is bounded by RLIMIT_AS, its virtual address space, which Go and
	// other runtimes reserve far beyond their use (a Go app under 64 MiB
	// of it exits at start), so it has none unless apps_memory_mb says.
	if _, plain := rt.(swmod.Process); lim.MemoryBytes == 0 && !plain {
		lim.MemoryBytes = 64 << 20
	}
	if lim.CPUMilli == 0 {
		lim.CPUMilli = 500
	}
	if lim.Pids == 0 {
		lim.Pids = 64
	}
	// swmod gets an absolute dir: crun runs in the bundle's directory,
	// where a relative rootfs path (meshd -state-dir state) names nothing.
	dir, err := filepath.Abs(n.cfg.StateDir)
	if err != nil {
		return fmt.Errorf("apps: %w", err)
	}
	cfg := swmod.Config{Dir: dir, Limits: lim, Logger: n.log.With("sub", "apps")}
	if n.cfg.Profile == "fast" {
		tc := swmod.TestConfig(dir)
		cfg.StopGrace, cfg.RestartMin, cfg.RestartMax = tc.StopGrace, tc.RestartMin, tc.RestartMax
	}
	cfg.Events = a.onEvent
	// Events may arrive from New on (EUs started again); until a.env is
	// set they are left to the first sync below.
	env, err := swmod.New(ctx, cfg, rt)
	if err != nil {
		// Apps are not worth a node that does not start (a state dir
		// turned read-only, a full flash): the node runs without them and
		// its Device.SoftwareModules. commands say why.
		n.log.Warn("apps unavailable", "err", err)
		n.appsErr.Store(&err)
		return nil
	}
	a.env = env
	a.ready.Store(true)
	a.sync(ctx)
	n.apps.Store(a)
	n.log.Info("apps runtime", "runtime", rt.Name(), "units", len(env.DUs()))
	return nil
}

// stopApps stops the EUs (their requested state stays, so they come back
// with the next start).
func (n *Node) stopApps() error {
	if a := n.apps.Load(); a != nil {
		return a.env.Close()
	}
	return nil
}

// attachApps connects Device.SoftwareModules.'s commands to the runtime.
func (n *Node) attachApps(s *datamodel.Schema) {
	on := func() (*apps, error) {
		if a := n.apps.Load(); a != nil {
			return a, nil
		}
		if e := n.appsErr.Load(); e != nil {
			return nil, &datamodel.Error{Code: datamodel.CodeCommandFailure, Path: smBase, Msg: "applications are unavailable on this node: " + (*e).Error()}
		}
		return nil, &datamodel.Error{Code: datamodel.CodeCommandFailure, Path: smBase, Msg: "applications are off on this node (apps_runtime)"}
	}
	tr181.AttachSoftwareModules(s, tr181.SoftwareModulesHooks{
		Install: func(ctx context.Context, in map[string]string) error {
			a, err := on()
			if err != nil {
				return err
			}
			return a.install(ctx, in)
		},
		Update: func(ctx context.Context, row string, in map[string]string) error {
			a, err := on()
			if err != nil {
				return err
			}
			return a.update(ctx, row, in)
		},
		Uninstall: func(ctx context.Context, row string) error {
			a, err := on()
			if err != nil {
				return err
			}
			duid, err := a.duOf(ctx, row)
			if err != nil {
				return err
			}
			return faultError(row+"Uninstall()", a.env.Uninstall(ctx, duid))
		},
		SetRequestedState: func(ctx context.Context, row, state string) error {
			a, err := on()
			if err != nil {
				return err
			}
			a.mu.Lock()
			euid := appKeyOf(a.euRow, row)
			a.mu.Unlock()
			if euid == "" || !a.mayManage(ctx, row) {
				return &datamodel.Error{Code: codeUnknownDU, Path: row, Msg: "no such execution unit"}
			}
			return faultError(row+"SetRequestedState()", a.env.SetRequestedState(ctx, euid, swmod.RequestedState(state)))
		},
	})
}

func appKeyOf(m map[string]string, row string) string {
	for k, v := range m {
		if v == row {
			return k
		}
	}
	return ""
}

// mayManage says whether the Controller of ctx owns row or sees all.
// Operate already refuses others (7006); this guards internal callers.
func (a *apps) mayManage(ctx context.Context, row string) bool {
	id := string(usp.ControllerFrom(ctx))
	if id == "" {
		return true // the Agent itself
	}
	a.mu.Lock()
	owner := a.owner[row]
	a.mu.Unlock()
	return owner == id || a.n.seesAllApps(ctx, id)
}

func (a *apps) duOf(ctx context.Context, row string) (string, error) {
	a.mu.Lock()
	duid := appKeyOf(a.duRow, row)
	a.mu.Unlock()
	if duid == "" || !a.mayManage(ctx, row) {
		return "", &datamodel.Error{Code: codeUnknownDU, Path: row, Msg: "no such deployment unit"}
	}
	return duid, nil
}

// withCredentials puts Username and Password into u for HTTP basic
// authentication.
func withCredentials(raw, user, pass string) (string, error) {
	if user == "" && pass == "" {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	u.User = url.UserPassword(user, pass)
	return u.String(), nil
}

func (a *apps) install(ctx context.Context, in map[string]string) error {
	const name = smBase + "InstallDU()"
	if err := a.checkEnv(name, in["ExecutionEnvRef"]); err != nil {
		return err
	}
	u, err := withCredentials(in["URL"], in["Username"], in["Password"])
	if err != nil {
		return &datamodel.Error{Code: datamodel.CodeInvalidCmdArgs, Path: name, Msg: "URL: " + err.Error()}
	}
	_, err = a.env.Install(ctx, swmod.InstallRequest{URL: u, UUID: in["UUID"], Owner: string(usp.ControllerFrom(ctx))})
	return faultError(name, err)
}

// checkEnv refuses (7223) an ExecutionEnvRef that names another
// environment than the node's; empty names the node's.
func (a *apps) checkEnv(name, ref string) error {
	ref = strings.TrimSuffix(ref, ".")
	if ref == "" {
		return nil
	}
	a.mu.Lock()
	envRow := strings.TrimSuffix(a.envRow, ".")
	a.mu.Unlock()
	if ref != envRow {
		return &datamodel.Error{Code: codeUnknownEnv, Path: name, Msg: fmt.Sprintf("unknown execution environment %q (this node has %s)", ref, envRow)}
	}
	return nil
}

func (a *apps) update(ctx context.Context, row string, in map[string]string) error {
	duid, err := a.duOf(ctx, row)
	if err != nil {
		return err
	}
	raw := in["URL"]
	if raw == "" {
		for _, d := range a.env.DUs() {
			if d.DUID == duid {
				raw = d.URL
			}
		}
	}
	u, err := withCredentials(raw, in["Username"], in["Password"])
	if err != nil {
		return &datamodel.Error{Code: datamodel.CodeInvalidCmdArgs, Path: row + "Update()", Msg: "URL: " + err.Error()}
	}
	_, err = a.env.Update(ctx, duid, u, "")
	return faultError(row+"Update()", err)
}

// faultCode is the USP error code of a swmod fault kind: TR-369's DU
// codes where it defines one, else 7002 Request denied (with the fault's
// message) or 7027 for bad arguments. DUStateChange!'s FaultCode carries
// it as is; in an OperationComplete the Agent reports the 72xx codes as
// 7022 (cmd_failure allows 7002-7008, 7016, 7022 and 7023), their code
// and fault name kept in the message.
func faultCode(k swmod.FaultKind) uint32 {
	switch k {
	case swmod.FaultDuplicate:
		return codeDuplicateDU
	case swmod.FaultResources:
		return codeDUResources
	case swmod.FaultUnknownDU:
		return codeUnknownDU
	case swmod.FaultInvalidState:
		return codeInvalidState
	case swmod.FaultInvalidRequest:
		return datamodel.CodeInvalidCmdArgs
	case swmod.FaultInternal:
		return datamodel.CodeInternal
	}
	return 7002 // DownloadFailure, FileCorrupted, InvalidDeploymentUnit
}

// faultError maps a swmod error to a USP error on the command name.
func faultError(name string, err error) error {
	if err == nil {
		return nil
	}
	var f *swmod.Fault
	if errors.As(err, &f) {
		return &datamodel.Error{Code: faultCode(f.Kind), Path: name, Msg: string(f.Kind) + ": " + f.Err.Error()}
	}
	return &datamodel.Error{Code: datamodel.CodeCommandFailure, Path: name, Msg: err.Error()}
}

// onEvent keeps the rows in step with swmod and raises DUStateChange!
// at the end of every DU operation.
func (a *apps) onEvent(ev swmod.Event) {
	if !a.ready.Load() {
		return
	}
	ctx := a.n.base
	a.mu.Lock()
	duRow := a.duRow[ev.DU.DUID]
	var euRows []string
	for _, euid := range ev.DU.EUIDs {
		if r := a.euRow[euid]; r != "" {
			euRows = append(euRows, strings.TrimSuffix(r, "."))
		}
	}
	a.mu.Unlock()
	a.sync(ctx)
	if ev.Op == "" {
		return
	}
	a.mu.Lock()
	if r := a.duRow[ev.DU.DUID]; r != "" {
		duRow = r
		euRows = euRows[:0]
		for _, euid := range ev.DU.EUIDs {
			if r := a.euRow[euid]; r != "" {
				euRows = append(euRows, strings.TrimSuffix(r, "."))
			}
		}
	}
	a.mu.Unlock()
	state := "Installed"
	switch {
	case ev.Op == swmod.OpInstall && ev.Fault != nil:
		state, duRow, euRows = "Failed", "", nil
	case ev.Op == swmod.OpUninstall && ev.Fault == nil:
		state = "Uninstalled"
	}
	var code uint32
	var msg string
	if ev.Fault != nil {
		code, msg = faultCode(ev.Fault.Kind), string(ev.Fault.Kind)+": "+ev.Fault.Err.Error()
	}
	args := map[string]string{"UUID": ev.DU.UUID, "DeploymentUnitRef": strings.TrimSuffix(duRow, "."),
		"Version": ev.DU.Version, "CurrentState": state, "Resolved": strconv.FormatBool(ev.DU.Resolved),
		"ExecutionUnitRefList": value.JoinList(euRows), "StartTime": appTime(ev.Start),
		"CompleteTime": appTime(ev.Complete), "OperationPerformed": string(ev.Op),
		"FaultCode": strconv.FormatUint(uint64(code), 10), "FaultString": clipUTF8(msg, 256)}
	a.raiseMu.Lock()
	defer a.raiseMu.Unlock()
	a.mu.Lock()
	a.raising = ev.DU.Owner
	a.mu.Unlock()
	if err := a.n.model.Raise(ctx, smBase, "DUStateChange", args); err != nil {
		a.n.log.Warn("DUStateChange! event", "err", err)
	}
	a.mu.Lock()
	a.raising = ""
	a.mu.Unlock()
}

// sync writes the ExecEnv, DU and EU rows from swmod's records and
// deletes the rows of units that are gone.
func (a *apps) sync(ctx context.Context) {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	m := a.n.model
	dus, eus := a.env.DUs(), a.env.EUs()
	defer a.setCreating("")
	owners := map[string]string{} // DUID -> owner
	for _, d := range dus {
		owners[d.DUID] = d.Owner
	}
	envRow, err := provisionRow(ctx, m, smEnv, "Name", "default", [][2]string{
		{"Type", a.env.RuntimeName()}, {"Vendor", "uspmesh"}, {"Version", "1"},
	})
	if err != nil {
		a.n.log.Warn("apps: ExecEnv row", "err", err)
		return
	}
	a.mu.Lock()
	a.envRow = envRow
	a.mu.Unlock()
	euRows := map[string]string{}
	var active []string
	duDisk := map[string]int64{} // DUID -> bytes of its unpacked bundle
	for _, d := range dus {
		duDisk[d.DUID] = d.DiskUsed
	}
	for _, e := range eus {
		a.setCreating(owners[e.DUID])
		row, err := provisionRow(ctx, m, smEU, "EUID", e.EUID, [][2]string{
			{"DiskSpaceInUse", strconv.FormatInt(duDisk[e.DUID]>>10, 10)},
			{"Name", e.Name}, {"ExecEnvLabel", e.Name}, {"Status", string(e.Status)},
			{"RequestedState", string(e.RequestedState)}, {"ExecutionFaultCode", string(e.FaultCode)},
			{"ExecutionFaultMessage", clipUTF8(e.FaultMessage, 256)}, {"AutoStart", strconv.FormatBool(e.AutoStart)},
		})
		if err != nil {
			a.n.log.Warn("apps: EU row", "euid", e.EUID, "err", err)
			continue
		}
		a.setOwner(row, owners[e.DUID])
		euRows[e.EUID] = row
		if e.Status == swmod.EUActive {
			active = append(active, strings.TrimSuffix(row, "."))
		}
	}
	duRows := map[string]string{}
	var disk int64
	for _, d := range dus {
		var list []string
		for _, euid := range d.EUIDs {
			if r := euRows[euid]; r != "" {
				list = append(list, strings.TrimSuffix(r, "."))
			}
		}
		disk += d.DiskUsed
		a.setCreating(d.Owner)
		row, err := provisionRow(ctx, m, smDU, "DUID", d.DUID, [][2]string{
			{"UUID", d.UUID}, {"Name", d.Name}, {"Status", string(d.Status)}, {"Resolved", strconv.FormatBool(d.Resolved)},
			{"URL", clipUTF8(redactURL(d.URL), 1024)}, {"Vendor", d.Vendor}, {"Version", d.Version},
			{"ExecutionUnitList", value.JoinList(list)}, {"ExecutionEnvRef", strings.TrimSuffix(envRow, ".")},
		})
		if err != nil {
			a.n.log.Warn("apps: DU row", "duid", d.DUID, "err", err)
			continue
		}
		a.setOwner(row, d.Owner)
		duRows[d.DUID] = row
	}
	if _, err := provisionRow(ctx, m, smEnv, "Name", "default", [][2]string{
		{"AllocatedDiskSpace", strconv.FormatInt(disk>>10, 10)}, {"ActiveExecutionUnits", value.JoinList(active)},
	}); err != nil {
		a.n.log.Warn("apps: ExecEnv row", "err", err)
	}
	a.mu.Lock()
	oldDU, oldEU := a.duRow, a.euRow
	a.duRow, a.euRow = duRows, euRows
	a.mu.Unlock()
	for duid, row := range oldDU {
		if _, ok := duRows[duid]; !ok {
			a.drop(ctx, smDU, "DUID", duid, row)
		}
	}
	for euid, row := range oldEU {
		if _, ok := euRows[euid]; !ok {
			a.drop(ctx, smEU, "EUID", euid, row)
		}
	}
}

// setCreating records the owner of the row sync writes next.
func (a *apps) setCreating(owner string) {
	a.mu.Lock()
	a.creating = owner
	a.mu.Unlock()
}

func (a *apps) setOwner(row, owner string) {
	a.mu.Lock()
	a.owner[row] = owner
	a.mu.Unlock()
}

func (a *apps) drop(ctx context.Context, table, key, val, row string) {
	// The owner stays recorded: the OperationComplete of Uninstall()
	// goes out after the row is gone, and only to its owner. Instance
	// numbers are not reused while the node runs, so it names no other
	// row; the map grows by one entry per removed row until restart.
	if err := deleteKeyed(ctx, a.n.model, table, key, val); err != nil {
		a.n.log.Warn("apps: delete row", "row", row, "err", err)
	}
}

// appRow is the DU or EU row objPath lies in (trailing dot), or "".
func appRow(objPath string) string {
	for _, t := range []string{smDU, smEU} {
		if rest, ok := strings.CutPrefix(objPath, t); ok {
			i := strings.IndexByte(rest, '.')
			if i <= 0 {
				return ""
			}
			return t + rest[:i+1]
		}
	}
	return ""
}

// seesAllApps says whether the Controller id sees and manages every
// DU and EU: a Controller with the FullAccess role (the operator's
// "full"). Others see only the units they installed.
func (n *Node) seesAllApps(ctx context.Context, id string) bool {
	full := strings.TrimSuffix(n.rolePaths["FullAccess"], ".")
	if full == "" {
		return false
	}
	p, err := path.Parse(`Device.LocalAgent.Controller.[EndpointID==` + path.Quote(id) + `].`)
	if err != nil {
		return false
	}
	res, err := n.model.Get(ctx, p, 1, nil)
	if err != nil {
		return false
	}
	for _, r := range res {
		for _, p := range r.Params {
			if p.Name != "AssignedRole" && p.Name != "InheritedRole" {
				continue
			}
			for _, role := range value.SplitList(p.Value) {
				if strings.TrimSuffix(role, ".") == full {
					return true
				}
			}
		}
	}
	return false
}

// appsAccess is the node's access control with application tenancy: a
// Controller that does not see all (seesAllApps) reads, lists, operates
// on and is notified of only the DU and EU rows it owns, and receives
// only its own units' DUStateChange! events.
type appsAccess struct {
	inner usp.AccessControl
	n     *Node
}

// Permissions implements usp.AccessControl.
func (a appsAccess) Permissions(ctx context.Context, id usp.EndpointID) usp.Permissions {
	p := a.inner.Permissions(ctx, id)
	ap := a.n.apps.Load()
	if ap == nil {
		return p
	}
	return &appsPerms{Permissions: p, ctx: ctx, a: ap, id: string(id)}
}

// appsPerms are one Controller's rights with the tenancy rule.
type appsPerms struct {
	usp.Permissions
	ctx  context.Context
	a    *apps
	id   string
	once sync.Once
	all  bool
}

var (
	_ usp.NotifyPermissions = (*appsPerms)(nil)
	_ usp.SecretReader      = (*appsPerms)(nil)
	_ usp.RowHider          = (*appsPerms)(nil)
)

func (p *appsPerms) seesAll() bool {
	p.once.Do(func() { p.all = p.a.n.seesAllApps(p.ctx, p.id) })
	return p.all
}

// mine says whether objPath is outside the DU and EU rows, or in a row
// the Controller owns, or the Controller sees all.
func (p *appsPerms) mine(objPath string) bool {
	row := appRow(objPath)
	if row == "" {
		return true
	}
	p.a.mu.Lock()
	owner, ok := p.a.owner[row]
	p.a.mu.Unlock()
	if ok && owner == p.id {
		return true
	}
	return p.seesAll()
}

// HidesRows implements usp.RowHider: the DU and EU tables hide other
// tenants' rows.
func (p *appsPerms) HidesRows(tablePath string) bool {
	return tablePath == smDU || tablePath == smEU
}

// ReadParam implements usp.Permissions.
func (p *appsPerms) ReadParam(objPath string, pd *datamodel.ParamDef) bool {
	return p.mine(objPath) && p.Permissions.ReadParam(objPath, pd)
}

// WriteParam implements usp.Permissions.
func (p *appsPerms) WriteParam(objPath string, pd *datamodel.ParamDef) bool {
	return p.mine(objPath) && p.Permissions.WriteParam(objPath, pd)
}

// DeleteRow implements usp.Permissions.
func (p *appsPerms) DeleteRow(rowPath string, t *datamodel.ObjectDef) bool {
	return p.mine(rowPath) && p.Permissions.DeleteRow(rowPath, t)
}

// ListRow implements usp.Permissions.
func (p *appsPerms) ListRow(rowPath string, t *datamodel.ObjectDef) bool {
	return p.mine(rowPath) && p.Permissions.ListRow(rowPath, t)
}

// Operate implements usp.Permissions.
func (p *appsPerms) Operate(objPath string, c *datamodel.CommandDef) bool {
	return p.mine(objPath) && p.Permissions.Operate(objPath, c)
}

func (p *appsPerms) notify() (usp.NotifyPermissions, bool) {
	np, ok := p.Permissions.(usp.NotifyPermissions)
	return np, ok
}

// NotifyValueChange implements usp.NotifyPermissions.
func (p *appsPerms) NotifyValueChange(objPath string, pd *datamodel.ParamDef) bool {
	np, ok := p.notify()
	return p.mine(objPath) && (!ok || np.NotifyValueChange(objPath, pd))
}

// NotifyObjCreation implements usp.NotifyPermissions: a new DU or EU
// row only for its owner (and Controllers that see all). Only sync
// creates them, and the Notifier matches a row's creation on the
// goroutine that committed it, inside sync, while a.creating names the
// row's owner.
func (p *appsPerms) NotifyObjCreation(tablePath string, t *datamodel.ObjectDef) bool {
	if tablePath == smDU || tablePath == smEU {
		p.a.mu.Lock()
		owner := p.a.creating
		p.a.mu.Unlock()
		if owner != p.id && !p.seesAll() {
			return false
		}
	}
	np, ok := p.notify()
	return !ok || np.NotifyObjCreation(tablePath, t)
}

// NotifyObjDeletion implements usp.NotifyPermissions.
func (p *appsPerms) NotifyObjDeletion(rowPath string, t *datamodel.ObjectDef) bool {
	np, ok := p.notify()
	return p.mine(rowPath) && (!ok || np.NotifyObjDeletion(rowPath, t))
}

// NotifyCommandEvent implements usp.NotifyPermissions: DUStateChange!
// only for the unit's owner (and Controllers that see all).
func (p *appsPerms) NotifyCommandEvent(objPath, name string) bool {
	if objPath == smBase && name == "DUStateChange!" {
		p.a.mu.Lock()
		owner := p.a.raising
		p.a.mu.Unlock()
		if owner != p.id && !p.seesAll() {
			return false
		}
	} else if !p.mine(objPath) {
		return false
	}
	np, ok := p.notify()
	return !ok || np.NotifyCommandEvent(objPath, name)
}

// Secured implements usp.SecretReader.
func (p *appsPerms) Secured() bool {
	s, ok := p.Permissions.(usp.SecretReader)
	return !ok || s.Secured()
}

// appTime is a DUStateChange! time: dateTime, the Unknown Time when zero.
func appTime(t time.Time) string {
	if t.IsZero() {
		return value.UnknownTime
	}
	return t.UTC().Format(time.RFC3339)
}

// redactURL is raw without the credentials InstallDU()'s Username and
// Password put in it: DeploymentUnit.{i}.URL is readable, a password is
// not (swmod keeps them to fetch an Update() without a new URL).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}
