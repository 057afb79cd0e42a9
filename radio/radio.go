// Package radio is how a mesh node sees and changes its Wi-Fi radios.
//
// A Radio reports its identity and capabilities, its current operating
// state, a channel survey, neighbour BSSes from a scan and its associated
// stations; it switches channel (asynchronously: after the channel-switch
// announcement, or after the channel availability check on a DFS channel),
// sets transmit power, and streams events. A radio that can steer its
// stations also implements Steerer (802.11v BSS transition and 802.11k
// beacon report requests, a bounded refusal of association); their
// answers arrive as events. Backends live in subpackages:
// radio/linux (nl80211 and hostapd on a real AP) and radio/sim (a simulated
// RF world shared by the processes of a virtual home).
//
// Data enters from the backend (kernel, hostapd, simulated air) and leaves
// as the plain values below; the data model binding and the leader's
// control loop consume them.
package radio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// Band is an operating frequency band, spelled as TR-181
// OperatingFrequencyBand spells it.
type Band string

// The bands a radio may operate in.
const (
	Band2G4 Band = "2.4GHz"
	Band5G  Band = "5GHz"
	Band6G  Band = "6GHz"
)

// Channel describes one channel a radio may use.
type Channel struct {
	Number  int  // IEEE channel number within Band
	FreqMHz int  // centre frequency of the 20 MHz channel
	DFS     bool // needs radar detection (channel availability check first)
	// Disabled is set when the regulatory domain forbids the channel.
	Disabled bool
	// Unavailable is set on a DFS channel in its non-occupancy period
	// after radar, as of the read (State.Unavailable is the live list).
	Unavailable bool
	// MaxPowerDBm is the regulatory limit on the channel, 0 when unknown.
	MaxPowerDBm float64
}

// Capabilities is what a radio can do.
type Capabilities struct {
	Band     Band
	Channels []Channel
	// Widths lists the supported channel widths in MHz (20, 40, 80, 160, 320).
	Widths []int
	// TxPowerMinDBm and TxPowerMaxDBm bound SetTxPower.
	TxPowerMinDBm, TxPowerMaxDBm float64
	// Standards lists the 802.11 standards, e.g. "n", "ac", "ax".
	Standards []string
}

// Info identifies a radio.
type Info struct {
	// Name is the radio's name on this node (the wiphy, e.g. "phy0", or a
	// simulated radio's name); it is stable across restarts.
	Name string
	// Interface is the AP network interface on the radio, e.g. "wlan0".
	Interface string
	MAC       net.HardwareAddr
	Caps      Capabilities
}

// State is a radio's current operating state.
type State struct {
	Enabled bool // administratively enabled
	Up      bool // operating (beaconing)
	Channel int
	FreqMHz int
	// Width is the channel width in MHz; CenterFreqMHz is the centre of the
	// whole (possibly bonded) channel.
	Width         int
	CenterFreqMHz int
	TxPowerDBm    float64
	SSID          string
	BSSID         net.HardwareAddr
	// Switching is true while a channel switch (CSA or CAC) is under way.
	Switching bool
	// Unavailable lists the channels of the radio's band that are in
	// their DFS non-occupancy period: radar was detected there lately
	// (30 minutes under the ETSI and FCC rules), and a switch onto any of
	// them fails with ErrRadar until the period ends. Ascending.
	Unavailable []int
	// Uplink is the radio's wireless backhaul: a station interface on
	// the same radio associated to another mesh AP. The radio then
	// operates on that AP's channel and width: it follows the AP's
	// channel switches, and a switch of its own to any other channel
	// fails with ErrUplink. Nil when the radio has none.
	Uplink *Uplink
}

// Uplink is a radio's station link to the AP it reaches the rest of the
// mesh through.
type Uplink struct {
	// Interface is the station network interface, e.g. "wlan0-sta".
	Interface string
	// BSSID is the AP the station is associated to.
	BSSID net.HardwareAddr
	// SignalDBm is the level at which the station hears the AP, 0 when
	// the driver does not report it.
	SignalDBm float64
	// TxRateKbps and RxRateKbps are the PHY rates of the last frames
	// sent to and received from the AP, 0 when unknown.
	TxRateKbps, RxRateKbps int
}

// SurveyEntry is the channel survey of one frequency.
type SurveyEntry struct {
	FreqMHz int
	Channel int
	InUse   bool // the radio operates on this frequency
	// NoiseDBm is the noise floor; 0 when the driver did not report it.
	NoiseDBm int
	// ActiveTime is the time the radio listened on the channel; BusyTime
	// the part of it the medium was busy, and RxTime/TxTime own traffic.
	ActiveTime, BusyTime, RxTime, TxTime time.Duration
}

