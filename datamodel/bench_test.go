package datamodel

import (
	"context"
	"strconv"
	"testing"
)

// benchModel is the test model grown to hold at least params parameters
// (SSID rows of 5 parameters each) and subs Sub rows.
func benchModel(b *testing.B, params, subs int) *Model {
	m, _ := newTestModel(b, Config{})
	ctx := context.Background()
	tx := m.Begin(ctx)
	ssids := tables(b, tx, "Device.WiFi.SSID.")[0]
	for i := 0; i < params/5; i++ {
		if _, err := tx.Add(ssids, []ParamUpdate{{Param: "Name", Value: "s" + strconv.Itoa(i)}, {Param: "SSID", Value: "net" + strconv.Itoa(i)}}, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	st := tables(b, tx, "Device.Sub.")[0]
	for i := 0; i < subs; i++ {
		if _, err := tx.Add(st, []ParamUpdate{{Param: "TTL", Value: strconv.Itoa(i)}, {Param: "Enable", Value: strconv.FormatBool(i%2 == 0)}}, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkGetDevice reads the whole tree of a model holding at least
// 1,500 parameters (target: ≤ 2 ms).
func BenchmarkGetDevice(b *testing.B) {
	m := benchModel(b, 1500, 0)
	ctx := context.Background()
	p := mustParse(b, "Device.")
	res, _ := m.Get(ctx, p, 0, nil)
	n := 0
	for _, o := range res {
		n += len(o.Params)
	}
	if n < 1500 {
		b.Fatalf("model has %d parameters", n)
	}
	b.ReportMetric(float64(n), "params")
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Get(ctx, p, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearch1000 resolves a two-component search over a 1,000-row
// table (target: ≤ 1 ms).
func BenchmarkSearch1000(b *testing.B) {
	m := benchModel(b, 0, 1000)
	ctx := context.Background()
	p := mustParse(b, "Device.Sub.[TTL>=500&&Enable==true].ID")
	res, _ := m.Get(ctx, p, 0, nil)
	if len(res) != 250 {
		b.Fatalf("search matched %d rows, want 250", len(res))
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Get(ctx, p, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetParam reads one parameter by a plain path, parse included.
func BenchmarkGetParam(b *testing.B) {
	m := benchModel(b, 0, 0)
	ctx := context.Background()
	for b.Loop() {
		p := mustParse(b, "Device.WiFi.Radio.2.Channel")
		if _, err := m.Get(ctx, p, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetParam updates one parameter in its own transaction.
func BenchmarkSetParam(b *testing.B) {
	m := benchModel(b, 0, 0)
	ctx := context.Background()
	vals := []string{"1", "6"}
	i := 0
	for b.Loop() {
		tx := m.Begin(ctx)
		o, err := tx.Objects(mustParse(b, "Device.WiFi.Radio.1."))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Update(o[0], []ParamUpdate{{Param: "Channel", Value: vals[i%2]}}, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
