package usp_test

import (
	"context"
	"slices"
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

// latencies are the per-iteration latencies of a benchmark; report gives
// their median, 99th percentile and worst as metrics (target: worst
// ≤ 50 ms; R-NOT.0a allows 10 s).
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	b.ReportMetric(us(s[len(s)/2]), "p50-µs")
	b.ReportMetric(us(s[len(s)*99/100]), "p99-µs")
	b.ReportMetric(us(s[len(s)-1]), "worst-µs")
}

// BenchmarkChangeToNotify measures a committed value change until its
// Notify gets out, in process:
//
//   - to-transport: until the Notifier hands the Record to its Transport
//     (no access control);
//   - to-controller/…: a radio change (internal write) of a Wi-Fi channel
//     until the operator's Client has decoded the Notify, on the
//     in-memory network of the multi-tenant home; open is without access
//     control, access-control asks the Evaluator for every subscription's
//     recipient, 3-subscribers has the security provider and the guest
//     app subscribed too (their notifications are filtered out).
func BenchmarkChangeToNotify(b *testing.B) {
	b.Run("to-transport", benchToTransport)
	b.Run("to-controller/open", func(b *testing.B) { benchToController(b, true, operatorID) })
	b.Run("to-controller/access-control", func(b *testing.B) { benchToController(b, false, operatorID) })
	b.Run("to-controller/access-control/3-subscribers", func(b *testing.B) {
		benchToController(b, false, operatorID, securityID, ownerID)
	})
}

func benchToTransport(b *testing.B) {
	a, m := benchAgent(b)
	sig := make(signalTransport, 1)
	nt, err := usp.NewNotifier(context.Background(), usp.NotifierConfig{Agent: agentID, Model: m, Transport: sig})
	if err != nil {
		b.Fatal(err)
	}
	defer nt.Close()
	roundTrip(b, a, encodedRequest(b, "sub", add(false, create("Device.LocalAgent.Subscription.", "Enable", "true",
		"NotifType", "ValueChange", "ReferenceList", "Device.DeviceInfo.FriendlyName"))))
	p, _ := path.Parse("Device.DeviceInfo.")
	ctx := context.Background()
	var lat latencies
	i := 0
	for b.Loop() {
		start := time.Now()
		tx := m.Begin(ctx)
		objs, _ := tx.Objects(p)
		if _, err := tx.Update(objs[0], []datamodel.ParamUpdate{{Param: "FriendlyName", Value: "n" + strconv.Itoa(i)}}, datamodel.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		<-sig
		lat = append(lat, time.Since(start))
		i++
	}
	lat.report(b)
}

// benchToController subscribes the subscribers to Wi-Fi channel changes
// and measures each radio change until the operator receives it.
func benchToController(b *testing.B, open bool, subscribers ...usp.EndpointID) {
	cfg := homeConfig()
	cfg.open = open
	e := newEstate(b, cfg)
	for _, id := range subscribers {
		e.subscribe(id, watched[0])
	}
	arrived := e.tenants[operatorID].arrived
	var lat latencies
	channels := [2]string{"1", "11"}
	i := 0
	for b.Loop() {
		start := time.Now()
		e.radio("Device.WiFi.Radio.1.", "Channel", channels[i&1])
		<-arrived
		lat = append(lat, time.Since(start))
		i++
	}
	lat.report(b)
	b.StopTimer()
	e.settle()
}
