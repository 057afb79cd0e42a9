package usp_test

import (
	"context"
	"testing"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// benchAgent is an Agent over a fresh Device:2 model, as the harness
// builds it but without its test channels.
func benchAgent(b *testing.B) (*usp.Agent, *datamodel.Model) {
	b.Helper()
	ctx := context.Background()
	m, err := datamodel.NewModel(ctx, tr181.NewSchema(testDevice()), datamodel.Config{})
	if err != nil {
		b.Fatal(err)
	}
	a, err := usp.NewAgent(usp.AgentConfig{EndpointID: agentID, Model: m, Controllers: usp.ControllerTable(m)})
	if err != nil {
		b.Fatal(err)
	}
	return a, m
}

// encodedRequest is req from ctrlID as Record bytes.
func encodedRequest(b *testing.B, id string, req *uspmsg.Request) []byte {
	b.Helper()
	rec, err := usp.NewRecord(agentID, ctrlID, usp.NewRequest(id, req))
	if err != nil {
		b.Fatal(err)
	}
	return mustMarshal(b, rec)
}

// roundTrip is what an MTP does per Record: HandleRecord (decode,
// dispatch) and encode the answer.
func roundTrip(b *testing.B, a *usp.Agent, in []byte) []byte {
	out, err := a.HandleRecord(context.Background(), ctrlID, in)
	if err != nil || out == nil {
		b.Fatalf("HandleRecord: %v, %v", out, err)
	}
	enc, err := usp.EncodeRecord(out)
	if err != nil {
		b.Fatal(err)
	}
	return enc
}

func BenchmarkAgentGetOneParam(b *testing.B) {
	a, _ := benchAgent(b)
	in := encodedRequest(b, "g1", get([]string{"Device.DeviceInfo.SoftwareVersion"}, 0))
	roundTrip(b, a, in) // the first request adds the Controller row
	b.ReportAllocs()
	for b.Loop() {
		roundTrip(b, a, in)
	}
}

func BenchmarkAgentSetOneParam(b *testing.B) {
	a, m := benchAgent(b)
	ins := [2][]byte{
		encodedRequest(b, "s1", set(false, upd("Device.DeviceInfo.", "FriendlyName!", "mesh-a"))),
		encodedRequest(b, "s2", set(false, upd("Device.DeviceInfo.", "FriendlyName!", "mesh-b"))),
	}
	roundTrip(b, a, ins[1])
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		roundTrip(b, a, ins[i&1])
		i++
	}
	b.StopTimer()
	if v := paramValue(b, m, "Device.DeviceInfo.FriendlyName"); v != "mesh-a" && v != "mesh-b" {
		b.Fatalf("FriendlyName %q", v)
	}
}

func BenchmarkAgentGetDevice(b *testing.B) {
	a, m := benchAgent(b)
	if err := tr181.Populate(context.Background(), m, 3, 6, 20); err != nil {
		b.Fatal(err)
	}
	in := encodedRequest(b, "d1", get([]string{"Device."}, 0))
	enc := roundTrip(b, a, in)
	rec, err := usp.DecodeRecord(enc)
	if err != nil {
		b.Fatal(err)
	}
	msg, err := usp.MsgFromRecord(rec)
	if err != nil {
		b.Fatal(err)
	}
	params, objs := 0, 0
	for _, res := range msg.GetBody().GetResponse().GetGetResp().GetReqPathResults()[0].GetResolvedPathResults() {
		objs++
		params += len(res.GetResultParams())
	}
	if params < 1500 {
		b.Fatalf("only %d parameters", params)
	}
	b.Logf("Get Device.: %d parameters in %d objects, %d-byte answer", params, objs, len(enc))
	b.ReportAllocs()
	for b.Loop() {
		roundTrip(b, a, in)
	}
}

// paramValue reads one parameter straight from m.
func paramValue(b *testing.B, m *datamodel.Model, p string) string {
	b.Helper()
	pp, err := path.Parse(p)
	if err != nil {
		b.Fatal(err)
	}
	res, err := m.Get(context.Background(), pp, 0, nil)
	if err != nil || len(res) != 1 {
		b.Fatalf("Get %s: %v %v", p, res, err)
	}
	return res[0].Params[0].Value
}

// weakID is a Controller that may read the Wi-Fi but not the stations
// weaker than -70 dBm: a search Target, resolved for every message.
const weakID = usp.EndpointID("proto::strong-stations-only")

// BenchmarkGetDeviceAccess is the cost of access control on the largest
// read: a Get of Device. (3 radios, 6 SSIDs with an access point each, 20
// stations per access point) through HandleRecord and back to bytes. The
// Agent is without access control (no-access-control), or asks an
// access.Evaluator for a Controller with full access, the multi-tenant
// home's operator (Device.WiFi. and Device.DeviceInfo.), its security
// provider (stations only, a wildcard Target) or weakID (a live search
// Target). "params" is the number of parameters in the answer.
func BenchmarkGetDeviceAccess(b *testing.B) {
	cfg := homeConfig()
	cfg.radios, cfg.ssids, cfg.stations = 3, 6, 20
	cfg.roles = append(cfg.roles, role("StrongStationsOnly",
		perm(1, "Device.WiFi.", "r---", "r---", "r---", ""),
		perm(2, "Device.WiFi.AccessPoint.*.AssociatedDevice.[SignalStrength<-70].", "----", "----", "----", "")))
	cfg.controllers[weakID] = []string{"StrongStationsOnly"}
	e := newEstate(b, cfg)
	open, err := usp.NewAgent(usp.AgentConfig{EndpointID: agentID, Model: e.m, Controllers: usp.ControllerTable(e.m)})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		a    *usp.Agent
		id   usp.EndpointID
	}{
		{"no-access-control", open, adminID},
		{"full-access", e.agent, adminID},
		{"operator", e.agent, operatorID},
		{"security-provider", e.agent, securityID},
		{"search-target", e.agent, weakID},
	} {
		b.Run(c.name, func(b *testing.B) {
			rec, err := usp.NewRecord(agentID, c.id, usp.NewRequest("d1", get([]string{"Device."}, 0)))
			if err != nil {
				b.Fatal(err)
			}
			in := mustMarshal(b, rec)
			params := answeredParams(b, c.a, c.id, in)
			b.ReportAllocs()
			for b.Loop() {
				if out, err := c.a.HandleRecord(context.Background(), c.id, in); err != nil || out == nil {
					b.Fatalf("HandleRecord: %v, %v", out, err)
				} else if _, err := usp.EncodeRecord(out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(params), "params")
		})
	}
}

// answeredParams sends in once as from and counts the parameters of the
// GetResp.
func answeredParams(b *testing.B, a *usp.Agent, from usp.EndpointID, in []byte) int {
	b.Helper()
	out, err := a.HandleRecord(context.Background(), from, in)
	if err != nil || out == nil {
		b.Fatalf("HandleRecord: %v, %v", out, err)
	}
	msg, err := usp.MsgFromRecord(out)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, rr := range msg.GetBody().GetResponse().GetGetResp().GetReqPathResults() {
		if rr.GetErrCode() != 0 {
			b.Fatalf("Get %s: %d %s", rr.GetRequestedPath(), rr.GetErrCode(), rr.GetErrMsg())
		}
		for _, res := range rr.GetResolvedPathResults() {
			n += len(res.GetResultParams())
		}
	}
	return n
}
