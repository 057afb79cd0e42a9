package usp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/proto/usprecord"
)

// Permissions is what one Controller may do, as the Agent asks it for every
// message (TR-181 LocalAgent.ControllerTrust). Denied reads behave as
// absent, denied writes are 7006, denied operates are cmd_failure 7006.
type Permissions interface {
	// ReadParam is the Param "r" right on one parameter.
	ReadParam(objPath string, p *datamodel.ParamDef) bool
	// WriteParam is the Param "w" right on one parameter.
	WriteParam(objPath string, p *datamodel.ParamDef) bool
	// AddRow is the Obj "w" right on a table.
	AddRow(tablePath string, t *datamodel.ObjectDef) bool
	// DeleteRow is the InstantiatedObj "w" right on a row.
	DeleteRow(rowPath string, t *datamodel.ObjectDef) bool
	// ListRow is the InstantiatedObj "r" right: see the row in
	// GetInstances.
	ListRow(rowPath string, t *datamodel.ObjectDef) bool
	// Operate is the CommandEvent "x" right on a command of an object.
	Operate(objPath string, c *datamodel.CommandDef) bool
	// SupportedObj is the Obj "r" right: see the object in GetSupportedDM.
	SupportedObj(o *datamodel.ObjectDef) bool
}

// AccessControl gives the Permissions of a Controller, evaluated when its
// message arrives (so role changes take effect on its next message).
type AccessControl interface {
	Permissions(ctx context.Context, controller EndpointID) Permissions
}

// AgentConfig configures an Agent.
type AgentConfig struct {
	// EndpointID is this Agent's Endpoint ID: Records to any other ID are
	// ignored.
	EndpointID EndpointID
	// Model is the data model the Agent serves.
	Model *datamodel.Model
	// Access decides what each Controller may do; nil allows everything
	// (tests and --insecure labs only).
	Access AccessControl
	// Logger receives the Agent's diagnostics; nil discards them.
	Logger *slog.Logger
	// Controllers, when set, is told of every Controller that sends a
	// valid request, before the request runs, and returns the path of its
	// Device.LocalAgent.Controller.{i} row (creating one if needed); it
	// is recorded in the request context (ControllerPathFrom).
	Controllers func(ctx context.Context, controller EndpointID) (string, error)
	// Responses, when set, receives the Response messages Controllers
	// send to the Agent (NotifyResp, for Notifier.HandleResponse).
	Responses func(from EndpointID, msgID string, resp *uspmsg.Response)
	// Subscribed, when set, is called with the request's context after a
	// Controller's Add or Set created or changed a row of
	// Device.LocalAgent.Subscription. and was committed: the MTP that
	// carried that request is where the Controller listens for its
	// notifications when its Controller row names no MTP.
	Subscribed func(ctx context.Context, controller EndpointID)
}

// Agent is a transport-free USP Agent: it turns each Record a Controller
// sends into the Record to send back, over a data model. It is safe for
// concurrent use; each Record is handled in the caller's goroutine, except
// asynchronous commands, which run on their own goroutines under a context
// the Agent owns, until they end or Close cancels them.
type Agent struct {
	cfg AgentConfig
	log *slog.Logger

	mu       sync.Mutex
	inflight map[msgKey]bool
	ops      *operations
}

type msgKey struct {
	from  EndpointID
	msgID string
}

