package history

import (
	"math"
	"net"
	"time"
)

// RadioSample is one radio's state over the last sample period.
type RadioSample struct {
	Radio   string // the radio's name on the node
	Channel int
	// BusyPct is the share of the period the operating channel was busy,
	// OwnPct the share of it the radio's own traffic took, both 0..100.
	BusyPct, OwnPct int
	NoiseDBm        int // 0 when unknown
	Clients         int
}

// ClientSample is one associated client's link.
type ClientSample struct {
	Radio string
	MAC   net.HardwareAddr
	// RSSI is the signal the AP hears from the client, dBm.
	RSSI                   int
	TxRateMbps, RxRateMbps int
	// RetryPct is the share of the frames sent to the client during the
	// period that were retries, 0..100.
	RetryPct int
}

// Sample is what a node saw at one time.
type Sample struct {
	Time    time.Time
	Radios  []RadioSample
	Clients []ClientSample
}

// EventKind names a mesh event.
type EventKind string

// The events the history keeps. Their order is their code on flash:
// append only.
const (
	EventLeaderChanged   EventKind = "LeaderChanged"
	EventChannelSwitched EventKind = "ChannelSwitched"
	EventRadar           EventKind = "Radar"
	EventNodeLost        EventKind = "NodeLost"
	EventNodeFound       EventKind = "NodeFound"
	EventUnknown         EventKind = "Unknown"
)

var eventCodes = []EventKind{EventUnknown, EventLeaderChanged, EventChannelSwitched, EventRadar, EventNodeLost, EventNodeFound}

func eventCode(k EventKind) uint8 {
	for i, e := range eventCodes {
		if e == k {
			return uint8(i)
		}
	}
	return 0
}

func eventKind(c uint8) EventKind {
	if int(c) < len(eventCodes) {
		return eventCodes[c]
	}
	return EventUnknown
}

// Event is something that happened in the mesh.
type Event struct {
	Time    time.Time
	Kind    EventKind
	Radio   string // the radio concerned, "" for node events
	Channel int    // ChannelSwitched: the new channel; Radar: the channel
	// Subject is what the event is about: the new leader's Endpoint ID,
	// the node lost or found.
	Subject string
}

// Kind is the kind of a Record.
type Kind string

// The kinds of records.
const (
	KindRadio  Kind = "Radio"
	KindClient Kind = "Client"
	KindEvent  Kind = "Event"
)

// Record is one radio sample, client sample or event, as Query returns
// them. Only the fields of its Kind are set.
type Record struct {
	Time time.Time `json:"time"`
	Kind Kind      `json:"kind"`
	// Radio and Channel: every kind (Channel of a client record is 0).
	Radio   string `json:"radio,omitempty"`
	Channel int    `json:"channel,omitempty"`
	// KindRadio.
	BusyPct  int `json:"busy_pct,omitempty"`
	OwnPct   int `json:"own_pct,omitempty"`
	NoiseDBm int `json:"noise_dbm,omitempty"`
	Clients  int `json:"clients,omitempty"`
	// KindClient.
	MAC        string `json:"mac,omitempty"`
	RSSI       int    `json:"rssi,omitempty"`
	TxRateMbps int    `json:"tx_rate_mbps,omitempty"`
	RxRateMbps int    `json:"rx_rate_mbps,omitempty"`
	RetryPct   int    `json:"retry_pct,omitempty"`
	// KindEvent.
	Event   EventKind `json:"event,omitempty"`
	Subject string    `json:"subject,omitempty"`
}

// Quantisation. Values outside a field's range are clamped.

func pct(v int) uint8 { return uint8(min(max(v, 0), 100)) }

func chan8(v int) uint8 { return uint8(min(max(v, 0), 255)) }

func dbm8(v int) uint8 { return uint8(int8(min(max(v, -128), 127))) }

func count8(v int) uint8 { return uint8(min(max(v, 0), 255)) }

// rateCode is 20·log2(1+Mbps), rounded: 3.5 % steps up to ~6.9 Gb/s.
func rateCode(mbps int) uint8 {
	if mbps <= 0 {
		return 0
	}
	return uint8(min(math.Round(20*math.Log2(1+float64(mbps))), 255))
}

func rateMbps(code uint8) int { return int(math.Round(math.Exp2(float64(code)/20) - 1)) }
