package webui

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/proto"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/proto/usprecord"
)

// The page's protobuf codec (usp.js) runs in headless Chromium (Debian's
// chromium; the test skips without it) against the Go protobuf types:
// what it encodes Go decodes, and what Go encodes it decodes.

// browser evaluates JavaScript in a blank page with usp.js loaded.
func browser(t *testing.T) func(expr string) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium (scripts/deps.sh installs it):", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.Flag("headless", "new"), chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// The first run starts the browser, which lives as long as its context.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	src, err := static.ReadFile("static/usp.js")
	if err != nil {
		t.Fatal(err)
	}
	// eval returns the string expr evaluates to.
	eval := func(expr string) string {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := chromedp.Run(tctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %.80q: %v", expr, err)
		}
		return s
	}
	// A classic script's top-level var becomes a global of the page.
	eval(string(src) + `; window.USP = USP; 
		window.b64 = (u8) => btoa(String.fromCharCode(...u8));
		window.unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)); "ok"`)
	return eval
}

// jsRecord runs expr (a Msg's bytes) in a Record and decodes it in Go.
func jsRecord(t *testing.T, eval func(string) string, expr string) (*usprecord.Record, *uspmsg.Msg) {
	t.Helper()
	b64 := eval(`b64(USP.encodeRecord("os::agent", "proto::ui", ` + expr + `))`)
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	var rec usprecord.Record
	if err := proto.Unmarshal(raw, &rec); err != nil {
		t.Fatalf("Go cannot decode the page's Record: %v", err)
	}
	if rec.GetVersion() != "1.4" || rec.GetToId() != "os::agent" || rec.GetFromId() != "proto::ui" || rec.GetNoSessionContext() == nil {
		t.Fatalf("record %v", &rec)
	}
	var msg uspmsg.Msg
	if err := proto.Unmarshal(rec.GetNoSessionContext().GetPayload(), &msg); err != nil {
		t.Fatalf("Go cannot decode the page's Msg: %v", err)
	}
	return &rec, &msg
}

func TestCodecEncodes(t *testing.T) {
	eval := browser(t)
	want := func(t *testing.T, got, want *uspmsg.Msg) {
		t.Helper()
		if !proto.Equal(got, want) {
			t.Fatalf("got  %v\nwant %v", got, want)
		}
	}
	t.Run("Get", func(t *testing.T) {
		_, m := jsRecord(t, eval, `USP.encodeGet("ui-1", ["Device.WiFi.Radio.", "Device.DeviceInfo.FriendlyName"], 2)`)
		want(t, m, &uspmsg.Msg{Header: &uspmsg.Header{MsgId: "ui-1", MsgType: uspmsg.Header_GET},
			Body: &uspmsg.Body{MsgBody: &uspmsg.Body_Request{Request: &uspmsg.Request{ReqType: &uspmsg.Request_Get{Get: &uspmsg.Get{
				ParamPaths: []string{"Device.WiFi.Radio.", "Device.DeviceInfo.FriendlyName"}, MaxDepth: 2}}}}}})
	})
	t.Run("Add", func(t *testing.T) {
		_, m := jsRecord(t, eval, `USP.encodeAdd("ui-2", [{path: "Device.LocalAgent.Subscription.", params: [
			{param: "ID", value: "é-1", required: true}, {param: "NotifRetry", value: "false", required: false}]}], false)`)
		want(t, m, &uspmsg.Msg{Header: &uspmsg.Header{MsgId: "ui-2", MsgType: uspmsg.Header_ADD},
			Body: &uspmsg.Body{MsgBody: &uspmsg.Body_Request{Request: &uspmsg.Request{ReqType: &uspmsg.Request_Add{Add: &uspmsg.Add{
				CreateObjs: []*uspmsg.Add_CreateObject{{ObjPath: "Device.LocalAgent.Subscription.", ParamSettings: []*uspmsg.Add_CreateParamSetting{
					{Param: "ID", Value: "é-1", Required: true}, {Param: "NotifRetry", Value: "false"}}}}}}}}}})
	})
	t.Run("NotifyResp", func(t *testing.T) {
		_, m := jsRecord(t, eval, `USP.encodeNotifyResp("n-7", "uspmesh-ui-1-radio")`)
		want(t, m, &uspmsg.Msg{Header: &uspmsg.Header{MsgId: "n-7", MsgType: uspmsg.Header_NOTIFY_RESP},
			Body: &uspmsg.Body{MsgBody: &uspmsg.Body_Response{Response: &uspmsg.Response{RespType: &uspmsg.Response_NotifyResp{
				NotifyResp: &uspmsg.NotifyResp{SubscriptionId: "uspmesh-ui-1-radio"}}}}}})
	})
}

