// Package leader is what the mesh leader does with the home's Wi-Fi: it
// measures every member Agent's radios, their stations' signals (the
// weak client of each radio, for wifiopt's client term) and neighbour
// scan through USP, plans the channels with wifiopt, then the radios'
// transmit powers on the channels in force (wifiopt.PlanPower, from
// Radio.{i}.TransmitPower; see power.go), and applies a plan worth
// applying one radio at a time through the term-carrying
// X_USPMESH_Switch() command (its TransmitPower input carries a power
// change), the other nodes' radios (the leaves) first and its own last,
// verifying each switch and rolling back a failed one. Alongside it keeps a USP
// session to every member Agent: a keep-alive Get, and once per term a
// subscription to the radios' channels so that a change under the plan
// asks for a new round.
//
// Data enters through Config (the Agents to talk to, the alive members,
// a Clock), through the Term events given to Run (leader changes: only a
// leading Loop sends anything) and through Notify (the notifications the
// node's mesh Controller receives). It leaves as USP requests through the
// Agents interface and as records through the Report interface, which
// the node implements by writing its own data model
// (Device.X_USPMESH_Mesh.Plan., its Assignment rows and the Node rows'
// Reachable).
//
// Every wait goes through the Clock, so tests drive the loop with
// clock.Fake and fake Agents in memory.
package leader
