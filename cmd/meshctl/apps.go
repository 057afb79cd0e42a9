package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// Applications on an AP (Device.SoftwareModules.): install a bundle by
// URL, list the deployment and execution units this Controller may see,
// start and stop an app, update and uninstall it. The async commands
// (InstallDU(), Update(), Uninstall()) are waited for: their
// OperationComplete, and for install the DUStateChange! naming the new
// unit, within -wait.

const smBase = "Device.SoftwareModules."

// errReported: the failure is in the report already (exit status 1).
var errReported = errors.New("failure reported")

// reported is err for a command's run: nil when the failure is in r.
func reported(err error) error {
	if errors.Is(err, errReported) {
		return nil
	}
	return err
}

// appsFlags are the apps commands' own flags.
type appsFlags struct {
	uuid, env string
	all       bool // install: on every AP of the home (rollout)
	wait      time.Duration
}

func appsCommands() []command {
	var af appsFlags
	waitFlag := func(fs *flag.FlagSet) {
		fs.DurationVar(&af.wait, "wait", 2*time.Minute, "how long to wait for the operation to complete")
	}
	return []command{
		{name: "install", args: "URL", min: 1,
			help: "Install an app (a bundle .tar or .tar.gz: manifest.json and rootfs/) from URL, with its sha256 as #sha256=HEX fragment; waits for the unit to be installed and prints it. The app starts with 'meshctl start'.",
			flags: func(fs *flag.FlagSet, _ *cmdFlags) {
				fs.StringVar(&af.uuid, "uuid", "", "the unit's UUID (default: a new one)")
				fs.StringVar(&af.env, "env", "", "ExecutionEnvRef: the ExecEnv row (default: the AP's only one)")
				fs.BoolVar(&af.all, "all", false, "install on every AP of the home, started (meshctl rollout URL; send it to the leader's Agent)")
				waitFlag(fs)
			},
			run: func(ctx context.Context, s *session, _ *cmdFlags, args []string, r *report) error {
				if af.all {
					return rollout(ctx, s, rolloutFlags{uuid: af.uuid, env: af.env, wait: af.wait}, args[0], r)
				}
				return appInstall(ctx, s, af, args[0], r)
			}},
		{name: "apps", help: "List the apps (deployment units and their execution units) this Controller may see, with their states.",
			run: func(ctx context.Context, s *session, _ *cmdFlags, _ []string, r *report) error {
				return appList(ctx, s, r)
			}},
		{name: "start", args: "NAME|EUID", min: 1, help: "Start an app (SetRequestedState Active) and wait until it is Active.",
			flags: func(fs *flag.FlagSet, _ *cmdFlags) { waitFlag(fs) },
			run: func(ctx context.Context, s *session, _ *cmdFlags, args []string, r *report) error {
				return appSetState(ctx, s, af, args[0], "Active", r)
			}},
		{name: "stop", args: "NAME|EUID", min: 1, help: "Stop an app (SetRequestedState Idle) and wait until it is Idle.",
			flags: func(fs *flag.FlagSet, _ *cmdFlags) { waitFlag(fs) },
			run: func(ctx context.Context, s *session, _ *cmdFlags, args []string, r *report) error {
				return appSetState(ctx, s, af, args[0], "Idle", r)
			}},
		{name: "update", args: "NAME [URL]", min: 1, help: "Update an app from URL (default: its own URL again) and wait for the outcome.",
			flags: func(fs *flag.FlagSet, _ *cmdFlags) { waitFlag(fs) },
			run: func(ctx context.Context, s *session, _ *cmdFlags, args []string, r *report) error {
				in := map[string]string{}
				if len(args) > 1 {
					in["URL"] = args[1]
				}
				return appDUCommand(ctx, s, af, args[0], "Update()", in, r)
			}},
		{name: "uninstall", args: "NAME", min: 1, help: "Uninstall an app and wait for the outcome.",
			flags: func(fs *flag.FlagSet, _ *cmdFlags) { waitFlag(fs) },
			run: func(ctx context.Context, s *session, _ *cmdFlags, args []string, r *report) error {
				return appDUCommand(ctx, s, af, args[0], "Uninstall()", nil, r)
			}},
	}
}

