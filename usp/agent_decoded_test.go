package usp_test

import (
	"context"
	"testing"

	"github.com/uspmesh/uspmesh/usp"
)

// TestHandleDecodedDoesNotDecodeAgain: an MTP that decoded a Record to
// check it hands the Agent the decoded Record; handling it costs at
// least one DecodeRecord's allocations less than handling the bytes.
func TestHandleDecodedDoesNotDecodeAgain(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	b := recordOf(t, agentID, ctrlID, usp.NewRequest("g", get([]string{"Device.DeviceInfo.SerialNumber"}, 0)))
	rec, err := usp.DecodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := h.a.HandleDecoded(ctx, ctrlID, rec); err != nil || out == nil {
		t.Fatalf("HandleDecoded: %v, %v", out, err) // also adds the Controller row
	}
	decode := testing.AllocsPerRun(100, func() {
		if _, err := usp.DecodeRecord(b); err != nil {
			t.Fatal(err)
		}
	})
	fromBytes := testing.AllocsPerRun(100, func() {
		if out, err := h.a.HandleRecord(ctx, ctrlID, b); err != nil || out == nil {
			t.Fatalf("HandleRecord: %v, %v", out, err)
		}
	})
	decoded := testing.AllocsPerRun(100, func() {
		if out, err := h.a.HandleDecoded(ctx, ctrlID, rec); err != nil || out == nil {
			t.Fatalf("HandleDecoded: %v, %v", out, err)
		}
	})
	t.Logf("allocs: DecodeRecord %.0f, HandleRecord %.0f, HandleDecoded %.0f", decode, fromBytes, decoded)
	if decode < 1 || fromBytes-decoded < decode {
		t.Fatalf("HandleDecoded saves %.0f allocations over HandleRecord, less than one DecodeRecord (%.0f)", fromBytes-decoded, decode)
	}
	// The Record is left as it was: the caller may still log or route it.
	if rec.GetFromId() != string(ctrlID) || rec.GetNoSessionContext() == nil {
		t.Fatalf("record changed: %v", rec)
	}
}

// TestHandleDecodedNilRecord: a nil Record is an error, not a panic.
func TestHandleDecodedNilRecord(t *testing.T) {
	h := newHarness(t)
	if out, err := h.a.HandleDecoded(context.Background(), ctrlID, nil); err == nil || out != nil {
		t.Fatalf("HandleDecoded(nil) = %v, %v", out, err)
	}
}
