package node

import (
	"context"
	"strconv"

	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/leader"
	"github.com/uspmesh/uspmesh/usp"
)

// report is the leader loop's Report: it writes what the loop does into
// this node's Device.X_USPMESH_Mesh. (Plan, its Assignment rows and the
// Node rows' Reachable). Unchanged values are not written, so they notify
// nobody.
type report struct{ n *Node }

var _ leader.Report = report{}

// Plan implements leader.Report.
func (r report) Plan(ctx context.Context, s leader.PlanStatus) error {
	return setParams(ctx, r.n.model, meshRoot+"Plan.", s.Params())
}

// Assignments implements leader.Report: one row per radio of as; rows of
// radios no longer planned are deleted.
func (r report) Assignments(ctx context.Context, as []leader.Assignment) error {
	const table = meshRoot + "Plan.Assignment."
	keep := map[string]bool{}
	for _, a := range as {
		keep[a.Radio] = true
		if err := upsertRow(ctx, r.n.model, table, "Radio", a.Radio, a.Params()); err != nil {
			return err
		}
	}
	radios, err := keyValues(ctx, r.n.model, table, "Radio")
	if err != nil {
		return err
	}
	for _, radio := range radios {
		if !keep[radio] {
			if _, err := deleteRows(ctx, r.n.model, table+"[Radio=="+path.Quote(radio)+"]."); err != nil {
				return err
			}
		}
	}
	return nil
}

// AssignmentStatus implements leader.Report.
func (r report) AssignmentStatus(ctx context.Context, radio, status string) error {
	return upsertRow(ctx, r.n.model, meshRoot+"Plan.Assignment.", "Radio", radio, map[string]string{"Status": status})
}

// Reachable implements leader.Report.
func (r report) Reachable(ctx context.Context, a usp.EndpointID, ok bool) error {
	return upsertRow(ctx, r.n.model, meshRoot+"Node.", "EndpointID", string(a), map[string]string{"Reachable": strconv.FormatBool(ok)})
}
