// Package coap is the USP CoAP MTP (the TR-369 CoAP binding) over UDP,
// secured with DTLS 1.2 (PSK or X.509 certificates, RFC 7925 profiles) or,
// only when asked explicitly, NoSec. It moves Record bytes and knows
// nothing of USP messages.
//
// Data enters through the Endpoint's server: each CON POST on the USP
// resource (Content-Format 42, one Uri-Query reply-to=<URI> that must name
// the datagram's source IP, Block1 reassembled) becomes one Inbound Record
// handed to the Handler before the POST is acknowledged; the Handler's
// error becomes 4.00, nil becomes 2.04. GET /.well-known/core describes
// the resource. Data leaves through Endpoint.Send, which posts a Record to
// a peer's USP URI as a new CON POST carrying our own reply-to; the USP
// response to a request therefore travels as a separate POST in the other
// direction, so every endpoint is a DTLS server and a DTLS client and each
// pair of endpoints has two sessions.
//
// The package uses go-coap's message codec and pion's DTLS connections,
// but runs its own message layer and session management, because the
// go-coap connection types fight what an always-on mesh needs: they
// retransmit linearly on a 4-second tick without RFC 7252's random factor
// (plgd-dev/go-coap#656), allow one request in flight by default, keep
// every response for 247 s without a bound, send Block1 only for
// multi-block bodies, and their DTLS server sits on pion's listener, whose
// per-peer packet buffer and half-open handshakes are unbounded.
//
// Here instead:
//   - retransmission follows RFC 7252 §4.2 (ACK_TIMEOUT × [1, 1.5),
//     doubling, MAX_RETRANSMIT) per request, with many requests in flight
//     per session (MaxInflight) and over all sessions (MaxInflightTotal);
//   - client sessions are cached per destination and kept alive by CoAP
//     pings; a session is replaced at once when the peer sends
//     close_notify or an ICMP error arrives, and, since a restarted DTLS
//     peer drops records of the old session silently, when a request has
//     heard nothing by its first retransmission and a new handshake with
//     the peer succeeds (the request is then resent on the new session);
//   - the DTLS server demultiplexes its socket itself: state is created
//     only for a ClientHello, within handshake rates and caps on pending
//     handshakes that are shared fairly between source addresses (the
//     heaviest address's oldest is evicted) and never refuse a Known
//     address for others' load; each session's queue is bounded,
//     sessions are capped and closed when idle; a client that restarts on
//     the same address and port gets a new session beside the old one
//     (RFC 6347 §4.2.8), which pion alone would ignore;
//   - duplicate detection, Block1 reassembly (with a memory budget shared
//     fairly between source addresses) and NoSec peer state are all
//     bounded and expire.
//
// DTLS requires the extended master secret (RFC 7627, as RFC 7925 asks)
// and offers only the RFC 7925 suites: TLS_PSK_WITH_AES_128_CCM_8 and
// TLS_PSK_WITH_AES_128_GCM_SHA256, or TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8
// and TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 on P-256.
package coap
