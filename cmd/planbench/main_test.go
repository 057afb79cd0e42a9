package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

func TestParseClasses(t *testing.T) {
	got, err := parseClasses("3-4, 20")
	if err != nil || len(got) != 2 || got[0] != (class{3, 4}) || got[1] != (class{20, 20}) {
		t.Fatalf("parseClasses = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "5-3", "x", "3-", "1000"} {
		if _, err := parseClasses(bad); err == nil {
			t.Errorf("parseClasses(%q) accepted", bad)
		}
	}
}

func TestRunJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"-homes", "2", "-classes", "3,20", "-json", "-ref-runs", "1", "-ref-restarts", "2", "-ref-sweeps", "300"}, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	var rows []row
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("rows %v, %v: %s", rows, err, out.String())
	}
	if rows[0].Reference != "exact" || rows[1].Reference != "best of 1 runs 2x300" {
		t.Errorf("references %q, %q", rows[0].Reference, rows[1].Reference)
	}
	if rows[1].GapMean < 0 || rows[1].Captured <= 0 {
		t.Errorf("unproven reference: gap %v%%, captured %v%%", rows[1].GapMean, rows[1].Captured)
	}
	if rows[0].GapWorst > 5 {
		t.Errorf("gap to the optimum %v%% on 3-AP homes", rows[0].GapWorst)
	}
}

func TestRunRejectsFlags(t *testing.T) {
	for _, args := range [][]string{{"-homes", "0"}, {"-ref-runs", "-1"}, {"-ref-sweeps", "0"}, {"-ref-restarts", "0"}, {"extra"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("run(%q) accepted", args)
		}
	}
}
