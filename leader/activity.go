package leader

import (
	"strconv"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/steer"
)

// ActiveAirtime is the least share of its radio's airtime a client must
// have used since the last steering round to count as active: one that
// competes for airtime, which the steering policy's throughput model
// assumes of its BSS's active clients (steer.Client.Airtime,
// steer.BSS.Active). Keep-alives, push notifications and idle
// background traffic stay far below 2 %; a video stream at 5 Mb/s on a
// 100 Mb/s link is 5 %.
const ActiveAirtime = 0.02

// traffic is one reading of a client's counters from its AssociatedDevice
// row: bytes sent to it and received from it (Stats.BytesSent and
// BytesReceived) and the PHY rates of the last data frames each way
// (LastDataDownlinkRate and LastDataUplinkRate, kb/s).
type traffic struct {
	at               time.Time
	bssid            string
	sent, received   uint64
	downKbps, upKbps uint64
}

// stationTraffic reads every AssociatedDevice row's counters, by client
// MAC (lower case). Rows without both byte counters are left out.
func stationTraffic(rows map[string]map[string]string, now time.Time) map[string]traffic {
	out := map[string]traffic{}
	for p, kv := range rows {
		if _, ok := associatedDevice(p); !ok || kv["MACAddress"] == "" {
			continue
		}
		st := rows[p+"Stats."]
		sent, err1 := strconv.ParseUint(st["BytesSent"], 10, 64)
		received, err2 := strconv.ParseUint(st["BytesReceived"], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		t := traffic{at: now, sent: sent, received: received}
		t.downKbps, _ = strconv.ParseUint(kv["LastDataDownlinkRate"], 10, 64)
		t.upKbps, _ = strconv.ParseUint(kv["LastDataUplinkRate"], 10, 64)
		out[strings.ToLower(kv["MACAddress"])] = t
	}
	return out
}

// airtime is the share of the time between two readings of one client's
// counters that its frames took on the air: the bits each way over the
// rate of its last data frames that way (MAC overheads not counted, so
// it is a lower bound), at most 1. It is 0 when the readings cannot be
// compared: another BSS (a new association restarts the counters), a
// counter that went back, no time between them, or no rate for a
// direction that carried bytes.
func airtime(prev, cur traffic) float64 {
	dt := cur.at.Sub(prev.at).Seconds()
	if prev.bssid != cur.bssid || cur.sent < prev.sent || cur.received < prev.received || dt <= 0 {
		return 0
	}
	var busy float64
	for _, d := range []struct{ bytes, kbps uint64 }{{cur.sent - prev.sent, cur.downKbps}, {cur.received - prev.received, cur.upKbps}} {
		if d.bytes == 0 {
			continue
		}
		if d.kbps == 0 {
			return 0
		}
		busy += float64(d.bytes) * 8 / (float64(d.kbps) * 1000)
	}
	return min(busy/dt, 1)
}

// markActive sets the Airtime of every client whose traffic since its
// last reading (prev, by MAC) took at least ActiveAirtime, and every
// BSS's Active count of them. Clients without two comparable readings
// stay at Airtime 0 (unknown: idle to the policy). cur holds this
// round's readings by MAC; their bssid is filled from the clients.
func markActive(bsss []steer.BSS, clients []steer.Client, prev, cur map[string]traffic) {
	active := map[string]int{}
	for i := range clients {
		c := &clients[i]
		t, ok := cur[c.MAC]
		if !ok {
			continue
		}
		t.bssid = c.BSSID
		cur[c.MAC] = t
		p, ok := prev[c.MAC]
		if !ok {
			continue
		}
		if a := airtime(p, t); a >= ActiveAirtime {
			c.Airtime = a
			active[c.BSSID]++
		}
	}
	for i := range bsss {
		bsss[i].Active = active[bsss[i].BSSID]
	}
}