// appUnit is one row of "apps" and the outcome of the other commands.
type appUnit struct {
	Kind     string `json:"kind"` // "du" or "eu"
	Path     string `json:"path"`
	Name     string `json:"name"`
	ID       string `json:"id"` // DUID or EUID
	UUID     string `json:"uuid,omitempty"`
	Version  string `json:"version,omitempty"`
	Status   string `json:"status"`
	Wanted   string `json:"requested_state,omitempty"`
	Fault    string `json:"fault,omitempty"`
	URL      string `json:"url,omitempty"`
	Units    string `json:"execution_units,omitempty"`
	Complete string `json:"operation,omitempty"` // Install, Update, Uninstall: the operation that completed
}

func (u appUnit) text(w io.Writer) {
	if u.Complete != "" {
		fmt.Fprintf(w, "%s %s: %s %s %s (%s)\n", u.Complete, u.Status, u.Name, u.Version, u.Path, u.UUID)
		return
	}
	switch u.Kind {
	case "du":
		fmt.Fprintf(w, "DU %-24s %-10s %-12s %-16s %s %s\n", u.Path, u.Name, u.Version, u.Status, u.UUID, u.URL)
	default:
		fault := u.Fault
		if fault == "" {
			fault = "NoFault"
		}
		fmt.Fprintf(w, "EU %-24s %-10s %-12s %-16s requested %s, %s\n", u.Path, u.Name, u.ID, u.Status, u.Wanted, fault)
	}
}