// Utilization is BusyTime/ActiveTime in percent, 0 when unmeasured.
func (s SurveyEntry) Utilization() float64 {
	if s.ActiveTime <= 0 {
		return 0
	}
	return 100 * float64(s.BusyTime) / float64(s.ActiveTime)
}

// BSS is a neighbouring network seen by a scan.
type BSS struct {
	BSSID     net.HardwareAddr
	SSID      string
	Channel   int
	FreqMHz   int
	Width     int
	SignalDBm int
	// Utilization is the BSS Load channel utilisation in percent, -1 when
	// not advertised.
	Utilization int
	// Security is the TR-181 SecurityModeEnabled spelling, e.g. "WPA2-Personal".
	Security string
}

// ScanRequest bounds a scan. A scan on an AP interface must not disrupt
// associated clients, so callers name the frequencies they need.
type ScanRequest struct {
	// FreqsMHz restricts the scan; empty means every enabled channel.
	FreqsMHz []int
}

// Station is a client associated with the radio's access point.
type Station struct {
	MAC                          net.HardwareAddr
	SignalDBm                    int
	TxBitrateKbps, RxBitrateKbps int
	TxBytes, RxBytes             uint64
	TxPackets, RxPackets         uint64
	TxRetries, TxFailed          uint64
	Connected                    time.Duration // time since association
	Inactive                     time.Duration // time since the last frame
	// Caps is what the station told the AP it can do (association and
	// probe requests); the zero value means nothing is known.
	Caps StationCaps
}

// StationCaps is what a station can do, as seen from its association
// and probe requests. Steering reads it: who understands a BSS transition
// request, who answers beacon report requests, and where the station may
// be sent.
type StationCaps struct {
	// BTM: the station supports 802.11v BSS transition management
	// (extended capabilities bit 19).
	BTM bool
	// BeaconReport: the station answers 802.11k beacon report requests
	// (RRM enabled capabilities).
	BeaconReport bool
	// Bands are the bands the station can use; empty when unknown (the
	// band of its association is then the only one known).
	Bands []Band
	// OpClasses are the global operating classes the station listed as
	// supported, when it did.
	OpClasses []int
	// HT, VHT, HE, EHT: 802.11n, ac, ax, be capable.
	HT, VHT, HE, EHT bool
	// MaxRateKbps is the highest legacy (non-HT) rate among the supported
	// rates, 0 when unknown.
	MaxRateKbps int
}

// SupportsBand reports whether the station can use band b. A station
// whose bands are unknown is assumed to support only known ones: false.
func (c StationCaps) SupportsBand(b Band) bool {
	for _, x := range c.Bands {
		if x == b {
			return true
		}
	}
	return false
}

// Candidate is a BSS a station is asked to move to, as a neighbour report
// entry of a BSS transition management request.
type Candidate struct {
	BSSID net.HardwareAddr
	// OpClass is the global operating class (e.g. 81 for 2.4 GHz 20 MHz,
	// 115 for 5 GHz channels 36-48); 0 derives it from Channel and Band.
	OpClass int
	Channel int
	// Band locates Channel; it derives OpClass and the PHY type.
	Band Band
	// Preference is 1..255, higher preferred; 0 leaves it out.
	Preference int
}

// TransitionRequest is an 802.11v BSS transition management request to
// one associated station.
type TransitionRequest struct {
	Station    net.HardwareAddr
	Candidates []Candidate
	// DisassocImminent tells the station it will be disassociated after
	// DisassocTimer (in beacon intervals; 0 lets the AP decide).
	DisassocImminent bool
	DisassocTimer    int
	// ValidityInterval is how long the candidate list is valid, in beacon
	// intervals; 0 means the backend's default.
	ValidityInterval int
	// DialogToken identifies the request in the response; 0 lets the
	// backend choose.
	DialogToken int
}

// Validate checks the request's form.
func (r TransitionRequest) Validate() error {
	if len(r.Station) != 6 {
		return fmt.Errorf("station %q is not a MAC address", r.Station)
	}
	if len(r.Candidates) == 0 {
		return errors.New("no candidate BSS")
	}
	if r.DisassocTimer < 0 || r.DisassocTimer > 65535 {
		return fmt.Errorf("disassociation timer %d outside 0..65535", r.DisassocTimer)
	}
	if r.ValidityInterval < 0 || r.ValidityInterval > 255 {
		return fmt.Errorf("validity interval %d outside 0..255", r.ValidityInterval)
	}
	if r.DialogToken < 0 || r.DialogToken > 255 {
		return fmt.Errorf("dialog token %d outside 0..255", r.DialogToken)
	}
	for _, c := range r.Candidates {
		if len(c.BSSID) != 6 {
			return fmt.Errorf("candidate BSSID %q is not a MAC address", c.BSSID)
		}
		if c.Preference < 0 || c.Preference > 255 {
			return fmt.Errorf("candidate %s: preference %d outside 0..255", c.BSSID, c.Preference)
		}
		if c.Channel <= 0 || c.Channel > 255 || c.OpClass < 0 || c.OpClass > 255 {
			return fmt.Errorf("candidate %s: channel %d or operating class %d out of range", c.BSSID, c.Channel, c.OpClass)
		}
		if c.OpClass == 0 && OpClass(c.Band, c.Channel) == 0 {
			return fmt.Errorf("candidate %s: no operating class for channel %d in %q", c.BSSID, c.Channel, c.Band)
		}
	}
	return nil
}

