package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/history"
)

// historyFlags are the flags of meshctl history.
type historyFlags struct {
	home         bool
	since        time.Duration
	from, until  string
	kind, mac    string
	limit        int
	historyClock func() time.Time
}

// historyCommands is meshctl history.
func historyCommands() []command {
	hf := historyFlags{historyClock: time.Now}
	return []command{
		{name: "history", args: "[-home] [-since D | -from T] [-until T] [-kind K] [-mac MAC] [-limit N]",
			help: "Print a node's history (Device.X_USPMESH_Mesh.History.Query()): its radios' channel, busy and own airtime, noise and clients, its clients' RSSI, rates and retries, and mesh events, oldest first. With -home, ask the leader (-agent) for the whole home's timeline (Device.X_USPMESH_Mesh.Timeline()), each record tagged with its node.",
			flags: func(fs *flag.FlagSet, _ *cmdFlags) {
				fs.BoolVar(&hf.home, "home", false, "the home's timeline, from the leader")
				fs.DurationVar(&hf.since, "since", 0, "records of the last D (e.g. 10m)")
				fs.StringVar(&hf.from, "from", "", "records from this time (RFC 3339, e.g. 2026-12-06T02:00:00Z)")
				fs.StringVar(&hf.until, "until", "", "records until this time (RFC 3339)")
				fs.StringVar(&hf.kind, "kind", "", "Radio, Client or Event (comma-separated; default all)")
				fs.StringVar(&hf.mac, "mac", "", "only this client's records (other kinds are kept)")
				fs.IntVar(&hf.limit, "limit", 1000, "the newest N records (at most 10000)")
			},
			run: func(ctx context.Context, s *session, _ *cmdFlags, _ []string, r *report) error {
				return runHistory(ctx, s, hf, r)
			}},
	}
}

// historyArgs are the command's input arguments.
func (hf historyFlags) historyArgs() (map[string]string, error) {
	in := map[string]string{"Limit": strconv.Itoa(hf.limit)}
	if hf.since > 0 && hf.from != "" {
		return nil, &usageError{"give -since or -from, not both"}
	}
	if hf.since > 0 {
		in["From"] = hf.historyClock().Add(-hf.since).UTC().Format(time.RFC3339)
	}
	for _, f := range []struct{ flag, arg, v string }{{"from", "From", hf.from}, {"until", "To", hf.until}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.v)
		if err != nil {
			return nil, &usageError{fmt.Sprintf("-%s %q: want RFC 3339, e.g. 2026-12-06T02:00:00Z", f.flag, f.v)}
		}
		in[f.arg] = t.UTC().Format(time.RFC3339)
	}
	if hf.kind != "" {
		in["Kind"] = hf.kind
	}
	if hf.mac != "" {
		in["MAC"] = hf.mac
	}
	return in, nil
}

func runHistory(ctx context.Context, s *session, hf historyFlags, r *report) error {
	in, err := hf.historyArgs()
	if err != nil {
		return err
	}
	cmd := "Device.X_USPMESH_Mesh.History.Query()"
	if hf.home {
		cmd = "Device.X_USPMESH_Mesh.Timeline()"
	}
	resp, err := s.client.Operate(ctx, s.to, cmd, "", in)
	if err != nil {
		return about(err, cmd)
	}
	for _, res := range resp.GetOperationResults() {
		if f := res.GetCmdFailure(); f != nil {
			r.fail(pathError{Path: cmd, Code: f.GetErrCode(), Message: f.GetErrMsg()})
			continue
		}
		out := res.GetReqOutputArgs().GetOutputArgs()
		var recs []historyRecord
		if err := json.Unmarshal([]byte(out["Records"]), &recs); err != nil {
			return fmt.Errorf("%s: records: %w", cmd, err)
		}
		for _, rec := range recs {
			r.add(rec)
		}
		if out["Truncated"] == "true" {
			r.add(historyTruncated{Truncated: true})
		}
		if failed := out["Failed"]; failed != "" {
			r.fail(pathError{Path: cmd, Message: "no answer from " + failed})
		}
	}
	return nil
}

// historyRecord is one record of a history or timeline (Node is set in
// a timeline).
type historyRecord struct {
	Node string `json:"node,omitempty"`
	history.Record
}

// text prints the record on one line: time, node, kind, then its values.
func (h historyRecord) text(w io.Writer) {
	cols := []string{h.Time.UTC().Format(time.RFC3339)}
	if h.Node != "" {
		cols = append(cols, h.Node)
	}
	cols = append(cols, string(h.Kind))
	switch h.Kind {
	case history.KindRadio:
		cols = append(cols, h.Radio, fmt.Sprintf("ch %d", h.Channel), fmt.Sprintf("busy %d%%", h.BusyPct),
			fmt.Sprintf("own %d%%", h.OwnPct), fmt.Sprintf("noise %d dBm", h.NoiseDBm), fmt.Sprintf("clients %d", h.Clients))
	case history.KindClient:
		cols = append(cols, h.Radio, h.MAC, fmt.Sprintf("rssi %d dBm", h.RSSI), fmt.Sprintf("tx %d Mb/s", h.TxRateMbps),
			fmt.Sprintf("rx %d Mb/s", h.RxRateMbps), fmt.Sprintf("retry %d%%", h.RetryPct))
	default:
		cols = append(cols, string(h.Event))
		if h.Radio != "" {
			cols = append(cols, h.Radio, fmt.Sprintf("ch %d", h.Channel))
		}
		if h.Subject != "" {
			cols = append(cols, h.Subject)
		}
	}
	fmt.Fprintln(w, strings.Join(cols, "  "))
}

// historyTruncated says the Agent left older records out to keep its
// answer small.
type historyTruncated struct {
	Truncated bool `json:"truncated"`
}

func (historyTruncated) text(w io.Writer) {
	fmt.Fprintln(w, "(older records left out to keep the answer small: narrow it with -since, -from, -kind or -mac)")
}
