package node

import (
	"context"
	"maps"
	"slices"
	"strconv"

	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/leader"
	"github.com/uspmesh/uspmesh/usp"
)

// report is the leader loop's Report: it writes what the loop does into
// this node's Device.X_USPMESH_Mesh. (Plan, its Assignment and Input rows
// and the Node rows' Reachable). Unchanged values are not written, so they notify
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
	rows := make(map[string]map[string]string, len(as))
	for _, a := range as {
		rows[a.Radio] = a.Params()
	}
	return r.replaceRows(ctx, meshRoot+"Plan.Assignment.", rows)
}

// Inputs implements leader.Report: one Plan.Input row per radio of in;
// rows of radios no longer measured are deleted.
func (r report) Inputs(ctx context.Context, in []leader.Input) error {
	rows := make(map[string]map[string]string, len(in))
	for _, x := range in {
		rows[x.Radio] = x.Params()
	}
	return r.replaceRows(ctx, meshRoot+"Plan.Input.", rows)
}

// replaceRows makes the table keyed by Radio hold rows: each row is
// added or updated (unchanged values are not written), rows of other
// radios are deleted.
func (r report) replaceRows(ctx context.Context, table string, rows map[string]map[string]string) error {
	for _, radio := range slices.Sorted(maps.Keys(rows)) {
		if err := upsertRow(ctx, r.n.model, table, "Radio", radio, rows[radio]); err != nil {
			return err
		}
	}
	radios, err := keyValues(ctx, r.n.model, table, "Radio")
	if err != nil {
		return err
	}
	for _, radio := range radios {
		if _, ok := rows[radio]; !ok {
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
