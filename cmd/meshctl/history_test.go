package main

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/history"
)

func TestHistoryArgs(t *testing.T) {
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cases := []struct {
		name string
		hf   historyFlags
		want map[string]string
		bad  bool
	}{
		{"defaults", historyFlags{limit: 1000}, map[string]string{"Limit": "1000"}, false},
		{"since", historyFlags{limit: 5, since: 10 * time.Minute, kind: "Client", mac: "02:00:00:00:00:01"},
			map[string]string{"Limit": "5", "From": "2026-12-06T02:50:00Z", "Kind": "Client", "MAC": "02:00:00:00:00:01"}, false},
		{"range", historyFlags{limit: 1, from: "2026-12-06T04:00:00+02:00", until: "2026-12-06T02:30:00Z"},
			map[string]string{"Limit": "1", "From": "2026-12-06T02:00:00Z", "To": "2026-12-06T02:30:00Z"}, false},
		{"since and from", historyFlags{since: time.Minute, from: "2026-12-06T02:00:00Z"}, nil, true},
		{"bad time", historyFlags{until: "yesterday"}, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.hf.historyClock = clock
			got, err := c.hf.historyArgs()
			var ue *usageError
			if c.bad {
				if !errors.As(err, &ue) {
					t.Fatalf("err %v, want a usage error", err)
				}
				return
			}
			if err != nil || len(got) != len(c.want) {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestHistoryText(t *testing.T) {
	tm := time.Date(2026, 12, 6, 3, 0, 10, 0, time.UTC)
	for _, c := range []struct {
		rec  historyRecord
		want string
	}{
		{historyRecord{Record: history.Record{Time: tm, Kind: history.KindRadio, Radio: "radio1", Channel: 36, BusyPct: 40, OwnPct: 5,
			NoiseDBm: -95, Clients: 3}},
			"2026-12-06T03:00:10Z  Radio  radio1  ch 36  busy 40%  own 5%  noise -95 dBm  clients 3\n"},
		{historyRecord{Node: "os::A", Record: history.Record{Time: tm, Kind: history.KindClient, Radio: "radio1", MAC: "02:00:00:00:00:01",
			RSSI: -71, TxRateMbps: 433, RxRateMbps: 200, RetryPct: 12}},
			"2026-12-06T03:00:10Z  os::A  Client  radio1  02:00:00:00:00:01  rssi -71 dBm  tx 433 Mb/s  rx 200 Mb/s  retry 12%\n"},
		{historyRecord{Record: history.Record{Time: tm, Kind: history.KindEvent, Event: history.EventLeaderChanged, Subject: "os::B"}},
			"2026-12-06T03:00:10Z  Event  LeaderChanged  os::B\n"},
		{historyRecord{Record: history.Record{Time: tm, Kind: history.KindEvent, Event: history.EventRadar, Radio: "radio1", Channel: 52}},
			"2026-12-06T03:00:10Z  Event  Radar  radio1  ch 52\n"},
	} {
		var b bytes.Buffer
		c.rec.text(&b)
		if b.String() != c.want {
			t.Errorf("got  %q\nwant %q", b.String(), c.want)
		}
	}
}
