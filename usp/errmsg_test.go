package usp_test

import (
	"strings"
	"testing"
)

// TestErrMsgSaysPathAndCodeOnce: an error result carries its path and
// code in their own fields; its err_msg does not repeat them (it read
// "datamodel: Device.Nope.: Device. has no object Nope (7026)").
func TestErrMsgSaysPathAndCodeOnce(t *testing.T) {
	h := newHarness(t)
	r := h.send(ctrlID, get([]string{"Device.Nope."}, 0))
	rr := r.GetBody().GetResponse().GetGetResp().GetReqPathResults()
	if len(rr) != 1 || rr[0].GetErrCode() != 7026 {
		t.Fatalf("Get Device.Nope.: %v", r)
	}
	msg := rr[0].GetErrMsg()
	if msg == "" || strings.Contains(msg, "7026") || strings.Contains(msg, "Device.Nope.") || strings.HasPrefix(msg, "datamodel:") {
		t.Fatalf("err_msg %q repeats the path or the code", msg)
	}
}
