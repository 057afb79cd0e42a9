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
// needs airtime a(W) = min(1, L·W0/W) at width W: a wider channel carries
// the same traffic in less time, which is how the model rewards capacity.
//
// Spectrum. A channel occupies a rectangle of spectrum: 20 MHz per 20 MHz
// channel. In 2.4 GHz, 20 MHz channels are 5 MHz apart, so two of them k
// channels apart share 1, 0.75, 0.5, 0.25, 0 of their band for k = 0..4
// (the overlap of two 20 MHz rectangles; the 22 MHz DSSS mask would give
// 1, 0.77, 0.55, 0.32, 0.09). 40 MHz in 2.4 GHz is HT40+ for primaries
// 1-7 and HT40- for 8-13. In 5 GHz (36-64, 100-144, 149-177) and 6 GHz
// (1, 5, ..., 233) wide channels are the fixed blocks of the 20 MHz grid
// (5 GHz 40: 36-40, 44-48, ...; 80: 36-48, 52-64, ...; 160: 36-64,
// 100-128, 149-177). The overlap fraction seen by radio i is the share of
// i's band that the other transmission occupies; the primary channel
// inside a block does not change the cost (only the switch).
//
// Contention. A transmission heard at RSSI dBm over W MHz has a power per
// 20 MHz of RSSI - 10·log10(W/20). Against the preamble-detect threshold
// CarrierSenseDBm (-82 dBm per 20 MHz) it keeps the listener off the air
// with probability 1/(1+exp(-(P20+82)/3)): a soft threshold, 3 dB being
// the spread of shadowing and fading. The model uses the same threshold
// whether the listener defers (it decodes the preamble: the other radio
// covers its primary channel) or not (a partly overlapping or secondary
// channel transmission it does not decode still corrupts its frames at
// about that level); above the -62 dBm energy-detect level both mechanisms
// apply anyway. Probabilities below 1e-4 count as zero.
//
// Cost. Radio i on spectrum S_i loses the airtime
//
//	Σ_j a_j · overlap(S_i, S_j) · P(RSSI_ji, W_j)            mesh neighbours
//	+ Σ_f load_f · overlap(S_i, S_f) · P(RSSI_f, W_f)        foreign BSSes
//	+ mean busy fraction over i's 20 MHz channels          survey
//
// and the cost of a plan is the sum over radios of a_i times that loss
// and of the unserved airtime
//
//	u_i(W) = max(0, L_i·W0_i/W − 1)
//
// plus SwitchCost for each radio whose assignment changes (plus DFSCost
// when its new channel includes a DFS channel, for the availability
// check). A radio whose demand d = L·W0/W exceeds the channel is
// saturated: it contends all the time (a = 1), so the contention terms
// already count the airtime it loses to others at full weight, and u
// counts the traffic that does not fit even in an idle channel. Its cost
// loss + (d − 1) is then what its traffic needs minus what it gets,
// d − (1 − loss); below saturation u is 0, and the cost is continuous at
// d = 1. Narrowing a radio thus costs nothing only while its traffic
// still fits. u depends on the radio's own width alone, so it is part of
// the unit's unary cost (and of Solve's fields, Exact's bound and
// Evaluate alike). RSSI_ji is what i measured of j; when only the reverse was
// measured it is used for both; unmeasured pairs do not interact. Busy is
// meant for busy time the listed BSSes do not explain; the caller must not
// count the same network twice. Transmit power is not planned yet; the
// measured RSSI reflects the current powers.
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
