package usp

import (
	"context"
	"fmt"
	"strconv"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// Get sends a Get of paths with max_depth (0 = everything).
func (c *Client) Get(ctx context.Context, to EndpointID, maxDepth uint32, paths ...string) (*uspmsg.GetResp, error) {
	r, err := c.Do(ctx, to, &uspmsg.Request{ReqType: &uspmsg.Request_Get{Get: &uspmsg.Get{ParamPaths: paths, MaxDepth: maxDepth}}})
	if err != nil {
		return nil, err
	}
	return expect(r.GetGetResp(), r, "GetResp")
}

// Set sends a Set.
func (c *Client) Set(ctx context.Context, to EndpointID, allowPartial bool, objs ...*uspmsg.Set_UpdateObject) (*uspmsg.SetResp, error) {
	r, err := c.Do(ctx, to, &uspmsg.Request{ReqType: &uspmsg.Request_Set{Set: &uspmsg.Set{AllowPartial: allowPartial, UpdateObjs: objs}}})
	if err != nil {
		return nil, err
	}
	return expect(r.GetSetResp(), r, "SetResp")
}

// Add sends an Add.
func (c *Client) Add(ctx context.Context, to EndpointID, allowPartial bool, objs ...*uspmsg.Add_CreateObject) (*uspmsg.AddResp, error) {
	r, err := c.Do(ctx, to, &uspmsg.Request{ReqType: &uspmsg.Request_Add{Add: &uspmsg.Add{AllowPartial: allowPartial, CreateObjs: objs}}})
	if err != nil {
		return nil, err
	}
	return expect(r.GetAddResp(), r, "AddResp")
}

// Delete sends a Delete.
func (c *Client) Delete(ctx context.Context, to EndpointID, allowPartial bool, paths ...string) (*uspmsg.DeleteResp, error) {
	r, err := c.Do(ctx, to, &uspmsg.Request{ReqType: &uspmsg.Request_Delete{Delete: &uspmsg.Delete{AllowPartial: allowPartial, ObjPaths: paths}}})
	if err != nil {
		return nil, err
	}
	return expect(r.GetDeleteResp(), r, "DeleteResp")
}

// Operate sends an Operate with send_resp true and returns its response.
func (c *Client) Operate(ctx context.Context, to EndpointID, command, key string, args map[string]string) (*uspmsg.OperateResp, error) {
	r, err := c.Do(ctx, to, &uspmsg.Request{ReqType: &uspmsg.Request_Operate{Operate: &uspmsg.Operate{
		Command: command, CommandKey: key, SendResp: true, InputArgs: args}}})
	if err != nil {
		return nil, err
	}
	return expect(r.GetOperateResp(), r, "OperateResp")
}

// GetInstances sends a GetInstances.
func (c *Client) GetInstances(ctx context.Context, to EndpointID, firstLevelOnly bool, paths ...string) (*uspmsg.GetInstancesResp, error) {
	r, err := c.Do(ctx, to, &uspmsg.Request{ReqType: &uspmsg.Request_GetInstances{GetInstances: &uspmsg.GetInstances{ObjPaths: paths, FirstLevelOnly: firstLevelOnly}}})
	if err != nil {
		return nil, err
	}
	return expect(r.GetGetInstancesResp(), r, "GetInstancesResp")
}

// GetSupportedDM sends a GetSupportedDM; req's obj_paths and flags are
// used as given.
func (c *Client) GetSupportedDM(ctx context.Context, to EndpointID, req *uspmsg.GetSupportedDM) (*uspmsg.GetSupportedDMResp, error) {
	r, err := c.Do(ctx, to, &uspmsg.Request{ReqType: &uspmsg.Request_GetSupportedDm{GetSupportedDm: req}})
	if err != nil {
		return nil, err
	}
	return expect(r.GetGetSupportedDmResp(), r, "GetSupportedDMResp")
}

// GetSupportedProtocol asks the Agent's USP versions.
func (c *Client) GetSupportedProtocol(ctx context.Context, to EndpointID) (string, error) {
	r, err := c.Do(ctx, to, &uspmsg.Request{ReqType: &uspmsg.Request_GetSupportedProtocol{GetSupportedProtocol: &uspmsg.GetSupportedProtocol{
		ControllerSupportedProtocolVersions: SupportedVersions}}})
	if err != nil {
		return "", err
	}
	gr, err := expect(r.GetGetSupportedProtocolResp(), r, "GetSupportedProtocolResp")
	if err != nil {
		return "", err
	}
	return gr.GetAgentSupportedProtocolVersions(), nil
}

// Subscription describes a Subscribe request.
type Subscription struct {
	// NotifType is ValueChange, ObjectCreation, ObjectDeletion,
	// OperationComplete or Event.
	NotifType string
	// ReferenceList are the paths watched.
	ReferenceList []string
	// ID is the subscription's ID; empty lets the Agent choose.
	ID string
	// Retry asks for NotifRetry (send_resp and retries).
	Retry bool
	// Persistent subscriptions survive an Agent restart.
	Persistent bool
	// TimeToLive in seconds; 0 = forever.
	TimeToLive uint32
}

// Subscribe adds an enabled Device.LocalAgent.Subscription row and
// returns its path and ID.
func (c *Client) Subscribe(ctx context.Context, to EndpointID, s Subscription) (rowPath, id string, err error) {
	refs := ""
	for i, r := range s.ReferenceList {
		if i > 0 {
			refs += ","
		}
		refs += r
	}
	co := &uspmsg.Add_CreateObject{ObjPath: "Device.LocalAgent.Subscription.", ParamSettings: []*uspmsg.Add_CreateParamSetting{
		{Param: "Enable", Value: "true", Required: true},
		{Param: "NotifType", Value: s.NotifType, Required: true},
		{Param: "ReferenceList", Value: refs, Required: true},
		{Param: "NotifRetry", Value: strconv.FormatBool(s.Retry), Required: true},
		{Param: "Persistent", Value: strconv.FormatBool(s.Persistent), Required: true},
		{Param: "TimeToLive", Value: strconv.FormatUint(uint64(s.TimeToLive), 10), Required: true},
	}}
	if s.ID != "" {
		co.ParamSettings = append(co.ParamSettings, &uspmsg.Add_CreateParamSetting{Param: "ID", Value: s.ID, Required: true})
	}
	resp, err := c.Add(ctx, to, false, co)
	if err != nil {
		return "", "", err
	}
	res := resp.GetCreatedObjResults()
	if len(res) != 1 || res[0].GetOperStatus().GetOperSuccess() == nil {
		return "", "", fmt.Errorf("usp: subscribe: unexpected AddResp %v", resp)
	}
	ok := res[0].GetOperStatus().GetOperSuccess()
	return ok.GetInstantiatedPath(), ok.GetUniqueKeys()["ID"], nil
}

// expect returns v, or an error when the Agent answered with another
// response type.
func expect[T comparable](v T, r *uspmsg.Response, name string) (T, error) {
	var zero T
	if v == zero {
		return zero, Errorf(ErrMessageFailed, "expected %s, got %T", name, r.GetRespType())
	}
	return v, nil
}