// appRows reads the DU and EU rows this Controller may see.
func appRows(ctx context.Context, s *session) ([]appUnit, error) {
	resp, err := s.client.Get(ctx, s.to, 0, smBase+"DeploymentUnit.", smBase+"ExecutionUnit.")
	if err != nil {
		return nil, about(err, smBase)
	}
	var out []appUnit
	for _, rr := range resp.GetReqPathResults() {
		if rr.GetErrCode() != 0 {
			return nil, fmt.Errorf("%s: %d %s: %s", rr.GetRequestedPath(), rr.GetErrCode(), usp.ErrorCode(rr.GetErrCode()), rr.GetErrMsg())
		}
		for _, res := range rr.GetResolvedPathResults() {
			p, v := res.GetResolvedPath(), res.GetResultParams()
			if strings.HasPrefix(p, smBase+"DeploymentUnit.") {
				out = append(out, appUnit{Kind: "du", Path: p, Name: v["Name"], ID: v["DUID"], UUID: v["UUID"], Version: v["Version"],
					Status: v["Status"], URL: v["URL"], Units: v["ExecutionUnitList"]})
				continue
			}
			u := appUnit{Kind: "eu", Path: p, Name: v["Name"], ID: v["EUID"], Status: v["Status"], Wanted: v["RequestedState"]}
			if c := v["ExecutionFaultCode"]; c != "" && c != "NoFault" {
				u.Fault = c + ": " + v["ExecutionFaultMessage"]
			}
			out = append(out, u)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out, nil
}

func appList(ctx context.Context, s *session, r *report) error {
	units, err := appRows(ctx, s)
	if err != nil {
		return err
	}
	for _, u := range units {
		r.add(u)
	}
	return nil
}

// appFind returns the one unit of kind that name names: its Name, ID
// (DUID or EUID), UUID or row path.
func appFind(ctx context.Context, s *session, kind, name string) (appUnit, error) {
	units, err := appRows(ctx, s)
	if err != nil {
		return appUnit{}, err
	}
	var found []appUnit
	for _, u := range units {
		if u.Kind == kind && (u.Name == name || u.ID == name || (u.UUID != "" && u.UUID == name) || u.Path == name || u.Path == name+".") {
			found = append(found, u)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return appUnit{}, fmt.Errorf("no app %q among those this Controller sees (meshctl apps lists them)", name)
	}
	var ids []string
	for _, u := range found {
		ids = append(ids, u.ID)
	}
	return appUnit{}, fmt.Errorf("%d apps are called %q: name one by its id (%s)", len(found), name, strings.Join(ids, ", "))
}

// watch subscribes to Device.SoftwareModules.'s OperationComplete and
// DUStateChange!; the returned func removes the subscriptions.
func watch(ctx context.Context, s *session) (func(), error) {
	var rows []string
	undo := func() {
		if len(rows) == 0 {
			return
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.timeout)
		defer cancel()
		s.client.Delete(dctx, s.to, true, rows...)
	}
	for _, sub := range []usp.Subscription{{NotifType: "OperationComplete", ReferenceList: []string{smBase}},
		{NotifType: "Event", ReferenceList: []string{smBase + "DUStateChange!"}}} {
		row, _, err := s.client.Subscribe(ctx, s.to, sub)
		if err != nil {
			undo()
			return nil, err
		}
		rows = append(rows, row)
	}
	return undo, nil
}

// operateAsync runs an async command with a fresh command key and waits
// (up to wait) for its OperationComplete; seen gets every other
// notification that arrives meanwhile.
func operateAsync(ctx context.Context, s *session, r *report, cmd string, in map[string]string, wait time.Duration, seen func(*uspmsg.Notify)) error {
	key := "meshctl-" + randomHex(6)
	resp, err := s.client.Operate(ctx, s.to, cmd, key, in)
	if err != nil {
		return about(err, cmd)
	}
	res := resp.GetOperationResults()
	if len(res) != 1 {
		return fmt.Errorf("%s: %d results, want 1", cmd, len(res))
	}
	if f := res[0].GetCmdFailure(); f != nil {
		r.fail(pathError{Path: res[0].GetExecutedCommand(), Code: f.GetErrCode(), Message: f.GetErrMsg()})
		return errReported
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		select {
		case n := <-s.notify:
			oc := n.n.GetOperComplete()
			if oc == nil || oc.GetCommandKey() != key {
				seen(n.n)
				continue
			}
			if f := oc.GetCmdFailure(); f != nil {
				r.fail(pathError{Path: oc.GetObjPath() + oc.GetCommandName(), Code: f.GetErrCode(), Message: f.GetErrMsg()})
				return errReported
			}
			return nil
		case <-deadline.C:
			return fmt.Errorf("%s: not complete after %v (-wait)", cmd, wait)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// duEvent waits for the DUStateChange! of uuid and op, looking first
// at those already seen.
func duEvent(ctx context.Context, s *session, seen []*uspmsg.Notify, uuid, op string, wait time.Duration) (map[string]string, error) {
	match := func(n *uspmsg.Notify) map[string]string {
		ev := n.GetEvent()
		if ev == nil || ev.GetEventName() != "DUStateChange!" || ev.GetParams()["UUID"] != uuid || ev.GetParams()["OperationPerformed"] != op {
			return nil
		}
		return ev.GetParams()
	}
	for _, n := range seen {
		if p := match(n); p != nil {
			return p, nil
		}
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		select {
		case n := <-s.notify:
			if p := match(n.n); p != nil {
				return p, nil
			}
		case <-deadline.C:
			return nil, fmt.Errorf("no DUStateChange! for %s after %v (-wait)", uuid, wait)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// newUUID is a random UUID (version 4).
func newUUID() string {
	h := []byte(randomHex(16))
	h[12] = '4'
	h[16] = "89ab"[h[16]%4]
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

func appInstall(ctx context.Context, s *session, af appsFlags, url string, r *report) error {
	undo, err := watch(ctx, s)
	if err != nil {
		return err
	}
	defer undo()
	uuid := af.uuid
	if uuid == "" {
		uuid = newUUID()
	}
	in := map[string]string{"URL": url, "UUID": uuid}
	if af.env != "" {
		in["ExecutionEnvRef"] = af.env
	}
	var seen []*uspmsg.Notify
	if err := operateAsync(ctx, s, r, smBase+"InstallDU()", in, af.wait, func(n *uspmsg.Notify) { seen = append(seen, n) }); err != nil {
		return reported(err)
	}
	ev, err := duEvent(ctx, s, seen, uuid, "Install", af.wait)
	if err != nil {
		return err
	}
	return reportDUEvent(ctx, s, ev, "", r)
}

// reportDUEvent adds the outcome a DUStateChange! reports, with the
// unit's name read from its row when it still has one.
func reportDUEvent(ctx context.Context, s *session, ev map[string]string, name string, r *report) error {
	u := appUnit{Kind: "du", Path: ev["DeploymentUnitRef"], Name: name, UUID: ev["UUID"], Version: ev["Version"],
		Status: ev["CurrentState"], Complete: ev["OperationPerformed"], Units: ev["ExecutionUnitRefList"]}
	if ev["FaultCode"] != "" && ev["FaultCode"] != "0" {
		r.fail(pathError{Path: u.Path, Message: fmt.Sprintf("%s %s: fault %s: %s", u.Complete, u.Status, ev["FaultCode"], ev["FaultString"])})
		return nil
	}
	if u.Path != "" && u.Status != "Uninstalled" {
		if resp, err := s.client.Get(ctx, s.to, 0, u.Path+".Name"); err == nil {
			for _, rr := range resp.GetReqPathResults() {
				for _, res := range rr.GetResolvedPathResults() {
					u.Name = res.GetResultParams()["Name"]
				}
			}
		}
	}
	if u.Path != "" {
		u.Path += "."
	}
	r.add(u)
	return nil
}

func appDUCommand(ctx context.Context, s *session, af appsFlags, name, cmd string, in map[string]string, r *report) error {
	du, err := appFind(ctx, s, "du", name)
	if err != nil {
		return err
	}
	undo, err := watch(ctx, s)
	if err != nil {
		return err
	}
	defer undo()
	var seen []*uspmsg.Notify
	if err := operateAsync(ctx, s, r, du.Path+cmd, in, af.wait, func(n *uspmsg.Notify) { seen = append(seen, n) }); err != nil {
		return reported(err)
	}
	ev, err := duEvent(ctx, s, seen, du.UUID, strings.TrimSuffix(cmd, "()"), af.wait)
	if err != nil {
		return err
	}
	return reportDUEvent(ctx, s, ev, du.Name, r)
}

func appSetState(ctx context.Context, s *session, af appsFlags, name, state string, r *report) error {
	eu, err := appFind(ctx, s, "eu", name)
	if err != nil {
		// A DU's name or UUID names its one EU too.
		du, derr := appFind(ctx, s, "du", name)
		if derr != nil || du.Units == "" || strings.Contains(du.Units, ",") {
			return err
		}
		if eu, err = appFind(ctx, s, "eu", du.Units+"."); err != nil {
			return err
		}
	}
	cmd := eu.Path + "SetRequestedState()"
	resp, err := s.client.Operate(ctx, s.to, cmd, "", map[string]string{"RequestedState": state})
	if err != nil {
		return about(err, cmd)
	}
	for _, res := range resp.GetOperationResults() {
		if f := res.GetCmdFailure(); f != nil {
			r.fail(pathError{Path: res.GetExecutedCommand(), Code: f.GetErrCode(), Message: f.GetErrMsg()})
			return nil
		}
	}
	deadline := time.Now().Add(af.wait)
	for {
		now, err := appFind(ctx, s, "eu", eu.ID)
		if err != nil {
			return err
		}
		if now.Status == state {
			r.add(now)
			return nil
		}
		if state == "Active" && now.Wanted == "Idle" && now.Fault != "" {
			// The start failed and the Agent gave up (RequestedState
			// back to Idle): no use waiting.
			r.fail(pathError{Path: now.Path, Message: "not started: " + now.Fault})
			return nil
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("%s, not %s, after %v (-wait)", now.Status, state, af.wait)
			if now.Fault != "" {
				msg += "; " + now.Fault
			}
			r.fail(pathError{Path: now.Path, Message: msg})
			return nil
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
