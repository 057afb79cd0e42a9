package usp_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/usp"
)

// signalTransport reports each Record handed to it.
type signalTransport chan struct{}

func (s signalTransport) SendRecord(context.Context, usp.EndpointID, []byte) error {
	s <- struct{}{}
	return nil
}

// BenchmarkChangeToNotify measures a committed value change until its
// Notify Record reaches the Transport (target ≤ 50 ms; reported as
// ns/op and as the worst case seen).
func BenchmarkChangeToNotify(b *testing.B) {
	t := &testing.T{}
	h := newHarness(t)
	sig := make(signalTransport, 1)
	nt, err := usp.NewNotifier(context.Background(), usp.NotifierConfig{Agent: agentID, Model: h.m, Transport: sig})
	if err != nil {
		b.Fatal(err)
	}
	defer nt.Close()
	r := h.send(ctrlID, add(false, create("Device.LocalAgent.Subscription.", "Enable", "true", "NotifType", "ValueChange",
		"ReferenceList", "Device.DeviceInfo.FriendlyName")))
	if r.GetBody().GetResponse().GetAddResp() == nil {
		b.Fatalf("subscribe: %v", r)
	}
	p, _ := path.Parse("Device.DeviceInfo.")
	ctx := context.Background()
	var worst time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		tx := h.m.Begin(ctx)
		objs, _ := tx.Objects(p)
		if _, err := tx.Update(objs[0], []datamodel.ParamUpdate{{Param: "FriendlyName", Value: "n" + strconv.Itoa(i)}}, datamodel.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		<-sig
		worst = max(worst, time.Since(start))
		i++
	}
	b.ReportMetric(float64(worst.Microseconds()), "worst-µs")
}
