package tr181

import (
	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// Enumerations of the vendor object Device.X_USPMESH_Mesh.
var (
	// meshStatuses are the values of Device.X_USPMESH_Mesh.Status: this
	// node alone, an election running, following a leader, leading, or
	// degraded: the mesh could not start (StatusMessage says why) and the
	// Agent serves alone while the node retries.
	meshStatuses = []string{"Alone", "Electing", "Follower", "Leader", "Degraded"}
	// meshNodeStatuses are the values of Device.X_USPMESH_Mesh.Node.{i}.Status.
	meshNodeStatuses = []string{"Discovered", "Member", "Leader", "Lost"}
	// planStatuses are the values of Device.X_USPMESH_Mesh.Plan.Status.
	planStatuses = []string{"Idle", "Running", "Applying", "Error"}
)

// mesh lays out Device.X_USPMESH_Mesh., this node's view of its cluster:
// the leader and term it follows, the peers it knows and the state of the
// channel plan. Everything is read-only and written by the node.
func mesh(m *datamodel.ObjectDef) {
	str(m, "ClusterID", 64)
	str(m, "Leader", 64)
	m.Param("Term", value.UnsignedLong)
	str(m, "Status", 0).Def("Alone").Enum(meshStatuses...)
	// StatusMessage says why the mesh is Degraded ("" otherwise).
	str(m, "StatusMessage", 256)
	// ControllerEndpointID is this node's own mesh Controller.
	str(m, "ControllerEndpointID", 64)

	n := table(m.Table("Node", []string{"Alias"}, []string{"EndpointID"}), datamodel.ObjReadOnly, false)
	alias(n)
	str(n, "EndpointID", 64)
	str(n, "ControllerEndpointID", 64)
	str(n, "Address", 45)
	n.Param("Port", value.UnsignedInt).Range(0, 65535)
	n.Param("LastSeen", value.DateTime)
	str(n, "Status", 0).Def("Discovered").Enum(meshNodeStatuses...)
	n.Param("Priority", value.UnsignedInt)
	// Reachable: on the leader, its Controller holds a working USP
	// session to the node's Agent (answered its last keep-alive); on a
	// follower, gossip hears the node alive.
	n.Param("Reachable", value.Boolean)

	// Plan is the leader's latest channel plan: Score is its predicted
	// cost, BaselineScore the cost of the channels it started from,
	// MeasuredScore the cost re-measured after applying it.
	p := m.Object("Plan")
	p.Param("Score", value.Decimal)
	p.Param("BaselineScore", value.Decimal)
	p.Param("MeasuredScore", value.Decimal)
	p.Param("LastRun", value.DateTime)
	p.Param("LastApplied", value.DateTime)
	p.Param("Term", value.UnsignedLong)
	p.Param("Switches", value.UnsignedInt)
	p.Param("PlanTime", value.UnsignedInt) // microseconds spent planning
	str(p, "Status", 0).Def("Idle").Enum(planStatuses...)
	str(p, "Message", 256)
	a := table(p.Table("Assignment", []string{"Radio"}), datamodel.ObjReadOnly, false)
	// Radio is "<Agent Endpoint ID>/<radio name>".
	str(a, "Radio", 128)
	a.Param("Channel", value.UnsignedInt)
	str(a, "Bandwidth", 0)
	a.Param("PreviousChannel", value.UnsignedInt)
	// TransmitPower and PreviousTransmitPower: the radio's power in the
	// plan and when measured, as Device.WiFi.Radio.{i}.TransmitPower
	// (percent of full power); absent when the radio reports none.
	a.Param("TransmitPower", value.UnsignedInt).Range(0, 100)
	a.Param("PreviousTransmitPower", value.UnsignedInt).Range(0, 100)
	str(a, "Status", 0).Def("Pending").Enum("Pending", "Unchanged", "Applied", "Failed", "RolledBack")
	planInputs(p)
}

// planInputs lays out Device.X_USPMESH_Mesh.Plan.Input.{i}., what the
// latest plan was computed from: one row per radio measured, keyed by
// Radio as the Assignment rows are.
//
//   - Load: the airtime share (0..1) of the radio's own traffic the plan
//     used; Source says whether it was "Measured" (the radio's
//     X_USPMESH_Airtime) or "Assumed" (the radio reported none: a
//     constant).
//   - Busy: the busy share (0..1) of the radio's operating channel it
//     reported (X_USPMESH_ChannelBusy), -1 when it reported none.
//   - Unexplained: the busy share the plan counted as busy time of its own
//     (neither the mesh nor a foreign network it heard explains it),
//     summed over the channels of the radio's survey.
//   - ForeignBSSLoad, ForeignInferred, ForeignAssumed: the foreign
//     networks the radio heard whose load came from their BSS Load
//     element, from the radio's unexplained busy time on their channel,
//     or from a constant (no BSS Load and no survey of their channel).
//   - ClientSignal: the signal (dBm) of the radio's weak client, the 10th
//     percentile of its associated stations' signals, that the plan's
//     client-SINR term used; 0 when the radio had no stations (no term).
//   - WeakestClient: the signal (dBm) of the radio's weakest associated
//     station, which a power cut keeps above its band's top-rate SNR
//     plus a margin; 0 when the radio had no stations.
//   - ClientHeard: what the radio's stations hear of the other mesh
//     radios of its band (the 90th percentile of their observations of
//     each), as comma-separated Radio=dBm items; empty when they reported
//     none above the noise less 10 dB.
//   - Unavailable: the radio's channels in their DFS non-occupancy period
//     after radar (its X_USPMESH_UnavailableChannels), which the plan
//     left out.
//   - Refused: the channels the leader holds away from the radio for 30
//     minutes after it refused a switch onto them, which the plan left
//     out.
//   - BackhaulOf: the radio (Assignment.{i}.Radio's form) whose AP this
//     radio's wireless backhaul station is associated to (its
//     X_USPMESH_UplinkBSSID), which the plan kept it on the channel and
//     width of; the uplink's BSSID when no radio the leader measured has
//     it (the plan then keeps the radio where it is); empty for a wired
//     radio.
func planInputs(p *datamodel.ObjectDef) {
	in := table(p.Table("Input", []string{"Radio"}), datamodel.ObjReadOnly, false)
	str(in, "Radio", 128)
	str(in, "Source", 0).Def("Assumed").Enum("Measured", "Assumed")
	in.Param("Load", value.Decimal)
	in.Param("Busy", value.Decimal)
	in.Param("Unexplained", value.Decimal)
	in.Param("ForeignBSSLoad", value.UnsignedInt)
	in.Param("ForeignInferred", value.UnsignedInt)
	in.Param("ForeignAssumed", value.UnsignedInt)
	in.Param("ClientSignal", value.Int).Range(-200, 0)
	in.Param("WeakestClient", value.Int).Range(-200, 0)
	str(in, "ClientHeard", 1024)
	str(in, "Unavailable", 256).List()
	str(in, "Refused", 256).List()
	str(in, "BackhaulOf", 128)
}
