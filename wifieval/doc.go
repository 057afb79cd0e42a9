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
// survey ACS, random) are in baselines.go; statistics for the report in
// stats.go. cmd/wifieval drives it all.
package wifieval
