// Package discovery finds the other mesh nodes of a home with mDNS/DNS-SD
// (RFC 6762/6763) as TR-369 specifies for USP over CoAP (R-DIS.x), on top
// of github.com/grandcat/zeroconf v1.0.0.
//
// Data leaves a node through Advertise: each Service (the node's Agent
// and its Controller) becomes a DNS-SD instance of "_usp-agt-coap._udp"
// or "_usp-ctr-coap._udp" whose instance name is the Endpoint ID, whose
// host name is unique to the node (derived from the Endpoint ID, never
// the OS host name, which is often the same on every AP), whose
// addresses are those of the configured interfaces, and whose TXT record
// carries the spec's keys (path, name, encrypt) plus the mesh's (cluster,
// gossip). The Advertiser re-registers when the interfaces or their
// addresses change.
//
// Data enters through Browse: a Browser listens for both service types
// in rounds, each with a fresh resolver and one query, lasting 20 s at
// first and twice as long each time up to 5 minutes (back to 20 s on
// Refresh or when the local interfaces change); it turns each answer or
// announcement into a Peer (Endpoint ID unescaped and checked, addresses,
// port, TXT), drops its own Endpoint IDs and peers of another cluster
// (another home on the same link), and reports the rest on Peers (new,
// changed, and re-seen once per round) and in Snapshot. The doubling
// keeps the traffic at rest low: zeroconf has no known-answer
// suppression, so every responder answers every query in full.
//
// zeroconf v1.0.0 never reports that a service went away, so discovery
// says only "this peer was seen at LastSeen"; whether it is alive is the
// cluster's business (memberlist). A peer not seen again for
// BrowseConfig.Expire is forgotten, which bounds memory, not liveness.
//
// Anyone on the link can announce instances with any TXT, the cluster's
// included, so a Peer is a proposal, not a member: the consumer proves
// membership (the node: gossip with the mesh key) before it relies on
// one. The table is bounded in all (MaxPeers) and per announced address
// (MaxPerSource); room is made by forgetting the peer seen longest ago,
// those the consumer vouched for (Browser.Confirm) last, so a flood of
// announcements never keeps a new peer out.
//
// The library's quirks that shape this package, read from its v1.0.0
// source: a Resolver serves one browse only (it closes its sockets when
// the browse ends); a browse reports each instance once and stops
// re-querying after the first answer, so changes reach a running browse
// only after a goodbye (TTL 0) and otherwise wait for the next round; it
// sends its first query twice; a responder answers every query on both
// IP families, so one family is enough to query on; instance names are
// used as presentation-format DNS text, so dots must be escaped and a
// trailing one survives only as \046; RegisterProxy logs to the standard
// logger when one IP family cannot join the multicast group. Everything
// else here logs through the slog.Logger passed in: ignored entries at
// Debug, re-registrations at Info, failures at Warn.
package discovery
