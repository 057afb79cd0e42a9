package usp_test

import (
	"context"
	"testing"
	"time"

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
	s := tr181.NewSchema(tr181.Config{
		Manufacturer: "uspmesh", ManufacturerOUI: "012345", ModelName: "AP-1", SerialNumber: "AP0001",
		SoftwareVersion: "1.0.0", EndpointID: string(agentID),
		Now: func() time.Time { return harnessClock }, Boot: harnessClock.Add(-time.Hour),
		Recipient: usp.ControllerPathFrom,
	})
	m, err := datamodel.NewModel(ctx, s, datamodel.Config{})
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
