// Package websocket is the transport of the USP WebSocket MTP (TR-369
// "WebSocket Binding"): it carries USP Record bytes between two Endpoints
// and knows nothing of what the Records say.
//
// Data enters through [Conn.Send] (or [Link.Send]) as one Record per binary
// WebSocket message, and leaves through the [Handler] given in
// [ServerConfig] or [DialConfig], called once per received binary message.
//
// A [Server] accepts sessions from peers (one live session per peer
// Endpoint ID: a newer session replaces the older one). [DialOnce] opens a
// single session to a server, and [Dial] keeps one up, reconnecting with the
// TR-369 retry algorithm ([Retry]).
//
// The session handshake follows TR-369: the subprotocol is "v1.usp"
// (R-WS.9 to R-WS.12a); the client names itself with an "eid" query
// parameter in the request URI (R-WS.10b) and, for older servers, with the
// deprecated "bbf-usp-protocol" extension (R-WS.10a); the server answers
// with its own Endpoint ID in that extension when the client offered it
// (R-WS.11a). With TLS, an Endpoint ID in a verified certificate's SAN URI
// ("urn:bbf:usp:id:<EID>") wins over the one claimed in the handshake.
// Text frames close the session with 1003 (R-WS.16), Records larger than
// the configured maximum with 1009, and a peer that stops answering the
// keep-alive pings (R-WS.17) is dropped.
package websocket
