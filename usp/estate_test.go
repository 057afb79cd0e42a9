package usp_test

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/access"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// estate is one Agent with access control (an access.Evaluator asked by
// both the Agent and its Notifier) over a populated TR-181 model, and
// several Controllers (Clients) on an in-memory network, each keeping the
// notifications it receives. Changes come from the Controllers (USP) or
// from the device itself (internal writes, as the radio layer makes
// them).
type estate struct {
	t       testing.TB
	m       *datamodel.Model
	ev      *access.Evaluator
	roles   map[string]string
	agent   *usp.Agent
	nt      *usp.Notifier
	net     *memNet
	tenants map[usp.EndpointID]*tenant
}

// tenant is one Controller of the estate and what it was sent.
type tenant struct {
	id  usp.EndpointID
	c   *usp.Client
	mu  sync.Mutex
	got []*uspmsg.Notify // not yet taken
	n   int              // received in all
	// arrived gets a token per notification while it has room
	// (benchmarks wait on it).
	arrived chan struct{}
}

// estateConfig says what to build.
type estateConfig struct {
	// radios, ssids and stations are tr181.Populate's sizes.
	radios, ssids, stations int
	// roles are provisioned next to FullAccess and Untrusted.
	roles []access.RoleSpec
	// secured are the names of the SecuredRoles.
	secured []string
	// controllers are the Controllers and the names of their roles.
	controllers map[usp.EndpointID][]string
	// open leaves the Agent and the Notifier without access control
	// (the roles are still provisioned).
	open bool
}