func TestCodecDecodes(t *testing.T) {
	eval := browser(t)
	resp := func(r *uspmsg.Response) *uspmsg.Body {
		return &uspmsg.Body{MsgBody: &uspmsg.Body_Response{Response: r}}
	}
	notify := func(n *uspmsg.Notify) *uspmsg.Body {
		return &uspmsg.Body{MsgBody: &uspmsg.Body_Request{Request: &uspmsg.Request{ReqType: &uspmsg.Request_Notify{Notify: n}}}}
	}
	for _, tc := range []struct {
		name string
		typ  uspmsg.Header_MsgType
		body *uspmsg.Body
		want string // JSON of decodeMsg's result
	}{
		{"GetResp", uspmsg.Header_GET_RESP, resp(&uspmsg.Response{RespType: &uspmsg.Response_GetResp{GetResp: &uspmsg.GetResp{
			ReqPathResults: []*uspmsg.GetResp_RequestedPathResult{
				{RequestedPath: "Device.WiFi.Radio.", ResolvedPathResults: []*uspmsg.GetResp_ResolvedPathResult{
					{ResolvedPath: "Device.WiFi.Radio.1.", ResultParams: map[string]string{"Channel": "6"}}}},
				{RequestedPath: "Device.Nope.", ErrCode: 7026, ErrMsg: "invalid path"}}}}}),
			`{"id":"m","type":2,"getResp":[{"requestedPath":"Device.WiFi.Radio.","errCode":0,"errMsg":"","resolved":[{"path":"Device.WiFi.Radio.1.","params":{"Channel":"6"}}]},` +
				`{"requestedPath":"Device.Nope.","errCode":7026,"errMsg":"invalid path","resolved":[]}]}`},
		{"AddResp", uspmsg.Header_ADD_RESP, resp(&uspmsg.Response{RespType: &uspmsg.Response_AddResp{AddResp: &uspmsg.AddResp{
			CreatedObjResults: []*uspmsg.AddResp_CreatedObjectResult{{RequestedPath: "Device.LocalAgent.Subscription.",
				OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus{OperStatus: &uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperSuccess{
					OperSuccess: &uspmsg.AddResp_CreatedObjectResult_OperationStatus_OperationSuccess{InstantiatedPath: "Device.LocalAgent.Subscription.3.",
						UniqueKeys: map[string]string{"ID": "x"}}}}}}}}}),
			`{"id":"m","type":9,"addResp":[{"requestedPath":"Device.LocalAgent.Subscription.","errCode":0,"errMsg":"","path":"Device.LocalAgent.Subscription.3.","keys":{"ID":"x"}}]}`},
		{"Error", uspmsg.Header_ERROR, &uspmsg.Body{MsgBody: &uspmsg.Body_Error{Error: &uspmsg.Error{ErrCode: 7004, ErrMsg: "bad",
			ParamErrs: []*uspmsg.Error_ParamError{{ParamPath: "Device.LocalAgent.Subscription.", ErrCode: 7025, ErrMsg: "duplicate"}}}}},
			`{"id":"m","type":0,"error":{"code":7004,"msg":"bad","paramErrs":[{"path":"Device.LocalAgent.Subscription.","code":7025,"msg":"duplicate"}]}}`},
		{"ValueChange", uspmsg.Header_NOTIFY, notify(&uspmsg.Notify{SubscriptionId: "s", SendResp: true,
			Notification: &uspmsg.Notify_ValueChange_{ValueChange: &uspmsg.Notify_ValueChange{ParamPath: "Device.WiFi.Radio.2.Channel", ParamValue: "149"}}}),
			`{"id":"m","type":3,"notify":{"subscriptionID":"s","sendResp":true,"valueChange":{"path":"Device.WiFi.Radio.2.Channel","value":"149"}}}`},
		{"ObjectCreation", uspmsg.Header_NOTIFY, notify(&uspmsg.Notify{SubscriptionId: "c",
			Notification: &uspmsg.Notify_ObjCreation{ObjCreation: &uspmsg.Notify_ObjectCreation{ObjPath: "Device.X_USPMESH_Mesh.Node.6.",
				UniqueKeys: map[string]string{"EndpointID": "os::n6"}}}}),
			`{"id":"m","type":3,"notify":{"subscriptionID":"c","sendResp":false,"objCreation":{"path":"Device.X_USPMESH_Mesh.Node.6.","keys":{"EndpointID":"os::n6"}}}}`},
		{"ObjectDeletion", uspmsg.Header_NOTIFY, notify(&uspmsg.Notify{SubscriptionId: "d",
			Notification: &uspmsg.Notify_ObjDeletion{ObjDeletion: &uspmsg.Notify_ObjectDeletion{ObjPath: "Device.WiFi.AccessPoint.1.AssociatedDevice.4."}}}),
			`{"id":"m","type":3,"notify":{"subscriptionID":"d","sendResp":false,"objDeletion":{"path":"Device.WiFi.AccessPoint.1.AssociatedDevice.4."}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload, err := proto.Marshal(&uspmsg.Msg{Header: &uspmsg.Header{MsgId: "m", MsgType: tc.typ}, Body: tc.body})
			if err != nil {
				t.Fatal(err)
			}
			rec, err := proto.Marshal(&usprecord.Record{Version: "1.4", ToId: "proto::ui", FromId: "os::agent",
				RecordType: &usprecord.Record_NoSessionContext{NoSessionContext: &usprecord.NoSessionContextRecord{Payload: payload}}})
			if err != nil {
				t.Fatal(err)
			}
			got := eval(`(() => { const r = USP.decodeRecord(unb64("` + base64.StdEncoding.EncodeToString(rec) + `"));
				if (r.to !== "proto::ui" || r.from !== "os::agent" || r.version !== "1.4" || r.kind !== "no_session_context") throw new Error("record " + JSON.stringify(r));
				return JSON.stringify(USP.decodeMsg(r.payload)); })()`)
			var g, w any
			if err := json.Unmarshal([]byte(got), &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.want), &w); err != nil {
				t.Fatal(err)
			}
			gb, _ := json.Marshal(g)
			wb, _ := json.Marshal(w)
			if string(gb) != string(wb) {
				t.Fatalf("decoded\n %s\nwant\n %s", gb, wb)
			}
		})
	}
	// Bytes that are no protobuf are refused, not misread.
	if eval(`(() => { try { USP.decodeMsg(Uint8Array.from([10, 200])); return "accepted"; } catch (e) { return e.message; } })()`) == "accepted" {
		t.Fatal("a truncated Msg was accepted")
	}
}
