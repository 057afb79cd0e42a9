// Package election forms the mesh cluster and elects its leader.
//
// Each node runs one Cluster: a hashicorp/memberlist member whose gossip
// is encrypted (AES-256-GCM with a key derived from the mesh secret) and
// labelled with the cluster id, so that nodes of another home, or without
// the secret, never join. Node names are the Agents' Endpoint IDs.
//
// Data enters from discovery: Join and SetSeeds give the addresses of
// peers; every RejoinInterval each seed that is not an alive member is
// joined again, because memberlist forgets dead members and never merges
// a healed partition by itself. Data enters from the peers as memberlist
// metadata: each node advertises its priority, the highest (term, leader)
// it has followed, whether it claims leadership, and its NodeMeta (USP
// Endpoint IDs, CoAP address, capabilities).
//
// On every membership or metadata change the pure leader rule (Decide)
// picks the leader to follow. Leadership is sticky: while a leader is
// alive and claiming, it stays, whatever joins. When none is, the best
// member by priority, then name, claims the highest term seen + 1, after
// a start-up wait so that a node booting alone does not grab leadership
// before discovery finds the others. When claims meet after a partition
// heals, the higher (term, leader) wins. The highest (term, leader)
// followed is written to the state file (temp file, fsync, rename) before
// it is advertised or reported, so a node's fence never goes backwards,
// even across restarts. A node that cannot write its state file (a
// read-only or full flash) follows no new term and withdraws from
// candidacy: its metadata says so, the others' rule skips it (and no
// longer counts a claim of its), and LeaderChange.PersistErr tells the
// node why. It tries the file again every PersistRetry and stands again
// once a write succeeds. Config.MinTerm is a term floor kept elsewhere
// (the node's fence), for a missing or set-aside state file.
//
// Gossip sends each metadata update only a few times, to random members
// (recently dead ones included), so it can lose one. A claim therefore
// does not rely on gossip alone: a new claimant also pushes its state to
// every alive member (memberlist's push/pull), and a node that has waited
// SyncAfter for an expected claim pulls the state of the member it waits
// for.
//
// Data leaves through Leader, Members and the Events channel of
// LeaderChange; the node uses the term to fence mesh-wide writes.
//
// DefaultProfile's timings give failover within 8 s and about 310 B/s of
// idle traffic per node at five nodes; FastProfile fails over within 4 s
// for tests. Memberlist's own logs go to the Config's slog.Logger.
package election
