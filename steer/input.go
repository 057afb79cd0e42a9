package steer

import (
	"time"
)

// Band is a Wi-Fi band. Its order is the order of preference for a
// client that can use several: 2.4 GHz < 5 GHz < 6 GHz.
type Band int

// The bands. The zero Band is invalid.
const (
	Band24 Band = iota + 1 // 2.4 GHz
	Band5                  // 5 GHz
	Band6                  // 6 GHz
)

// String returns the band as "2.4GHz", "5GHz" or "6GHz".
func (b Band) String() string {
	switch b {
	case Band24:
		return "2.4GHz"
	case Band5:
		return "5GHz"
	case Band6:
		return "6GHz"
	}
	return "invalid band"
}

func (b Band) valid() bool { return b >= Band24 && b <= Band6 }

// BandSet is a set of bands, one bit per Band (1 << Band).
type BandSet uint8

// Bands returns the set of the given bands.
func Bands(bs ...Band) BandSet {
	var s BandSet
	for _, b := range bs {
		s |= 1 << b
	}
	return s
}

// Has reports whether b is in the set.
func (s BandSet) Has(b Band) bool { return b.valid() && s&(1<<b) != 0 }

// Standard is the newest 802.11 PHY a device supports. The zero
// Standard is unknown; the policy then assumes HT (802.11n), which every
// dual-band client of the last fifteen years has.
type Standard int

// The standards, oldest first.
const (
	UnknownStandard Standard = iota
	Legacy                   // 802.11a/g OFDM
	HT                       // 802.11n (Wi-Fi 4)
	VHT                      // 802.11ac (Wi-Fi 5), 5 GHz only
	HE                       // 802.11ax (Wi-Fi 6/6E)
)

// BSS is one BSS of the mesh as the leader sees it this round. The leader
// fills it from the Agents' radio and BSS tables (TR-181 Device.WiFi.Radio
// and Device.WiFi.AccessPoint) and their channel survey.
type BSS struct {
	BSSID    string   // MAC of the BSS, any case, colon separated
	Node     string   // the mesh node (Agent) that serves it
	Radio    string   // the radio on that node (informative)
	Band     Band     // its band
	Channel  int      // primary channel (informative)
	WidthMHz int      // operating width: 20, 40, 80 or 160
	Standard Standard // newest PHY the BSS offers; unknown means HT
	Streams  int      // spatial streams of the AP; 0 means 2
	// Load is the busy fraction of the channel in [0, 1], all
	// transmitters counted (the channel survey's busy time ÷ active
	// time), including the BSS's own clients.
	Load float64
	// Clients is the number of associated clients; Active of these
	// passed traffic in the last interval (they compete for airtime).
	Clients, Active int
	// Closed forbids steering clients to this BSS (backhaul-only,
	// being switched, full, or excluded by the operator). Clients on it
	// may still be steered away.
	Closed bool
	// BackhaulMbps is what the node's wireless backhaul carries towards
	// the root for the clients of all its BSSs together: the backhaul
	// link's PHY rate times the airtime it gets on its channel. 0 means
	// wired or unknown: no limit. It is a property of the node; when
	// the node's BSSs give different values the smallest positive one
	// counts.
	BackhaulMbps float64
}

// Capabilities are what a client can do, as seen in its association
// and probe requests (HT/VHT/HE capabilities, Extended Capabilities bit
// 19 for BSS transition, Supported Operating Classes for bands).
type Capabilities struct {
	// BTM is true when the client supports 802.11v BSS transition
	// management. Clients without it are "legacy": the policy can only
	// refuse them on their current BSS.
	BTM bool
	// Bands it can use. The empty set means unknown: only the band it
	// is on now.
	Bands    BandSet
	Standard Standard // newest PHY; unknown means HT
	Streams  int      // spatial streams; 0 means 1
	// MaxWidthMHz is the widest channel it supports; 0 means as wide
	// as the BSS.
	MaxWidthMHz int
}

// Signal is one measurement of a client's uplink signal by a BSS of the
// mesh, with its age when the round began.
type Signal struct {
	DBm float64
	Age time.Duration
}

// Observation is a client's signal measured at a BSS it is not
// associated with: from its probe requests, its 802.11k beacon report
// (converted to the uplink by the leader) or the AP's monitoring.
type Observation struct {
	BSSID string
	Signal
}

// Client is one associated client of the mesh this round.
type Client struct {
	MAC   string // the client's MAC, any case, colon separated
	BSSID string // the BSS it is associated with
	Caps  Capabilities
	// Signal is its signal at BSSID (the AP's average of received
	// frames).
	Signal Signal
	// Seen are the signals other BSSs of the mesh measured for it. At
	// most one per BSSID is used (the freshest).
	Seen []Observation
	// Airtime is the share of BSSID's airtime it used in the last
	// interval, in [0, 1]; 0 when idle or unknown.
	Airtime float64
	// ConnectedFor is how long it has been associated (hostapd's
	// connected_time); 0 when unknown, and the policy then counts from
	// the round it first saw the client on this BSSID.
	ConnectedFor time.Duration
}

// Response is a client's answer to a BSS transition request
// (802.11-2020 9.6.13.10, BTM Response frame), as the radio layer reports
// it.
type Response struct {
	MAC string
	// Status is the BTM status code (802.11-2020 Table 9-428): 0
	// accept, anything else a reject (1 unspecified, 3 insufficient
	// capacity, 7 no suitable candidates, 8 leaving the ESS, ...).
	Status int
}

// Input is what the policy sees in one round.
type Input struct {
	// Now is the time of the round; rounds must not go back in time.
	Now       time.Time
	BSSs      []BSS
	Clients   []Client
	Responses []Response // BTM responses received since the last round
}
