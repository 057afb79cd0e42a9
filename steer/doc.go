// Package steer is the mesh's client steering policy: measurements in,
// steering actions out. Each round (every few seconds) the leader calls
// Decide with an Input — the mesh's BSSs (band, width, channel load,
// clients), each associated client (its BSS, capabilities, its signal
// there and the signals other BSSs measured for it, with their ages, and
// its airtime), and the BTM responses received since the last round —
// and the Memory the previous round returned. Decide returns the Actions
// to take (steer client X from BSS A to BSS B with an 802.11v BSS
// transition request, or, for a client without BSS transition support,
// refuse it on A for a bounded time) and the next Memory. The package
// imports only the standard library, does no I/O, starts no goroutines
// and reads no clock: time is Input.Now and the measurements' ages.
//
// The input types are the policy's own (the package does not import the
// radio layer). The wiring is a mapping:
//
//   - BSS from the Agents' radio and access point tables: band, channel,
//     width, the channel survey's busy ÷ active time as Load, the
//     associated and recently active (Inactive below the round) stations
//     as Clients and Active.
//   - Client from each radio.Station: MAC, SignalDBm as Signal (age: the
//     time since the Agent read it), Connected as ConnectedFor, airtime
//     from the bytes and bit rates between two reads; Caps from
//     radio.StationCaps: BTM, Bands, the newest of HT/VHT/HE/EHT as
//     Standard (EHT counts as HE).
//   - Observation from probe requests heard by other BSSs, 802.11k
//     beacon reports and the APs' monitoring, each with its age.
//   - Response from radio.Transition events (Status as is).
//   - An Action becomes the X_USPMESH_Steer command on From's Agent:
//     Transition as a radio.TransitionRequest listing Candidates, Deny
//     as radio.Steerer.Deny until now + DenyFor.
//
// # Expected throughput
//
// A client's PHY rate at a BSS is that of the fastest MCS its signal
// there allows, for the standard, width and spatial streams the client
// and BSS share (PHYRate: the rates and minimum sensitivities of IEEE
// 802.11-2020 clauses 17, 19 and 21 and 802.11ax clause 27). The table
// is the standard's minimum, so a weak link is priced low; a weak client
// also loses more frames to its neighbours' interference, which the
// signal alone does not show. Signals are uplink signals as the mesh's
// APs measure them.
//
// 802.11's channel access gives every backlogged station of a BSS about
// the same number of frames, whatever its rate, so the active clients of
// a BSS get about the same throughput: the airtime other transmitters
// leave the BSS divided by Σ 1/rate over them (Heusse et al., the 802.11
// performance anomaly). One slow client thus slows every other client of
// its BSS. The airtime left is 1 − Load (the channel's busy share, all
// transmitters) plus what the BSS's own listed active clients used
// (the sum of their Client.Airtime), at least MinShare; at its current
// BSS a client's own airtime is part of it, so a busy client does not
// chase idle BSSs because of its own traffic. The rates of a BSS's
// active clients (Airtime above 0) come from their signals; active
// clients the BSS counts but the input does not list are taken at the
// listed ones' mean. A client's expected throughput at a BSS is that
// share with it added. When the BSS's node
// reaches the root over a wireless backhaul (BSS.BackhaulMbps), the
// estimate is at most the client's share of it: the backhaul divided
// among the active clients of all the node's BSSs and this one.
//
// A move's gain is the factor by which it changes the product of the
// expected throughputs of the clients it touches: the client itself,
// the other active clients of the BSS it leaves (which get its airtime
// back) and those of the BSS it joins (which give it some), a
// proportionally fair utility (Kelly). For a client alone on both BSSs
// it is the ratio of its own expected throughputs; moving a slow client
// out of a busy BSS gains more than its own ratio, and crowding a busy
// BSS less. An idle client (Airtime 0) touches nobody. The others'
// throughputs ignore backhaul limits.

