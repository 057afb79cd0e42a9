package bind

import (
	"context"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// refreshStations re-reads rr's stations and makes the AccessPoint's
// AssociatedDevice rows match: rows of stations gone are deleted, new
// stations get rows, the others are updated.
func (b *Binding) refreshStations(ctx context.Context, rr *radioRow) {
	rr.refreshMu.Lock()
	defer rr.refreshMu.Unlock()
	stas, err := rr.r.Stations(ctx)
	if err != nil {
		b.log.Warn("radio stations", "radio", rr.info.Name, "err", err)
		return
	}
	now := b.cfg.Now()
	table := rr.ap + "AssociatedDevice."
	err = b.write(ctx, func(w *writer) {
		b.mu.Lock()
		noise := rr.noise()
		b.mu.Unlock()
		rows := invertMAC(w.values(table, "MACAddress"))
		seen := map[string]bool{}
		for _, s := range stas {
			mac := macString(s.MAC)
			seen[mac] = true
			kv := stationValues(s, noise, now)
			if p := rows[mac]; p != "" {
				w.update(p, kv)
				continue
			}
			kv = append(params{{Param: "MACAddress", Value: mac, Required: true}}, kv...)
			w.add(table, kv)
		}
		for mac, p := range rows {
			if !seen[mac] {
				w.delete(p)
			}
		}
	})
	if err != nil {
		b.log.Warn("write stations", "radio", rr.info.Name, "err", err)
	}
}

// stationValues are an AssociatedDevice row's values (without its key).
// The downlink rate is the AP's transmit bitrate, the uplink rate its
// receive bitrate; Retransmissions is the share, in percent, of frames
// sent that needed a retry; Noise is the radio's noise floor on its
// channel, 0 (and no SNR) when unknown.
func stationValues(s radio.Station, noise int, now time.Time) params {
	var kv params
	kv.set("AuthenticationState", "true")
	kv.set("Active", "true")
	if s.TxBitrateKbps >= 1000 {
		kv.set("LastDataDownlinkRate", strconv.Itoa(s.TxBitrateKbps))
	}
	if s.RxBitrateKbps >= 1000 {
		kv.set("LastDataUplinkRate", strconv.Itoa(s.RxBitrateKbps))
	}
	if s.Connected > 0 {
		kv.set("AssociationTime", now.Add(-s.Connected).UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z"))
	}
	kv.set("SignalStrength", strconv.Itoa(max(-200, min(s.SignalDBm, 0))))
	if noise != 0 {
		kv.set("Noise", strconv.Itoa(noise))
		kv.set("SNR", strconv.Itoa(s.SignalDBm-noise))
	}
	retrans := 0
	if s.TxPackets > 0 {
		retrans = int(min(100, 100*s.TxRetries/s.TxPackets))
	}
	kv.set("Retransmissions", strconv.Itoa(retrans))
	kv.set("Stats.BytesSent", strconv.FormatUint(s.TxBytes, 10))
	kv.set("Stats.BytesReceived", strconv.FormatUint(s.RxBytes, 10))
	kv.set("Stats.PacketsSent", strconv.FormatUint(s.TxPackets, 10))
	kv.set("Stats.PacketsReceived", strconv.FormatUint(s.RxPackets, 10))
	kv.set("Stats.ErrorsSent", uint32String(s.TxFailed))
	kv.set("Stats.RetransCount", uint32String(s.TxRetries))
	kv.set("Stats.FailedRetransCount", uint32String(s.TxFailed))
	return kv
}

// uint32String formats an unsignedInt counter, wrapping like a 32-bit
// counter.
func uint32String(v uint64) string { return strconv.FormatUint(v%(math.MaxUint32+1), 10) }

// macString is a MAC address as the model writes it: upper-case hex.
func macString(mac net.HardwareAddr) string { return strings.ToUpper(mac.String()) }
