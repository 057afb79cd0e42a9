// Package usp is the transport-free part of TR-369 (User Services
// Platform) 1.4: Records, Messages, error codes and Endpoint IDs. The Agent
// dispatcher and the Controller client will live here too; MTPs (CoAP/DTLS)
// and the data model stay in their own packages.
//
// Data enters as the bytes of one Record received by an MTP: DecodeRecord
// parses and checks it, MsgFromRecord takes out the Message (only
// no-session-context records carry one here), and MsgTypeOf says what the
// Message is. Data leaves the other way: NewRequest, NewResponse or
// NewError build a Message, NewRecord wraps it (NewDisconnect builds the
// answer to a session-context Record) and EncodeRecord gives the bytes for
// the MTP. Encoding is deterministic.
//
// Protocol failures are *Error values carrying an ErrorCode (7000–7031 for
// messages, 7100–7106 for records); CodeOf finds the code of any error,
// including those of lower packages that only implement
// USPErrorCode() uint32. Endpoint IDs are validated by ParseEndpointID;
// a malformed one is an *EndpointIDError, a configuration error rather
// than a protocol one.
//
// The package keeps no state and logs nothing.
package usp
