package sim

import (
	"math"
	"net"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// The radio model's constants.
const (
	// NoiseFloorDBm is the noise every survey entry reports.
	NoiseFloorDBm = -95
	// CarrierSenseDBm is the level above which a neighbour's traffic keeps
	// the medium busy.
	CarrierSenseDBm = -82
	// SensitivityDBm is the weakest beacon a scan reports.
	SensitivityDBm = -92
	// AssocMinDBm is the weakest AP a client associates to.
	AssocMinDBm = -88
	// security is what every simulated BSS advertises.
	security = "WPA2-Personal"
)

// emitter is a BSS heard by a radio.
type emitter struct {
	bssid   net.HardwareAddr
	ssid    string
	channel int
	width   int
	span    span
	load    float64
	rssi    float64
	// bssLoad: the beacons carry a BSS Load element (load shows in scans).
	bssLoad bool
}

// emitters lists the BSSes of band heard at node's position: other nodes'
// operating radios (from the air) and foreign networks.
func (h *Home) emitters(w world, node string, band radio.Band) []emitter {
	self, ok := h.AP(node)
	if !ok {
		return nil
	}
	var out []emitter
	for _, ns := range w.nodes {
		ap, ok := h.AP(ns.Node)
		if !ok || ns.Node == node {
			continue
		}
		for _, rs := range ns.Radios {
			if rs.Band != band || !rs.Enabled || !rs.Up {
				continue
			}
			mac, _ := parseMAC(rs.BSSID)
			out = append(out, emitter{
				bssid: mac, ssid: rs.SSID, channel: rs.Channel, width: rs.Width,
				span: looseBlock(band, rs.Channel, rs.Width), load: rs.Load, bssLoad: true,
				rssi: h.rssi(band, rs.TxPowerDBm, ap.Pos, ns.Node, self.Pos, node),
			})
		}
	}
	for _, fn := range w.foreign {
		if fn.Band != band || fn.Gone {
			continue
		}
		var level float64
		switch {
		case fn.Pos != nil:
			tx := fn.TxPowerDBm
			if tx == 0 {
				tx = defaultForeignTxDBm
			}
			level = h.rssi(band, tx, *fn.Pos, "foreign:"+normMAC(fn.BSSID), self.Pos, node)
		default:
			v, ok := fn.RSSI[node]
			if !ok {
				continue
			}
			level = float64(v)
		}
		mac, _ := parseMAC(fn.BSSID)
		out = append(out, emitter{
			bssid: mac, ssid: fn.SSID, channel: fn.Channel, width: fn.Width,
			span: looseBlock(band, fn.Channel, fn.Width), load: fn.Load, rssi: level, bssLoad: fn.advertisesLoad(),
		})
	}
	return out
}

// association is the AP radio a client is associated to.
type association struct {
	node, radio string
	rssi        float64 // downlink level at the client
	client      Client
}

// survey builds the survey of every channel of caps, as measured over
// window: a neighbour above CarrierSenseDBm keeps a channel busy for its
// load times the share of the channel its spectrum covers; the radio's own
// traffic (load, 70 % transmit) counts on the channels of its own span.
func survey(caps radio.Capabilities, own span, primary int, ownLoad float64, heard []emitter, window time.Duration) []radio.SurveyEntry {
	out := make([]radio.SurveyEntry, 0, len(caps.Channels))
	for _, c := range caps.Channels {
		busy := 0.0
		for _, e := range heard {
			if e.rssi >= CarrierSenseDBm {
				busy += e.load * overlap(e.span, c.FreqMHz)
			}
		}
		mine := ownLoad * overlap(own, c.FreqMHz)
		busy = min(busy+mine, 1)
		out = append(out, radio.SurveyEntry{
			FreqMHz:    c.FreqMHz,
			Channel:    c.Number,
			InUse:      c.Number == primary,
			NoiseDBm:   NoiseFloorDBm,
			ActiveTime: window,
			BusyTime:   scale(window, busy),
			TxTime:     scale(window, 0.7*mine),
			RxTime:     scale(window, 0.3*mine),
		})
	}
	return out
}

func scale(d time.Duration, f float64) time.Duration {
	return time.Duration(math.Round(float64(d) * f))
}

// heRate20 is the single-stream 802.11ax rate in Mbit/s per MCS at 20 MHz,
// and heSNR the SNR each needs.
var (
	heRate20 = []float64{8.6, 17.2, 25.8, 34.4, 51.6, 68.8, 77.4, 86.0, 103.2, 114.7, 129.0, 143.4}
	heSNR    = []float64{2, 5, 9, 11, 15, 18, 20, 25, 29, 31, 34, 37}
)

// rateKbps is the two-stream PHY rate at an SNR and width, 0 below MCS 0.
func rateKbps(snr float64, width int) int {
	mcs := -1
	for i, need := range heSNR {
		if snr >= need {
			mcs = i
		}
	}
	if mcs < 0 {
		return 0
	}
	return int(math.Round(heRate20[mcs] * 2 * float64(width) / 20 * 1000))
}

// macEfficiency is the share of a link's PHY rate that carries data.
const macEfficiency = 0.6

// airtime is the share of the AP radio's airtime the client's traffic
// uses at width MHz, heard at rssi dBm on the downlink: Load, or with
// TrafficMbps the traffic over the link's data rate (capped at 1).
func (c Client) airtime(rssi float64, width int) float64 {
	if c.TrafficMbps <= 0 {
		return c.Load
	}
	rate := float64(rateKbps(rssi-NoiseFloorDBm, width)) / 1000 * macEfficiency
	if rate <= 0 {
		return 1
	}
	return min(c.TrafficMbps/rate, 1)
}

// station reports a client associated for connected: signal and rates
// from the link levels, counters growing linearly with time at the
// client's load.
func (h *Home) station(seed int64, a association, apNode string, apPos Pos, width int, connected time.Duration) radio.Station {
	c := a.client
	mac, _ := parseMAC(c.MAC)
	tx := c.TxPowerDBm
	if tx == 0 {
		tx = defaultClientTxDBm
	}
	up := h.rssi(c.Band, tx, c.Pos, "client:"+normMAC(c.MAC), apPos, apNode)
	txRate := rateKbps(a.rssi-NoiseFloorDBm, width)
	rxRate := rateKbps(up-NoiseFloorDBm, width)
	secs := connected.Seconds()
	load := c.airtime(a.rssi, width)
	txBytes := uint64(load * float64(txRate) * 1000 / 8 * macEfficiency * 0.7 * secs)
	rxBytes := uint64(load * float64(rxRate) * 1000 / 8 * macEfficiency * 0.3 * secs)
	txPackets, rxPackets := txBytes/1400, rxBytes/600
	retryFrac := 0.02 + max(0, 25-(a.rssi-NoiseFloorDBm))/100
	retries := uint64(float64(txPackets) * retryFrac)
	inactive := 2 * time.Second
	if load > 0 {
		inactive = 10*time.Millisecond + time.Duration(hash64(seed, "inactive", normMAC(c.MAC))%300)*time.Millisecond
	}
	return radio.Station{
		MAC:           mac,
		SignalDBm:     int(math.Round(up)),
		TxBitrateKbps: txRate,
		RxBitrateKbps: rxRate,
		TxBytes:       txBytes,
		RxBytes:       rxBytes,
		TxPackets:     txPackets,
		RxPackets:     rxPackets,
		TxRetries:     retries,
		TxFailed:      retries / 20,
		Connected:     connected,
		Inactive:      min(inactive, connected),
	}
}