func newEstate(t testing.TB, cfg estateConfig) *estate {
	t.Helper()
	ctx := context.Background()
	m, err := datamodel.NewModel(ctx, tr181.NewSchema(testDevice()), datamodel.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr181.Populate(ctx, m, cfg.radios, cfg.ssids, cfg.stations); err != nil {
		t.Fatal(err)
	}
	e := &estate{t: t, m: m, net: newMemNet(), tenants: map[usp.EndpointID]*tenant{}}
	e.ev, e.roles = newAccess(t, m, cfg.roles...)
	trust := access.Trust{Untrusted: []string{e.roles["Untrusted"]}}
	for _, n := range cfg.secured {
		trust.Secured = append(trust.Secured, e.roles[n])
	}
	if err := access.SetTrust(ctx, m, trust); err != nil {
		t.Fatal(err)
	}
	var ac usp.AccessControl = evaluatorAccess{e.ev}
	if cfg.open {
		ac = nil
	}
	e.nt, err = usp.NewNotifier(ctx, usp.NotifierConfig{Agent: agentID, Model: m, Transport: e.net.as(agentID),
		Access: ac, Clock: clock.NewFake(harnessClock), Rand: func() float64 { return 0.5 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.nt.Close)
	e.agent, err = usp.NewAgent(usp.AgentConfig{EndpointID: agentID, Model: m, Access: ac,
		Controllers: usp.ControllerTable(m), Responses: e.nt.HandleResponse})
	if err != nil {
		t.Fatal(err)
	}
	e.agent.OnOperationComplete(e.nt.OperationComplete)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.agent.Close(ctx); err != nil {
			t.Errorf("agent close: %v", err)
		}
	})
	e.net.attachAgent(e.agent)
	ids := make([]usp.EndpointID, 0, len(cfg.controllers))
	for id := range cfg.controllers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		assignRoles(t, m, e.roles, id, cfg.controllers[id]...)
		tn := &tenant{id: id, arrived: make(chan struct{}, 64)}
		tn.c, err = usp.NewClient(usp.ClientConfig{EndpointID: id, Transport: e.net.as(id), Timeout: 5 * time.Second,
			OnNotify: func(_ usp.EndpointID, n *uspmsg.Notify) {
				tn.mu.Lock()
				tn.got = append(tn.got, n)
				tn.n++
				tn.mu.Unlock()
				select {
				case tn.arrived <- struct{}{}:
				default:
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(tn.c.Close)
		e.net.attachClient(tn.c)
		e.tenants[id] = tn
	}
	return e
}

// do sends req from Controller id and returns the Agent's response, or
// the Error message as a *usp.ResponseError.
func (e *estate) do(id usp.EndpointID, req *uspmsg.Request) (*uspmsg.Response, error) {
	e.t.Helper()
	tn := e.tenants[id]
	if tn == nil {
		e.t.Fatalf("no controller %s", id)
	}
	return tn.c.Do(context.Background(), agentID, req)
}

// resp is do for requests that must succeed.
func (e *estate) resp(id usp.EndpointID, req *uspmsg.Request) *uspmsg.Response {
	e.t.Helper()
	r, err := e.do(id, req)
	if err != nil {
		e.t.Fatalf("%s: %v", id, err)
	}
	return r
}

// view returns what a Get of paths shows Controller id, as sorted
// "full.path=value" lines.
func (e *estate) view(id usp.EndpointID, paths ...string) []string {
	e.t.Helper()
	out := []string{}
	for _, rr := range e.resp(id, get(paths, 0)).GetGetResp().GetReqPathResults() {
		if rr.GetErrCode() != 0 {
			e.t.Fatalf("%s: Get %s: %d %s", id, rr.GetRequestedPath(), rr.GetErrCode(), rr.GetErrMsg())
		}
		for _, res := range rr.GetResolvedPathResults() {
			for k, v := range res.GetResultParams() {
				out = append(out, res.GetResolvedPath()+k+"="+v)
			}
		}
	}
	sort.Strings(out)
	return out
}

// subscribe adds a Subscription for Controller id and returns its ID.
func (e *estate) subscribe(id usp.EndpointID, s usp.Subscription) string {
	e.t.Helper()
	_, sid, err := e.tenants[id].c.Subscribe(context.Background(), agentID, s)
	if err != nil {
		e.t.Fatalf("%s: subscribe: %v", id, err)
	}
	return sid
}

// radio changes parameters the way the device itself does: an internal
// write, outside any Controller's request.
func (e *estate) radio(obj string, kv ...string) {
	e.t.Helper()
	ctx := context.Background()
	tx := e.m.Begin(ctx)
	defer tx.Rollback()
	p, err := path.Parse(obj)
	if err != nil {
		e.t.Fatal(err)
	}
	objs, err := tx.Objects(p)
	if err != nil || len(objs) != 1 {
		e.t.Fatalf("radio: %s: %v", obj, err)
	}
	if _, err := tx.Update(objs[0], updates(kv...), datamodel.WriteOptions{Internal: true}); err != nil {
		e.t.Fatalf("radio: %s: %v", obj, err)
	}
	if err := tx.Commit(); err != nil {
		e.t.Fatal(err)
	}
}

// radioAdd adds a row the way the device does (a station associates) and
// returns its path.
func (e *estate) radioAdd(table string, kv ...string) string {
	e.t.Helper()
	ctx := context.Background()
	tx := e.m.Begin(ctx)
	defer tx.Rollback()
	p, err := path.Parse(table)
	if err != nil {
		e.t.Fatal(err)
	}
	tabs, err := tx.Tables(p)
	if err != nil || len(tabs) != 1 {
		e.t.Fatalf("radio: %s: %v", table, err)
	}
	res, err := tx.Add(tabs[0], updates(kv...), datamodel.WriteOptions{Internal: true})
	if err != nil {
		e.t.Fatalf("radio: add %s: %v", table, err)
	}
	if err := tx.Commit(); err != nil {
		e.t.Fatal(err)
	}
	return res.Path
}

func updates(kv ...string) []datamodel.ParamUpdate {
	var ups []datamodel.ParamUpdate
	for i := 0; i+1 < len(kv); i += 2 {
		ups = append(ups, datamodel.ParamUpdate{Param: kv[i], Value: kv[i+1], Required: true})
	}
	return ups
}

// settle waits until every notification the Notifier queued has reached
// its Controller. Notifications are matched and queued while the change
// commits, so once the changes have returned, the count is final.
func (e *estate) settle() {
	e.t.Helper()
	waitFor(e.t, func() bool {
		queued, dropped := e.nt.Stats()
		if dropped != 0 {
			e.t.Fatalf("%d notifications dropped", dropped)
		}
		n := 0
		for _, tn := range e.tenants {
			tn.mu.Lock()
			n += tn.n
			tn.mu.Unlock()
		}
		return uint64(n) == queued
	})
}

// take settles, then returns and forgets what Controller id was sent, as
// sorted lines; every notification must carry one of its subscriptions'
// IDs (subs).
func (e *estate) take(id usp.EndpointID, subs ...string) []string {
	e.t.Helper()
	e.settle()
	tn := e.tenants[id]
	tn.mu.Lock()
	got := tn.got
	tn.got = nil
	tn.mu.Unlock()
	out := []string{}
	for _, n := range got {
		if !contains(subs, n.GetSubscriptionId()) {
			e.t.Errorf("%s: notification for subscription %q, not one of its own %q", id, n.GetSubscriptionId(), subs)
		}
		out = append(out, notifyLine(n))
	}
	sort.Strings(out)
	return out
}

// notifyLine renders one notification: "value <path>=<value>",
// "created <row>", "deleted <row>", "done <command> <err_code>", "event
// <path><name>".
func notifyLine(n *uspmsg.Notify) string {
	switch {
	case n.GetValueChange() != nil:
		return "value " + n.GetValueChange().GetParamPath() + "=" + n.GetValueChange().GetParamValue()
	case n.GetObjCreation() != nil:
		return "created " + n.GetObjCreation().GetObjPath()
	case n.GetObjDeletion() != nil:
		return "deleted " + n.GetObjDeletion().GetObjPath()
	case n.GetOperComplete() != nil:
		c := n.GetOperComplete()
		return "done " + c.GetObjPath() + c.GetCommandName() + " " + itoa(c.GetCmdFailure().GetErrCode())
	case n.GetEvent() != nil:
		return "event " + n.GetEvent().GetObjPath() + n.GetEvent().GetEventName()
	}
	return "other " + strings.TrimSpace(n.String())
}
