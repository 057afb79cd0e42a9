package usp

import (
	"context"
	"fmt"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
)

// TR-181 paths the Controller table uses.
const (
	controllerTable = "Device.LocalAgent.Controller."
	untrustedRole   = "Device.LocalAgent.ControllerTrust.UntrustedRole"
)

// ControllerTable returns an AgentConfig.Controllers function over m's
// Device.LocalAgent.Controller table: it finds the row whose EndpointID is
// the Controller's, or adds one (Enable true, AssignedRole = the
// ControllerTrust.UntrustedRole value, R-SEC.6) for a Controller the Agent
// has never seen, and returns the row path without its trailing dot.
func ControllerTable(m *datamodel.Model) func(ctx context.Context, id EndpointID) (string, error) {
	return func(ctx context.Context, id EndpointID) (string, error) {
		p, err := path.Parse(controllerTable + `[EndpointID==` + path.Quote(string(id)) + `].`)
		if err != nil {
			return "", fmt.Errorf("usp: controller %s: %w", id, err)
		}
		if insts, err := m.Instances(ctx, p, true, nil); err == nil && len(insts) > 0 {
			return strings.TrimSuffix(insts[0].Path, "."), nil
		}
		tx := m.Begin(ctx)
		defer tx.Rollback()
		// Look again under the write lock: another request may have added it.
		if objs, err := tx.Objects(p); err == nil && len(objs) > 0 {
			return strings.TrimSuffix(objs[0].Path(), "."), nil
		}
		tp, _ := path.Parse(controllerTable)
		tabs, err := tx.Tables(tp)
		if err != nil || len(tabs) != 1 {
			return "", fmt.Errorf("usp: controller table: %w", err)
		}
		role := ""
		if rp, err := path.Parse(untrustedRole); err == nil {
			if res, err := tx.Get(rp, 0); err == nil && len(res) == 1 {
				role = res[0].Params[0].Value
			}
		}
		ups := []datamodel.ParamUpdate{{Param: "EndpointID", Value: string(id), Required: true}, {Param: "Enable", Value: "true"}}
		if role != "" {
			ups = append(ups, datamodel.ParamUpdate{Param: "AssignedRole", Value: role})
		}
		res, err := tx.Add(tabs[0], ups, datamodel.WriteOptions{Internal: true})
		if err != nil {
			return "", fmt.Errorf("usp: add controller %s: %w", id, err)
		}
		if err := tx.Commit(); err != nil {
			return "", fmt.Errorf("usp: add controller %s: %w", id, err)
		}
		return strings.TrimSuffix(res.Path, "."), nil
	}
}
