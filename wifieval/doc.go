// Package wifieval judges Wi-Fi channel plans by packet-level simulation,
// away from the planner: the planner never calls it.
//
// A Home is a generated world (gen.Scene: building, mesh APs, foreign
// networks, the shadowing drawn) together with the wifiopt.Problem the
// mesh measures there, plus what the planner never sees: client
// stations, each associated with the AP it hears best and on 5 GHz when
// that is strong enough, with a downlink offered load that makes every
// radio's traffic its Problem Load (an airtime share at its current
// width, converted with Capacity); a station for every foreign network
// with an offered load matching the network's Load; and a station behind
// every wireless backhaul that carries its AP's client traffic.
//
// Judge.Deliver writes a Home and a plan (channel, width and power per
// radio) as a Scenario, a text file of nodes, pairwise path losses from
// the same geometry (gen.Building.PathLoss plus the Scene's shadowing)
// and constant-rate flows, runs the ns-3 program ns3/judge.cc on it and
// reads back what every flow delivered. The baselines the planner is
// compared with (converged least-congested selection, a hostapd-style
// survey ACS, random, the current channels) and the node's own
// configuration of it (NodePlan) are in baselines.go; statistics for the report in
// stats.go. cmd/wifieval drives it all.
//
// # Offered load: the home's, or saturated
//
// By default the judge offers each mesh client its share of its radio's
// Load, the traffic the home was measured with. That load is mostly below
// what a radio carries, and then every reasonable plan delivers nearly
// all of it: homes differ by a fraction of a Mbps between plans, and a
// comparison of plans (or a rank correlation of predicted and delivered
// gains) is noise around zero. It measures whether a plan carries today's
// traffic, not how much room it leaves.
//
// Config.Offered multiplies every mesh client's offered rate (and with it
// what each wireless backhaul carries); SaturatedOffered makes nearly
// every client full-buffer, offered more than its link can carry (a
// client close to a lightly loaded AP can still get all of it). Delivered
// throughput is then the capacity each client gets under the plan, shared
// by the MAC with its neighbours in the plan's channels: a plan that puts
// fewer contenders on a channel shows up as more throughput. This is the
// standard way channel plans and MAC schemes are compared by capacity: the
// IEEE 802.11ax evaluation methodology (IEEE 802.11-14/0571) and 3GPP's
// system-level evaluations (TR 36.814, annex A) use full-buffer traffic
// for their throughput comparisons. Foreign networks keep their measured
// loads.
//
// The planner should see the world it is judged in: a node in a home
// whose clients ask for that much traffic would measure its radios busy.
// Home.OfferedProblem is that Problem (each mesh radio's Load multiplied
// by the same factor, at most 1), and cmd/wifieval plans every method on
// it unless told to plan on the home's own loads (-home-inputs). Planned
// on the home's loads, a saturated judge prices co-channel mesh radios
// as the planner never did: it shares a channel among radios it thinks
// lightly loaded, which the judge runs full-buffer.
package wifieval
