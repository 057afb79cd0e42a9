package wifiopt_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/wifiopt"
	"github.com/uspmesh/uspmesh/wifiopt/gen"
)

// FuzzProblem feeds JSON-decoded problems to Validate, Evaluate, Solve,
// Exact and the baselines: none may panic, and a valid problem's plans
// must evaluate to their stated cost.
func FuzzProblem(f *testing.F) {
	for _, p := range []*wifiopt.Problem{gen.Home(1, 2), gen.Home(2, 3)} {
		b, err := json.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Radios":[{"ID":"a","Band":"6GHz","Channels":[{"Number":1},{"Number":5}],"Widths":[20,40],"Current":{"Channel":5,"Width":40},"Load":1}]}`))
	f.Add([]byte(`{"Radios":[{"ID":"a","Band":"2.4GHz","Channels":[{"Number":1}],"Current":{"Channel":1,"Width":20},"BackhaulOf":"b"}]}`))
	f.Add([]byte(`{"Radios":[{"ID":"a","Band":"5GHz","Channels":[{"Number":36},{"Number":40}],"Current":{"Channel":36,"Width":20},"Load":0.5,"ClientSignalDBm":-65},` +
		`{"ID":"b","Band":"5GHz","Channels":[{"Number":36},{"Number":40}],"Current":{"Channel":36,"Width":20},"Load":0.5}],"ClientRSSI":[{"From":"b","To":"a","RSSI":-70}]}`))
	f.Add([]byte(`{"Radios":[{"ID":"a","Band":"2.4GHz","Channels":[{"Number":6}],"Current":{"Channel":6,"Width":20},"Load":0.8,"TxPowerDBm":14,"PowerCutDB":6,"ClientSignalDBm":-35},` +
		`{"ID":"b","Band":"2.4GHz","Channels":[{"Number":6}],"Current":{"Channel":6,"Width":20},"Load":0.8,"TxPowerDBm":20,"ClientSignalDBm":-40,"PowerFixed":true}],"RSSI":[{"From":"b","To":"a","RSSI":-75}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p wifiopt.Problem
		if json.Unmarshal(data, &p) != nil || len(p.Radios) > 8 || len(p.RSSI)+len(p.Foreign)+len(p.Busy)+len(p.ClientRSSI) > 200 {
			return
		}
		if wifiopt.Validate(&p) != nil {
			if _, err := wifiopt.Solve(context.Background(), &p, wifiopt.Options{}); err == nil {
				t.Fatal("Solve accepted an invalid problem")
			}
			return
		}
		cur := map[string]wifiopt.Assignment{}
		for _, r := range p.Radios {
			cur[r.ID] = r.Current
		}
		if c, err := wifiopt.Evaluate(&p, cur); err == nil && (math.IsNaN(c) || c < 0) {
			t.Fatalf("Evaluate(current) = %v", c)
		}
		pp, err := wifiopt.PlanPower(context.Background(), &p, cur)
		if err != nil || math.IsNaN(pp.Cost) || pp.Cost < 0 {
			t.Fatalf("PlanPower = %+v, %v", pp, err)
		}
		for _, r := range p.Radios {
			if c := pp.CutDB[r.ID]; !r.PowerFixed && (c < 0 || c > wifiopt.MaxPowerCutDB) {
				t.Fatalf("radio %s cut %v dB", r.ID, c)
			}
		}
		opt := wifiopt.Options{Restarts: 2, Sweeps: 5, Budget: 10 * time.Millisecond}
		h, err := wifiopt.Solve(context.Background(), &p, opt)
		if err != nil {
			t.Fatal(err)
		}
		e, _ := wifiopt.Exact(context.Background(), &p, opt)
		lc, err := wifiopt.LeastCongested(&p)
		if err != nil {
			t.Fatal(err)
		}
		for _, pl := range []wifiopt.Plan{h, e, lc} {
			c, err := wifiopt.Evaluate(&p, pl.Assign)
			if err != nil || math.IsNaN(c) || math.Abs(c-pl.Cost) > 1e-9*max(1, c) {
				t.Fatalf("%s plan: Evaluate = %v, %v; Cost %v", pl.Method, c, err, pl.Cost)
			}
		}
	})
}
