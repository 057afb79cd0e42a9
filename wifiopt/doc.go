// Package wifiopt is the mesh's channel planner: measurements in, a
// channel and width plan out. The leader's control loop builds a Problem
// from what the Agents report (radios, the RSSI at which mesh radios hear
// each other, foreign BSSes from scans, channel-survey busy time) and
// calls Solve; Exact, LeastCongested and Random exist for evaluation. The
// package imports only the standard library and does no I/O.
//
// # Interference model
//
// Everything is airtime. A radio with Load L at its current width W0
// needs airtime a(W) = min(1, L·C(W0)/C(W)) at width W, where C is the
// capacity of a channel of that width (see Width): a wider channel
// carries the same traffic in less time.
//
// # Width
//
// An HT or VHT PPDU carries 52, 108, 234 and 468 data subcarriers at 20,
// 40, 80 and 160 MHz (the timing-related constants of IEEE 802.11-2020
// clauses 19.3 and 21.3), and the same transmit power spread over twice
// the bandwidth meets twice the noise: 3 dB less SNR per doubling, as the
// minimum input sensitivities of each MCS rise by 3 dB per doubling
// (21.3.18.1). The capacity of width W relative to 20 MHz is taken as
// C(W) = N_SD(W)/52 · log2(1 + SNR·20/W) / log2(1 + SNR) for a client at
// ReferenceSNRDB (25 dB in 20 MHz): about 1, 1.83, 3.42 and 5.79. So a
// wider channel gives less than proportionally more, and gives it only
// in so far as its 20 MHz channels are free: a PPDU of width W needs
// every one of them idle (a busy secondary channel makes 802.11 send
// narrower or wait: the EDCA channel-access rules for wide BSSs in
// clause 10), and one on the primary channel defers the whole BSS.
//
// The width term prices this. For radio i on option o, the effective
// capacity is C_i(o) = C(W)·(1 − B_i(o)), B_i(o) being the share of
// airtime the foreign networks and busy time take there (the Exposure
// below, averaged over its 20 MHz channels; at least 5 % is left). Its
// traffic, d_i = L_i·C(W0_i) in idle 20 MHz channels, then needs the
// airtime d_i/C_i(o), and the term is what that exceeds the least it
// could need on any option the radio may use:
//
//	w_i(o) = d_i/C_i(o) − d_i/max_o' C_i(o')
//
// So a radio with an idle spectrum goes as wide as it may (its bursts
// finish sooner and it keeps headroom, whatever its mean load), and one
// whose wider channel overlaps busy neighbours stays narrow when the
// wider channel leaves it less capacity than the narrow one. A radio
// allowed a single width has no term. The ratio, unlike the linear
// airtime terms, does not shrink a neighbour that takes most of a block
// to a small loss: a block three quarters busy leaves an 80 MHz radio
// less than an idle 20 MHz channel.
//
// Limits. The width term sees foreign networks and busy time only; a
// mesh neighbour on the same channel costs through the pair terms at its
// measured airtime. So a lightly loaded radio may join a neighbour's
// wide channel where, with both saturated, they would do better apart
// (in cmd/wifieval's apartment home 3, three APs on one 80 MHz channel
// deliver 12 % less than two there and the third on 20 MHz). Weighing
// such a neighbour as backlogged instead also split two APs that hear
// each other at -53 dBm into adjacent 40 MHz channels, which the judge
// rates lower still: the model prices carrier sense, not the SINR an
// adjacent channel's leakage costs the clients.
//
// Spectrum. A channel occupies its 20 MHz channels: 20 MHz wide
// around each centre frequency. In 2.4 GHz, 20 MHz channels are 5 MHz
// apart, so neighbouring channel numbers overlap. 40 MHz in 2.4 GHz is
// HT40+ for primaries 1-7 and HT40- for 8-13. In 5 GHz (36-64, 100-144,
// 149-177) and 6 GHz (1, 5, ..., 233) wide channels are the fixed blocks
// of the 20 MHz grid (5 GHz 40: 36-40, 44-48, ...; 80: 36-48, 52-64,
// ...; 160: 36-64, 100-128, 149-177). Overlap and Block describe this
// geometry; the cost below does not use the rectangle overlap.
//
// Leakage. A transmission of width W spreads its power by the OFDM
// transmit spectrum mask (IEEE 802.11-2020 17.3.9.3 for 20 MHz, 19.3.18.1
// HT and 21.3.17.1 VHT for the wider channels, which scale it): 0 dBr
// within W/2-1 MHz of its centre, -20 dBr at W/2+1, -28 dBr at W and
// -40 dBr at 3W/2, linear in dB in between. What it leaves in a 20 MHz
// channel is the mask integrated over that channel, relative to one of
// its own 20 MHz channels: 0 dB inside it, about -1.1, -3.0 and -6.2 dB
// for 2.4 GHz channels 1, 2 and 3 apart (a partial overlap is not
// partial contention: its power is only a few dB down). For a
// transmission wholly outside the channel the receiver's finite
// selectivity adds to that: a compliant receiver 3 dB above its 6 Mb/s
// sensitivity tolerates an OFDM signal 16 dB stronger one channel away
// and 32 dB stronger two away (adjacent and nonadjacent channel
// rejection, 17.3.10.4 and 17.3.10.5; 19.3.19.2 and 21.3.18.2 alike),
// which, with the interference it then lets through taken as equal to
// its noise (-91 dBm in 20 MHz, the noise figure behind those
// sensitivities), is a rejection of 28 dB at an edge gap of 0 and 44 dB
// at 20 MHz (linear in between, constant beyond). Together: about -22 dB
// for adjacent 5 GHz channels, -28 dB for 2.4 GHz channels 1 and 6. A
// channel farther than 3W/2 + 10 MHz from the transmission's centre,
// where the mask reaches its floor, is taken as unreachable (the energy
// detect level would need a signal above about -25 dBm there).
//
// Contention. A transmission heard at RSSI dBm over W MHz has a power per
// 20 MHz of P20 = RSSI - 10·log10(W/20); in each 20 MHz channel c of a
// listener it arrives at P20 plus the leakage into c. When the
// transmission occupies part of c its legacy preamble is there (HT and
// VHT send it on every 20 MHz channel they occupy; offset by a multiple
// of 5 MHz its short training field keeps its 0.8 µs period, which is
// what preamble detection correlates on), and it is compared with the
// preamble-detect threshold CarrierSenseDBm (-82 dBm per 20 MHz,
// 17.3.10.6, 19.3.19.5, 21.3.18.5); when it lies wholly outside c, with
// the energy-detect threshold EnergyDetectDBm (-62 dBm, the same
// clauses). Either comparison goes through the soft threshold
// 1/(1+exp(-margin/3)), 3 dB (FadingDB) being the spread of shadowing and
// fading. Two mesh radios interact at all only when, on one channel, that
// probability reaches 1e-4 in either direction; between radios that do,
// and for every foreign network within reach, the tail counts, so that
// of two channels otherwise equal the one with more margin to the
// threshold costs (slightly) less. A partly overlapping
// transmission above the threshold thus keeps the listener off the air
// (or corrupts what it receives) as a co-channel one does. ns-3's
// SpectrumWifiPhy, the judge of cmd/wifieval, does the same: it applies
// preamble detection (-82 dBm) to every PPDU that overlaps the primary
// 20 MHz channel, with the power that falls in it by the same masks, and
// energy detection (-62 dBm) to the rest.
//
// Exposure. The share of airtime radio i (width W_i) loses while j
// transmits is the mean of those probabilities over i's W_i/20 channels:
// a wider channel is exposed to more neighbours, and one narrow
// neighbour in one of its 20 MHz channels takes that channel's share. The
// model does not know which channel of a block is primary (802.11 defers
// on the primary and falls back to a narrower width when a secondary is
// busy), so it charges every channel of the block alike and still costs
// a block the same whatever its primary (only the switch differs). In
// the judge the primary's place does matter (wifieval's
// TestJudgePrimaryCalibration: 1.8x for a weak client's AP moved away
// from a busy adjacent block, 2.3x for one sharing a co-channel
// network's primary), but the rules tried for it (least leakage, then
// alignment with the networks sharing the block) lost as many homes as
// they won, so plans keep the representative primary.
//
// Cost. Radio i on spectrum S_i loses the airtime
//
//	Σ_j a_j · E(S_i, S_j, RSSI_ji)                        mesh neighbours
//	+ Σ_f load_f · E(S_i, S_f, RSSI_f)                    foreign BSSes
//	+ mean busy fraction over i's 20 MHz channels       survey
//
// where E is the exposure above
//
// and the cost of a plan is the sum over radios of a_i times that loss,
// of the width term w_i above and of the unserved airtime
//
//	u_i(W) = max(0, L_i·C(W0_i)/C(W) − 1)
//
// plus SwitchCost for each radio whose assignment changes (plus DFSCost
// when its new channel includes a DFS channel, for the availability
// check). A radio whose demand d = L·C(W0)/C(W) exceeds the channel is
// saturated: it contends all the time (a = 1), so the contention terms
// already count the airtime it loses to others at full weight, and u
// counts the traffic that does not fit even in an idle channel. Its cost
// loss + (d − 1) is then what its traffic needs minus what it gets,
// d − (1 − loss); below saturation u is 0, and the cost is continuous at
// d = 1. u and w depend on the radio's own option alone, so they are
// part of the unit's unary cost (and of Solve's fields, Exact's bound and
// Evaluate alike). RSSI_ji is what i measured of j; when only the reverse was
// measured it is used for both; unmeasured pairs do not interact. Busy is
// meant for busy time the listed BSSes do not explain; the caller must not
// count the same network twice. Solve plans channels at the radios'
// current powers, which the measured RSSI reflects; PlanPower chooses
// powers (see Power).
//
// # Clients
//
// Interference that does not make a radio defer still reaches its
// clients. Each radio's weak client receives ClientSignalDBm in 20 MHz
// (a low percentile of its stations' signals, see ClientSignal), against
// the noise ClientNoiseDBm of -91 dBm (the noise figure behind the
// minimum input sensitivities of 17.3.10.2, 19.3.19.1 and 21.3.18.1),
// 3 dB less per doubling of width. A radio whose ClientSignalDBm is 0
// (unknown) has no client term: the planner does not invent a client.
// The client receives a mesh neighbour at the level Problem.ClientRSSI
// gives for the pair (what the radio's stations report of the
// neighbour's BSS, their most exposed: ClientInterference), and
// otherwise, near its AP, what the AP hears of a neighbour or foreign
// BSS; either after the same transmit mask and adjacent-channel
// rejection as above (leakDB). The AP's own level still sets how often it
// defers: two APs that do not hear each other never defer, and their
// clients between them take the full interference. A level at the
// clients 10 dB or more under the noise makes no pair. In each 20 MHz
// channel the leaked power I lowers the SNR S/N to S/(N+I); the capacity
// kept is x = log2(1+min(T, S/(N+I)))/log2(1+min(T, S/N)), T being the
// SNR of the band's top rate (HT MCS 7 at -64 dBm, 19.3.19.1; VHT MCS 9
// at -57 dBm per 20 MHz, 21.3.18.1), so that a client above it loses
// nothing to interference that leaves it there. As in the width term the
// same traffic then needs 1/x − 1 more airtime (x at least 5 %), and only
// while the radio does not defer (1 − p, p the probability of the
// Contention model). The mean over the radio's 20 MHz channels, weighted
// by the interferer's airtime and the radio's, is added to the pair
// terms (mesh neighbours) and to the unary cost (foreign BSSes, at their
// Load). LeastCongested does not weigh it: an AP choosing alone sees its
// channel, not its clients' SINR.
//
// # Power
//
// Path loss does not depend on transmit power, so a Problem measured at
// today's powers gives the one at any others (Problem.AtPower): a radio
// cut by x dB is heard x dB weaker by the other radios and their
// clients, and its own weak client receives x dB less. PlanPower works on
// a plan's channels: every radio may cut its full power by 3 dB steps
// (TR-181's TransmitPower halvings) down to 9 dB, while every associated
// client keeps PowerMarginDB over its band's top-rate SNR at its width
// (the weakest station, Radio.WeakestClientDBm, where it is measured;
// else the weak clients' ClientSignalDBm), so the radio loses no rate in the model's terms (which price no rate lost to
// a weaker own signal; the margin is what stands for it). Radios without
// a measured client and wireless backhauls keep full power. It then
// descends on the cost, one radio's step at a time, while a step saves
// PowerMinGain. What a cut buys is what the contention and client terms
// already price: neighbours on the same or nearby channels defer to the
// radio less (a link near the carrier sense threshold drops under it)
// and their clients lose less SINR to it. The gain is in the dense
// 2.4 GHz band, where clients sit 20-40 dB above the top rate's SNR;
// 5 GHz clients at 80 MHz seldom have the margin. Transmit mask and
// receiver rejection are the same at any power, so leakage moves with
// the cut.
//
// # Constraints and search
//
// A radio with BackhaulOf set must use exactly its uplink radio's channel
// and width; such radios form one decision unit. A unit's options are the
// distinct spectra allowed to every radio in it (width among Widths, every
// 20 MHz channel of the block allowed). Units on different bands, and
// more generally in different components of the "can hear each other"
// graph, are independent and are solved separately.
//
// Solve anneals each component (single-unit moves, Metropolis in small
// components and heat bath in large ones, plus channel-swap moves that
// exchange two spectra among a unit and its neighbours), from the current
// plan, a greedy plan and then random plans (small components) or the
// best plan so far, reheated (large ones), and ends each run with a
// best-response descent.
// The search keeps, for every unit and option, the unit's cost there
// given the others (its field), so a proposal costs one subtraction and
// an accepted move updates only its neighbours' fields; the run length is
// fixed by the problem's size, so equal seeds give equal plans. Exact is
// branch and bound per component, seeded with Solve's plan; it is
// exponential and meant for evaluation of homes up to about 8 APs.
package wifiopt