// BeaconReportRequest is an 802.11k beacon report request: the station
// measures the beacons it hears on a channel and reports them.
type BeaconReportRequest struct {
	Station net.HardwareAddr
	// OpClass and Channel say where to measure; Channel 0 means every
	// channel of the operating class.
	OpClass, Channel int
	// BSSID restricts the report; nil means any.
	BSSID net.HardwareAddr
	// Duration is the measurement time per channel; 0 means 50 ms.
	Duration time.Duration
}

// The BSS transition management status codes a station answers with
// (IEEE 802.11-2020 table 9-428); any other non-zero code is a reject too.
const (
	BTMAccept                     = 0
	BTMRejectUnspecified          = 1
	BTMRejectNoCandidates         = 7
	BTMRejectLeavingESS           = 8
	BTMRejectInsufficientCapacity = 3
)

// Steerer is implemented by radios that can steer their stations: ask
// one to move (802.11v), ask it what it hears (802.11k), and, for
// stations that understand neither, refuse their association for a
// while. Consumers type-assert a Radio to Steerer; backends opt in.
// Outcomes of transition requests arrive as EventTransitionResponse, beacon
// reports as EventBeaconReport.
type Steerer interface {
	// RequestTransition sends a BSS transition management request to an
	// associated station. It returns once the request is sent; the
	// station's answer (if any) is an EventTransitionResponse.
	RequestTransition(ctx context.Context, req TransitionRequest) error
	// RequestBeaconReport asks a station for a beacon report; it returns
	// radio.ErrUnsupported (wrapped) when the station cannot give one.
	RequestBeaconReport(ctx context.Context, req BeaconReportRequest) error
	// Deny refuses association to station mac until the given time and
	// disconnects it if associated; Allow lifts the refusal early.
	Deny(ctx context.Context, mac net.HardwareAddr, until time.Time) error
	Allow(ctx context.Context, mac net.HardwareAddr) error
}

// Transition is a station's answer to a BSS transition management request.
type Transition struct {
	DialogToken int
	// Status is the BTM status code; BTMAccept (0) is an accept.
	Status int
	// Target is the BSS the station said it moves to (on accept).
	Target net.HardwareAddr
}

// Accepted reports whether the station accepted the transition.
func (t Transition) Accepted() bool { return t.Status == BTMAccept }

// OpClass returns the global operating class of a 20 MHz channel in band
// b (IEEE 802.11 annex E table E-4), or 0 when there is none.
func OpClass(b Band, ch int) int {
	switch b {
	case Band2G4:
		switch {
		case ch >= 1 && ch <= 13:
			return 81
		case ch == 14:
			return 82
		}
	case Band5G:
		switch {
		case ch >= 36 && ch <= 48:
			return 115
		case ch >= 52 && ch <= 64:
			return 118
		case ch >= 100 && ch <= 144:
			return 121
		case ch >= 149 && ch <= 177:
			return 125
		}
	case Band6G:
		if ChannelFreq(Band6G, ch) != 0 {
			if ch == 2 {
				return 136
			}
			return 131
		}
	}
	return 0
}

// OpClassBand returns the band of a global operating class, or "".
func OpClassBand(opClass int) Band {
	switch {
	case opClass >= 81 && opClass <= 84:
		return Band2G4
	case opClass >= 115 && opClass <= 130:
		return Band5G
	case opClass >= 131 && opClass <= 137:
		return Band6G
	}
	return ""
}

// SwitchRequest asks for a channel change.
type SwitchRequest struct {
	Channel int
	// Width in MHz; 0 keeps the current width.
	Width int
	// CSACount is the number of beacons announcing the switch; 0 picks the
	// backend's default.
	CSACount int
}

// SwitchResult is how a switch ended.
type SwitchResult struct {
	Channel int
	Width   int
	Err     error // nil when the radio operates on Channel/Width
}

// EventKind names an Event.
type EventKind string

