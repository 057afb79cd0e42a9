// Package radio is how a mesh node sees and changes its Wi-Fi radios.
//
// A Radio reports its identity and capabilities, its current operating
// state, a channel survey, neighbour BSSes from a scan and its associated
// stations; it switches channel (asynchronously: after the channel-switch
// announcement, or after the channel availability check on a DFS channel),
// sets transmit power, and streams events. Backends live in subpackages:
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