// NewAgent returns an Agent for cfg. Close it to end its asynchronous
// commands.
func NewAgent(cfg AgentConfig) (*Agent, error) {
	if _, err := ParseEndpointID(string(cfg.EndpointID)); err != nil {
		return nil, fmt.Errorf("usp: new agent: %w", err)
	}
	if cfg.Model == nil {
		return nil, errors.New("usp: new agent: no data model")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Agent{cfg: cfg, log: log, inflight: map[msgKey]bool{}, ops: newOperations()}, nil
}

// EndpointID returns the Agent's Endpoint ID.
func (a *Agent) EndpointID() EndpointID { return a.cfg.EndpointID }

// HandleRecord processes the bytes of one Record received from an MTP:
// DecodeRecord, then HandleDecoded. peer is the Endpoint ID that the MTP
// authenticated (the DTLS PSK identity or certificate), or "" when the
// MTP authenticates nobody.
//
// It returns the Record to send back to the Record's from_id, or nil when
// nothing is to be sent: Records for another Endpoint, from this Agent's
// own ID, from a sender other than peer, responses, and requests with
// send_resp false. The error is non-nil only when the bytes are not a
// usable Record or Message; the MTP reports it (CoAP 4.00) and the Agent
// sends no USP answer, as TR-369 R-MTP.5 allows.
func (a *Agent) HandleRecord(ctx context.Context, peer EndpointID, b []byte) (*usprecord.Record, error) {
	rec, err := DecodeRecord(b)
	if err != nil {
		return nil, err
	}
	return a.HandleDecoded(ctx, peer, rec)
}

// HandleDecoded is HandleRecord for a Record the MTP already decoded with
// DecodeRecord (to refuse bad bytes before acknowledging them), so that
// it is not decoded twice. It reads rec and does not modify or keep it;
// results and errors are HandleRecord's, and a nil rec is an error.
func (a *Agent) HandleDecoded(ctx context.Context, peer EndpointID, rec *usprecord.Record) (*usprecord.Record, error) {
	if rec == nil {
		return nil, Errorf(ErrRecordNotParsed, "no record")
	}
	if err := CheckVersion(rec.GetVersion()); err != nil {
		return nil, err
	}
	from := EndpointID(rec.GetFromId())
	switch {
	case EndpointID(rec.GetToId()) != a.cfg.EndpointID:
		a.log.Debug("record for another endpoint ignored", "to", rec.GetToId(), "from", from)
		return nil, nil
	case from == a.cfg.EndpointID:
		a.log.Debug("record from own endpoint id ignored")
		return nil, nil
	case peer != "" && from != peer:
		a.log.Warn("record from_id does not match the authenticated peer", "from", from, "peer", peer)
		return nil, nil
	}
	if IsConnect(rec) {
		a.log.Debug("connect record", "from", from)
		return nil, nil
	}
	if d := rec.GetDisconnect(); d != nil {
		// The Controller is closing its side; there is nothing to answer.
		a.log.Info("disconnect record", "from", from, "code", d.GetReasonCode(), "reason", d.GetReason())
		return nil, nil
	}
	msg, err := MsgFromRecord(rec)
	if err != nil {
		switch {
		case CodeOf(err) == ErrSessionContextNotAllowed:
			return NewDisconnect(from, a.cfg.EndpointID, ErrSessionContextNotAllowed, "session context not supported"), nil
		case msg != nil && msg.GetHeader().GetMsgId() != "" && isRequest(msg):
			var ue *Error
			if !errors.As(err, &ue) {
				ue = Errorf(ErrInvalidArguments, "%v", err)
			}
			return NewRecord(from, a.cfg.EndpointID, NewError(msg.GetHeader().GetMsgId(), ue))
		}
		return nil, err
	}
	resp := a.HandleMsg(ctx, from, msg)
	if resp == nil {
		return nil, nil
	}
	return NewRecord(from, a.cfg.EndpointID, resp)
}

// isRequest reports whether a Message that failed its checks is a
// request, so that its sender gets an Error (R-MTP.5): its body holds a
// request, or it has no usable body and its header names a request type.
// Responses and Errors are never answered, so that two endpoints cannot
// loop on each other's mistakes.
func isRequest(msg *uspmsg.Msg) bool {
	switch msg.GetBody().GetMsgBody().(type) {
	case *uspmsg.Body_Request:
		return true
	case *uspmsg.Body_Response, *uspmsg.Body_Error:
		return false
	}
	switch msg.GetHeader().GetMsgType() {
	case uspmsg.Header_GET, uspmsg.Header_SET, uspmsg.Header_ADD, uspmsg.Header_DELETE, uspmsg.Header_OPERATE,
		uspmsg.Header_NOTIFY, uspmsg.Header_GET_SUPPORTED_DM, uspmsg.Header_GET_INSTANCES,
		uspmsg.Header_GET_SUPPORTED_PROTO, uspmsg.Header_REGISTER, uspmsg.Header_DEREGISTER:
		return true
	}
	return false
}

// HandleMsg processes one decoded Message from Controller from and returns
// the response Message, or nil when none is to be sent.
func (a *Agent) HandleMsg(ctx context.Context, from EndpointID, msg *uspmsg.Msg) *uspmsg.Msg {
	id := msg.GetHeader().GetMsgId()
	switch body := msg.GetBody().GetMsgBody().(type) {
	case *uspmsg.Body_Response:
		if fn := a.cfg.Responses; fn != nil {
			fn(from, id, body.Response)
		}
		return nil
	case *uspmsg.Body_Error:
		a.log.Info("error message from controller", "from", from, "msg_id", id, "code", body.Error.GetErrCode(), "msg", body.Error.GetErrMsg())
		return nil
	case *uspmsg.Body_Request:
		key := msgKey{from, id}
		a.mu.Lock()
		dup := a.inflight[key]
		a.inflight[key] = true
		a.mu.Unlock()
		if dup {
			a.log.Info("duplicate msg_id still in progress ignored", "from", from, "msg_id", id)
			return nil
		}
		defer func() {
			a.mu.Lock()
			delete(a.inflight, key)
			a.mu.Unlock()
		}()
		ctx, err := a.requestContext(ctx, from)
		if err != nil {
			return NewError(id, Errorf(ErrInternalError, "controller record: %v", err))
		}
		return a.dispatch(ctx, id, body.Request)
	}
	return NewError(id, Errorf(ErrInvalidArguments, "message has no body"))
}

func (a *Agent) requestContext(ctx context.Context, from EndpointID) (context.Context, error) {
	rowPath := ""
	if a.cfg.Controllers != nil {
		var err error
		if rowPath, err = a.cfg.Controllers(ctx, from); err != nil {
			return ctx, err
		}
	}
	return WithController(ctx, from, rowPath), nil
}

// dispatch runs one request.
func (a *Agent) dispatch(ctx context.Context, id string, req *uspmsg.Request) *uspmsg.Msg {
	perm := a.permissions(ctx)
	var resp *uspmsg.Response
	var err *failure
	switch r := req.GetReqType().(type) {
	case *uspmsg.Request_Get:
		resp = a.get(ctx, perm, r.Get)
	case *uspmsg.Request_GetInstances:
		resp = a.getInstances(ctx, perm, r.GetInstances)
	case *uspmsg.Request_GetSupportedDm:
		resp = a.getSupportedDM(perm, r.GetSupportedDm)
	case *uspmsg.Request_GetSupportedProtocol:
		resp = &uspmsg.Response{RespType: &uspmsg.Response_GetSupportedProtocolResp{
			GetSupportedProtocolResp: &uspmsg.GetSupportedProtocolResp{AgentSupportedProtocolVersions: SupportedVersions}}}
	case *uspmsg.Request_Set:
		resp, err = a.set(ctx, perm, r.Set)
	case *uspmsg.Request_Add:
		resp, err = a.add(ctx, perm, r.Add)
	case *uspmsg.Request_Delete:
		resp, err = a.delete(ctx, perm, r.Delete)
	case *uspmsg.Request_Operate:
		resp, err = a.operate(ctx, perm, r.Operate)
		if err == nil && resp == nil {
			return nil
		}
	case *uspmsg.Request_Notify:
		err = fail(ErrMessageNotSupported, "an Agent does not take Notify requests")
	case *uspmsg.Request_Register, *uspmsg.Request_Deregister:
		err = fail(ErrMessageNotSupported, "Register and Deregister go from an Agent to a Controller")
	default:
		err = fail(ErrMessageNotSupported, "unknown request type")
	}
	if err != nil {
		return NewError(id, &Error{Code: err.code, Msg: err.msg}, err.params...)
	}
	if a.cfg.Subscribed != nil && touchesSubscriptions(resp) {
		a.cfg.Subscribed(ctx, ControllerFrom(ctx))
	}
	return NewResponse(id, resp)
}

// touchesSubscriptions reports whether an Add or Set response created or
// updated a Subscription row.
func touchesSubscriptions(resp *uspmsg.Response) bool {
	for _, r := range resp.GetAddResp().GetCreatedObjResults() {
		if strings.HasPrefix(r.GetOperStatus().GetOperSuccess().GetInstantiatedPath(), subscriptionTable) {
			return true
		}
	}
	for _, r := range resp.GetSetResp().GetUpdatedObjResults() {
		for _, u := range r.GetOperStatus().GetOperSuccess().GetUpdatedInstResults() {
			if strings.HasPrefix(u.GetAffectedPath(), subscriptionTable) {
				return true
			}
		}
	}
	return false
}

func (a *Agent) permissions(ctx context.Context) Permissions {
	if a.cfg.Access == nil {
		return allowAll{}
	}
	return a.cfg.Access.Permissions(ctx, ControllerFrom(ctx))
}

// allowAll is the Permissions of an Agent without access control.
type allowAll struct{}

func (allowAll) ReadParam(string, *datamodel.ParamDef) bool  { return true }
func (allowAll) WriteParam(string, *datamodel.ParamDef) bool { return true }
func (allowAll) AddRow(string, *datamodel.ObjectDef) bool    { return true }
func (allowAll) DeleteRow(string, *datamodel.ObjectDef) bool { return true }
func (allowAll) ListRow(string, *datamodel.ObjectDef) bool   { return true }
func (allowAll) Operate(string, *datamodel.CommandDef) bool  { return true }
func (allowAll) SupportedObj(*datamodel.ObjectDef) bool      { return true }

type ctxKey int

const (
	ctxController ctxKey = iota
	ctxControllerPath
)

// WithController returns ctx carrying the Controller a request comes from
// and the path of its Device.LocalAgent.Controller.{i} row ("" if none).
func WithController(ctx context.Context, id EndpointID, rowPath string) context.Context {
	ctx = context.WithValue(ctx, ctxController, id)
	return context.WithValue(ctx, ctxControllerPath, rowPath)
}

// ControllerFrom returns the Controller a request comes from, or "".
func ControllerFrom(ctx context.Context) EndpointID {
	id, _ := ctx.Value(ctxController).(EndpointID)
	return id
}

// ControllerPathFrom returns the Controller row path (without trailing
// dot, as TR-181 references are written) of the request's Controller, or
// "". The data model uses it as the Recipient of new Subscriptions.
func ControllerPathFrom(ctx context.Context) string {
	p, _ := ctx.Value(ctxControllerPath).(string)
	return p
}

// failure is a request that fails as a whole: the Error message that
// replaces its response.
type failure struct {
	code   ErrorCode
	msg    string
	params []*uspmsg.Error_ParamError
}

func fail(code ErrorCode, format string, args ...any) *failure {
	return &failure{code: code, msg: fmt.Sprintf(format, args...)}
}

// outerCode is the err_code of an Error message that replaces a Set, Add
// or Delete response: failures caused by the request's arguments (bad
// paths, parameters, values, keys) are 7004 Invalid arguments, with the
// specific codes in param_errs; others (7003, 7005, 7006, ...) stand.
func outerCode(c ErrorCode) ErrorCode {
	switch {
	case c == ErrInvalidPathSyntax, c >= ErrUnsupportedParameter && c <= ErrRequiredParameterFailed,
		c == ErrDeleteFailure, c == ErrDuplicateKey, c == ErrInvalidPath:
		return ErrInvalidArguments
	}
	return c
}