// The events a radio reports.
const (
	EventStationJoined   EventKind = "station-joined"
	EventStationLeft     EventKind = "station-left"
	EventChannelSwitched EventKind = "channel-switched"
	EventRadarDetected   EventKind = "radar-detected"
	EventCACStarted      EventKind = "cac-started"
	EventCACFinished     EventKind = "cac-finished"
	EventStateChanged    EventKind = "state-changed"
	EventTxPowerChanged  EventKind = "txpower-changed"
	// EventTransitionResponse is a station's answer to a BSS transition
	// management request; Event.Transition carries it.
	EventTransitionResponse EventKind = "transition-response"
	// EventBeaconReport is one BSS of a station's beacon report;
	// Event.Beacon carries it.
	EventBeaconReport EventKind = "beacon-report"
)

// Event is something that happened to a radio.
type Event struct {
	Kind    EventKind
	Radio   string // Info.Name
	Time    time.Time
	Station net.HardwareAddr // station events
	Channel int              // channel events: the channel now in use
	FreqMHz int
	Width   int
	// Transition is set on EventTransitionResponse.
	Transition *Transition
	// Beacon is set on EventBeaconReport.
	Beacon *BeaconReport
}

// BeaconReport is one BSS a station reported hearing in answer to a
// beacon report request.
type BeaconReport struct {
	DialogToken int
	OpClass     int
	Channel     int
	BSSID       net.HardwareAddr
	// RCPIDBm is the received level the station measured, in dBm.
	RCPIDBm float64
}

// Radio is one Wi-Fi radio with its access point interface. Methods are
// safe for concurrent use.
type Radio interface {
	Info(ctx context.Context) (Info, error)
	State(ctx context.Context) (State, error)
	Survey(ctx context.Context) ([]SurveyEntry, error)
	Scan(ctx context.Context, req ScanRequest) ([]BSS, error)
	Stations(ctx context.Context) ([]Station, error)
	// Switch validates the request and starts the switch. It returns when
	// the switch is accepted; the channel receives exactly one result when
	// the switch completes or fails, then is closed.
	Switch(ctx context.Context, req SwitchRequest) (<-chan SwitchResult, error)
	SetTxPower(ctx context.Context, dBm float64) error
	// Events streams events until ctx ends; the channel is then closed.
	// Slow readers lose events rather than block the radio.
	Events(ctx context.Context) <-chan Event
}

// Backend opens the radios of one node.
type Backend interface {
	Radios(ctx context.Context) ([]Radio, error)
	Close() error
}

// Sentinel errors; backends wrap them in *OpError.
var (
	// ErrUnsupported: the backend or driver cannot do the operation.
	ErrUnsupported = errors.New("operation not supported")
	// ErrInvalidChannel: channel or width is not allowed on this radio.
	ErrInvalidChannel = errors.New("invalid channel or width")
	// ErrBusy: another switch is under way.
	ErrBusy = errors.New("radio busy")
	// ErrDown: the radio is disabled or not operating.
	ErrDown = errors.New("radio down")
	// ErrRadar: radar was detected on the target channel.
	ErrRadar = errors.New("radar detected")
	// ErrUplink: the radio carries a wireless backhaul (State.Uplink)
	// and cannot leave its uplink AP's channel on its own.
	ErrUplink = errors.New("radio follows its wireless uplink")
)

// OpError is a failed radio operation.
type OpError struct {
	Op    string // e.g. "switch", "scan"
	Radio string
	Err   error
}

func (e *OpError) Error() string { return fmt.Sprintf("radio %s: %s: %v", e.Radio, e.Op, e.Err) }

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// ChannelFreq returns the centre frequency in MHz of channel ch in band b,
// or 0 when ch is not a channel of b.
func ChannelFreq(b Band, ch int) int {
	switch b {
	case Band2G4:
		switch {
		case ch == 14:
			return 2484
		case ch >= 1 && ch <= 13:
			return 2407 + 5*ch
		}
	case Band5G:
		if ch >= 32 && ch <= 177 {
			return 5000 + 5*ch
		}
	case Band6G:
		if ch == 2 {
			return 5935
		}
		if ch >= 1 && ch <= 233 && ch%4 == 1 {
			return 5950 + 5*ch
		}
	}
	return 0
}

// FreqChannel returns the band and channel number of a centre frequency.
func FreqChannel(freqMHz int) (Band, int, bool) {
	switch {
	case freqMHz == 2484:
		return Band2G4, 14, true
	case freqMHz >= 2412 && freqMHz <= 2472 && (freqMHz-2407)%5 == 0:
		return Band2G4, (freqMHz - 2407) / 5, true
	case freqMHz == 5935:
		return Band6G, 2, true
	case freqMHz >= 5160 && freqMHz <= 5885 && freqMHz%5 == 0:
		return Band5G, (freqMHz - 5000) / 5, true
	case freqMHz > 5950 && freqMHz <= 7115 && (freqMHz-5950)%5 == 0:
		return Band6G, (freqMHz - 5950) / 5, true
	}
	return "", 0, false
}
