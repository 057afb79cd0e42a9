package hostapd

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const statusReply = `state=ENABLED
phy=phy0
freq=2437
num_sta_non_erp=0
cac_time_seconds=0
cac_time_left_seconds=N/A
channel=6
secondary_channel=1
ieee80211n=1
ieee80211ac=0
ieee80211ax=0
max_txpower=20
bss[0]=wlan0
bssid[0]=02:00:00:00:00:00
ssid[0]=home
num_sta[0]=2
`

func TestParseStatus(t *testing.T) {
	s, err := ParseStatus([]byte(statusReply))
	if err != nil {
		t.Fatal(err)
	}
	mac, _ := net.ParseMAC("02:00:00:00:00:00")
	want := Status{State: "ENABLED", Phy: "phy0", FreqMHz: 2437, Channel: 6, SecondaryChannel: 1, HT: true,
		CACTimeLeft: -1, MaxTxPowerDBm: 20, BSSes: []StatusBSS{{Interface: "wlan0", BSSID: mac, SSID: "home", Stations: 2}}}
	s.Fields = nil
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
	if s.WidthMHz() != 40 {
		t.Errorf("width %d, want 40", s.WidthMHz())
	}
	for _, bad := range []string{"FAIL\n", "", "\n\n"} {
		if _, err := ParseStatus([]byte(bad)); err == nil {
			t.Errorf("ParseStatus(%q) succeeded", bad)
		}
	}
}