// # Rules and defaults
//
// A client is steered from A to B only when all of these hold:
//
//   - Its signal at A and at B are no older than MaxAge (15 s: a few
//     leader rounds; a walking client covers about 20 m in 15 s, more
//     than a room, so older signals describe another place).
//   - Same band: the move's gain is at least MinGain (1.5×), the
//     client expects no less at B than at A, the client or A's other
//     clients together gain MinGainMbps (5 Mb/s), and B's signal is
//     HysteresisDB
//     (6 dB) above A's. 6 dB is about two MCS steps (the sensitivity
//     table rises 1-5 dB per MCS) and the full swing of a ±3 dB noise on
//     one side, so noise alone at equal signals rarely crosses it; the
//     1.5× is the "clearly better" and the 5 Mb/s keeps tiny
//     rates from passing a ratio test. These are choices checked by the
//     walk test, not figures from a standard. A client its node's
//     backhaul holds below what its link gives needs no stronger signal
//     within the band or down a band: the gain rule must then hold with
//     B's signal HysteresisDB lower.
//   - Band up (to 5 or 6 GHz): B's signal is at least BandUpMinDBm
//     (−70 dBm: the tables give 20 MHz MCS 4 or 80 MHz MCS 2 there, 88
//     Mb/s per VHT stream, more than 2.4 GHz HT's best 65 at 20 MHz, and
//     12 dB above MCS 0 at 20 MHz, the 5 GHz cell edge), the move's gain
//     is at least BandUpGain (1.2×) and the client expects more at B.
//   - Band down (to 2.4 GHz): only when A's signal is below
//     BandDownMaxDBm (−80 dBm, 2 dB above MCS 0 at 20 MHz, i.e. nearly
//     lost) and the same-band gain rule holds. The 10 dB between the two
//     band thresholds is the band hysteresis.
//   - MinDwell (20 s) has passed since the client associated and since
//     the last attempt, so a client that just arrived is not moved on.
//   - No attempt is pending (AttemptTimeout, 10 s: about the candidate
//     list's validity that the Linux radio backend sets by default, 100
//     beacon intervals or 10.2 s; a client that accepts roams within it).
//   - After a rejected, ignored or timed-out attempt the client waits
//     BackoffBase (1 min), doubled per consecutive failure up to
//     BackoffMax (30 min); a successful move resets it.
//   - Fewer than MaxPerHour (4) attempts in the last hour: the issue's
//     bound of 4 attempts per client-hour, which also bounds the harm of
//     a client that ignores every request. After ReserveAfter (2) of
//     them, a further move must have a gain of ReserveGain (3×) and
//     come ReserveSpacing (15 min) or more after the client's last
//     attempt, so a walking client does not spend its hour in its first
//     minutes (a walk through three rooms) and is left unsteerable for
//     the rest of it: the last two attempts of an hour are at least a
//     quarter of an hour apart.
//   - B→A is not steered within PingPongWindow (30 min) of an A→B
//     attempt, unless the client's signal at B fell MovedDB (10 dB, over
//     3 σ of two 2-3 dB measurement noises) below the one the attempt
//     saw: it walked away, and going back is no ping-pong.
//
// Clients without BSS transition support get a Deny action instead: From
// disassociates them and refuses their association for DenyFor (30 s,
// usteer's default sta_block_timeout), so they join another BSS. All
// other rules apply alike. BSSs marked Closed are never targets.
//
// # Bad input and bounds
//
// Malformed rows (bad MACs, unknown BSSs, NaN or out-of-range loads and
// signals, duplicate BSSIDs or client MACs — all copies dropped) are
// ignored and reported in Result.Problems; stale measurements are not
// used. Decide never panics. A round does O(clients × BSSs) work beyond
// reading its input. Memory keeps a client for ForgetAfter (2 h) after
// it was last seen and at most MaxClients (4096) clients, and per client
// the attempts of the last hour (or PingPongWindow if longer); the
// hourly limit holds for every client the memory keeps, i.e. unless more
// than MaxClients clients pass within an hour.
package steer
