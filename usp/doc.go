// Package usp is the transport-free part of TR-369 (User Services
// Platform) 1.4 for uspmesh: the wire units (Records, Messages, error
// codes, Endpoint IDs), the Agent that serves a data model, the Notifier
// that sends its notifications, and the Client a Controller sends requests
// with. MTPs (CoAP/DTLS) and the data model live in their own packages;
// this one knows neither sockets nor TR-181 storage.
//
// # Records and Messages
//
// DecodeRecord parses and checks the bytes of one Record, MsgFromRecord
// takes out its Message (only no-session-context Records carry one here)
// and MsgTypeOf says what the Message is. The other way, NewRequest,
// NewResponse or NewError build a Message, NewRecord wraps it
// (NewDisconnect answers a session-context Record) and EncodeRecord gives
// the bytes; encoding is deterministic. Protocol failures are *Error values
// carrying an ErrorCode (7000–7031 for messages, 7100–7106 for Records);
// CodeOf finds the code of any error, including those of lower packages
// that implement USPErrorCode() uint32. ParseEndpointID validates Endpoint
// IDs; a malformed one is an *EndpointIDError, a configuration error.
//
// # Agent
//
// An Agent (NewAgent) answers Controllers over a *datamodel.Model. Data
// enters as a Record from the MTP, as bytes (HandleRecord) or already
// decoded (HandleDecoded), with the identity the MTP authenticated; the
// Agent checks the addressing, records the Controller in
// Device.LocalAgent.Controller.{i} (AgentConfig.Controllers, see
// ControllerTable), asks AgentConfig.Access for its Permissions, runs Get,
// Set, Add, Delete, Operate, GetInstances, GetSupportedDM or
// GetSupportedProtocol, and returns the Record to send back, which the MTP
// delivers. Asynchronous commands run
// on goroutines under a context the Agent owns, listed in
// Device.LocalAgent.Request.{i} while they run; their ends go to the
// OnOperationComplete listeners. Close cancels them (they end with 7023)
// and waits for them, bounded by its context; afterwards new asynchronous
// commands are refused. The Agent keeps the msg_ids in progress per
// Controller (duplicates are ignored) and the running commands.
//
// # Notifier
//
// A Notifier (NewNotifier) watches the model's events and the Agent's
// operation completions, matches them against the enabled
// Device.LocalAgent.Subscription.{i} rows, and sends Notify messages
// through its Transport, one queue and goroutine per recipient (bounded;
// a full queue drops and counts). It retries NotifRetry notifications
// until a NotifyResp arrives (HandleResponse, wired to
// AgentConfig.Responses) or NotifExpiration passes, expires Subscriptions
// by TimeToLive, and sends OnBoardRequests. Its timers run on the
// clock.Clock of its Config. It keeps the parsed subscriptions, the
// queues, the notifications awaiting a NotifyResp and their timers, until
// Close.
//
// # Client
//
// A Client (NewClient) is a Controller's request side. Do and its helpers
// (Get, Set, Add, Subscribe, ...) send a request through the Transport and
// wait for the answer; answers are matched by the Agent the request went
// to and its msg_id, so no other Agent can complete it. The MTP feeds
// every Record it receives to HandleRecord, which does no network I/O:
// answers go to the waiting request, and Notify requests join a bounded
// queue that the Client's goroutine works through, sending each NotifyResp
// and then calling OnNotify, in order. Close stops it; requests still
// waiting fail with ErrClientClosed.
//
// # Logging
//
// The functions on Records and Messages keep no state and log nothing.
// Agent, Notifier and Client log through the *slog.Logger of their Config
// (nil discards), as given: the caller chooses its scope. They log at
// Debug what they ignore (Records for another Endpoint, answers to no
// pending request), at Info what peers got wrong or what could not be
// delivered, and at Warn what they drop (a full queue, a Record whose
// from_id is not the authenticated peer) or fail to send or write (a
// NotifyResp, a model update).
package usp