func TestStatusWidth(t *testing.T) {
	for _, tc := range []struct {
		s    Status
		want int
	}{
		{Status{}, 20},
		{Status{HT: true}, 20},
		{Status{HT: true, SecondaryChannel: -1}, 40},
		{Status{HT: true, VHT: true, SecondaryChannel: 1, VHTChWidth: 1}, 80},
		{Status{HE: true, VHTChWidth: 2}, 160},
	} {
		if got := tc.s.WidthMHz(); got != tc.want {
			t.Errorf("%+v: width %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestParseEvent(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Event
	}{
		{"<3>AP-STA-CONNECTED 02:00:00:00:02:00", Event{Level: 3, Name: EventStationConnected, Args: []string{"02:00:00:00:02:00"}}},
		{"<3>AP-CSA-FINISHED freq=2437 dfs=0", Event{Level: 3, Name: EventCSAFinished, Fields: map[string]string{"freq": "2437", "dfs": "0"}}},
		{"IFNAME=wlan0 <3>DFS-CAC-START freq=5260 chan=52 chan_offset=0 width=0 seg0=0 seg1=0 cac_time=60s",
			Event{Level: 3, Interface: "wlan0", Name: EventCACStart, Fields: map[string]string{"freq": "5260", "chan": "52", "chan_offset": "0", "width": "0", "seg0": "0", "seg1": "0", "cac_time": "60s"}}},
		{"<3>CTRL-EVENT-STARTED-CHANNEL-SWITCH freq=2437 ht_enabled=1 ch_offset=0 ch_width=20 MHz cf1=2437 cf2=0 dfs=0",
			Event{Level: 3, Name: EventChannelSwitchStart, Args: []string{"MHz"}, Fields: map[string]string{"freq": "2437", "ht_enabled": "1", "ch_offset": "0", "ch_width": "20", "cf1": "2437", "cf2": "0", "dfs": "0"}}},
	} {
		got, err := ParseEvent([]byte(tc.in))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
	ev, _ := ParseEvent([]byte("<3>DFS-CAC-START freq=5260 cac_time=60s"))
	if n, ok := ev.Int("cac_time"); !ok || n != 60 {
		t.Errorf("cac_time = %d, %v", n, ok)
	}
	ev, _ = ParseEvent([]byte("<3>AP-STA-DISCONNECTED 02:00:00:00:02:00"))
	if ev.Station().String() != "02:00:00:00:02:00" {
		t.Errorf("station %v", ev.Station())
	}
	for _, bad := range []string{"", "OK", "<3>", "<x>A", "<3"} {
		if _, err := ParseEvent([]byte(bad)); err == nil {
			t.Errorf("ParseEvent(%q) succeeded", bad)
		}
	}
}

func TestChanSwitchCommand(t *testing.T) {
	for _, tc := range []struct {
		s    ChanSwitch
		want string
	}{
		{ChanSwitch{CSCount: 5, FreqMHz: 2437, BandwidthMHz: 20, HT: true}, "CHAN_SWITCH 5 2437 bandwidth=20 ht"},
		{ChanSwitch{CSCount: 10, FreqMHz: 5200, SecChannelOffset: -1, CenterFreq1MHz: 5210, BandwidthMHz: 80, HT: true, VHT: true},
			"CHAN_SWITCH 10 5200 sec_channel_offset=-1 center_freq1=5210 bandwidth=80 ht vht"},
	} {
		if got := tc.s.Command(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// fakeHostapd answers on a unixgram socket like hostapd's control
// interface: replies go to the sender's address; ATTACHed clients get the
// events sent on the returned channel.
func fakeHostapd(t *testing.T, reply func(cmd string) string) (dir string, events chan<- string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "hapd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "wlan0"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ev := make(chan string)
	attached := make(chan *net.UnixAddr, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := c.ReadFromUnix(buf)
			if err != nil {
				return
			}
			cmd := string(buf[:n])
			r := reply(cmd)
			switch cmd {
			case "PING":
				r = "PONG\n"
			case "ATTACH":
				r = "OK\n"
				attached <- from
			}
			c.WriteToUnix([]byte(r), from)
		}
	}()
	go func() {
		var to *net.UnixAddr
		for msg := range ev {
			if to == nil {
				to = <-attached
			}
			c.WriteToUnix([]byte(msg), to)
		}
	}()
	t.Cleanup(func() { close(ev) })
	return dir, ev
}

func TestConn(t *testing.T) {
	var got []string
	dir, _ := fakeHostapd(t, func(cmd string) string {
		got = append(got, cmd)
		switch {
		case cmd == "STATUS":
			return statusReply
		case strings.HasPrefix(cmd, "CHAN_SWITCH 5 2412"):
			return "OK\n"
		}
		return "FAIL\n"
	})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, dir, "wlan0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.Status(ctx)
	if err != nil || s.Channel != 6 {
		t.Fatalf("Status = %+v, %v", s, err)
	}
	if err := c.SwitchChannel(ctx, ChanSwitch{CSCount: 5, FreqMHz: 2412}); err != nil {
		t.Errorf("switch: %v", err)
	}
	err = c.SwitchChannel(ctx, ChanSwitch{CSCount: 5, FreqMHz: 9999})
	var ce *CommandError
	if !errors.Is(err, ErrFailed) || !errors.As(err, &ce) {
		t.Errorf("refused switch = %v, want ErrFailed in a CommandError", err)
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	c.Close() // idempotent
}

func TestMonitor(t *testing.T) {
	dir, events := fakeHostapd(t, func(string) string { return "FAIL\n" })
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	m, err := Attach(ctx, dir, "wlan0")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	events <- "not an event"
	events <- "<3>AP-CSA-FINISHED freq=2412 dfs=0"
	ev, err := m.Next(ctx)
	if err != nil || ev.Name != EventCSAFinished {
		t.Fatalf("Next = %+v, %v", ev, err)
	}
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelShort()
	if _, err := m.Next(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next after deadline = %v", err)
	}
}

func TestDialMissing(t *testing.T) {
	if _, err := Dial(t.Context(), t.TempDir(), "wlan9"); err == nil {
		t.Error("Dial to a missing socket succeeded")
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(statusReply))
	f.Add([]byte("bss[99999999999]=x\nbssid[0]=zz\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStatus(b)
		if err != nil {
			return
		}
		_ = s.WidthMHz()
		if len(s.BSSes) > 65 {
			t.Fatalf("%d BSSes", len(s.BSSes))
		}
	})
}

func FuzzParseEvent(f *testing.F) {
	f.Add([]byte("<3>AP-STA-CONNECTED 02:00:00:00:02:00"))
	f.Add([]byte("IFNAME=wlan0 <3>DFS-CAC-START freq=5260 cac_time=60s"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseEvent(b)
		if err != nil {
			return
		}
		if ev.Name == "" {
			t.Fatal("event without a name")
		}
		ev.Int("freq")
		ev.Station()
	})
}
