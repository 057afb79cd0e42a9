package sim

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/clock"
	"github.com/uspmesh/uspmesh/radio"
	"github.com/uspmesh/uspmesh/radio/radiotest"
)

// steerHome is two dual-band APs 30 m apart along a corridor with
// walls every 10 m, and the clients given.
func steerHome(clients ...Client) *Home {
	two := RadioSpec{Band: radio.Band2G4, Channels: []int{1, 6, 11}, Widths: []int{20}, Channel: 1, Width: 20,
		TxPower: TxPower{Min: 0, Max: 20, Initial: 20}, SSID: "home"}
	five := RadioSpec{Band: radio.Band5G, Channels: []int{36, 40, 44, 48}, Widths: []int{20, 40, 80}, Channel: 36, Width: 80,
		TxPower: TxPower{Min: 0, Max: 23, Initial: 23}, SSID: "home"}
	b := five
	b.Channel = 44
	return &Home{
		Name: "corridor", Seed: 7,
		PathLoss: PathLoss{Exponent: 3, WallLossDB: 10, ShadowingDB: 1},
		Walls:    []Wall{{From: [2]float64{10, -5}, To: [2]float64{10, 5}}, {From: [2]float64{20, -5}, To: [2]float64{20, 5}}},
		APs: []AP{
			{Node: "ap1", Pos: Pos{X: 0}, Radios: []RadioSpec{two, five}},
			{Node: "ap2", Pos: Pos{X: 30}, Radios: []RadioSpec{func() RadioSpec { x := two; x.Channel = 6; return x }(), b}},
		},
		Clients: clients,
	}
}

func TestPathAt(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &Path{Waypoints: []Pos{{X: 0}, {X: 10}, {X: 10, Y: 10}}, SpeedMPS: 1, PauseS: 5, Start: t0}
	loop := *p
	loop.Loop = true
	for _, tc := range []struct {
		name string
		p    *Path
		at   time.Duration
		want Pos
	}{
		{"before start", p, -time.Minute, Pos{X: 0}},
		{"start", p, 0, Pos{X: 0}},
		{"mid first leg", p, 4 * time.Second, Pos{X: 4}},
		{"pausing", p, 12 * time.Second, Pos{X: 10}},
		{"second leg", p, 17 * time.Second, Pos{X: 10, Y: 2}},
		{"stays at the end", p, time.Hour, Pos{X: 10, Y: 10}},
		// 10 + 5 + 10 + 5 + √200 + 5 s per lap.
		{"loop wraps", &loop, 2*(35*time.Second+14142135623*time.Nanosecond) + 4*time.Second, Pos{X: 4}},
	} {
		got := tc.p.at(t0.Add(tc.at))
		if d := (got.X-tc.want.X)*(got.X-tc.want.X) + (got.Y-tc.want.Y)*(got.Y-tc.want.Y); d > 1e-6 || got.Floor != tc.want.Floor {
			t.Errorf("%s: at %v = %+v, want %+v", tc.name, tc.at, got, tc.want)
		}
	}
	for _, bad := range []Path{{}, {Waypoints: []Pos{{}}}, {Waypoints: []Pos{{}}, SpeedMPS: 1, PauseS: -1}} {
		if err := bad.validate(); err == nil {
			t.Errorf("validate(%+v) accepted", bad)
		}
	}
}

func TestPlace(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := steerHome()
	var nodes []NodeState
	for _, ap := range h.APs {
		ns := NodeState{Node: ap.Node}
		for i, rs := range ap.Radios {
			ns.Radios = append(ns.Radios, RadioState{Name: rs.name(i), Band: rs.Band, Channel: rs.Channel, Width: rs.Width,
				TxPowerDBm: rs.TxPower.Initial, BSSID: net.HardwareAddr(radioMAC(h.Seed, ap.Node, rs.name(i))).String(), Enabled: true, Up: true})
		}
		nodes = append(nodes, ns)
	}
	at := func(x float64) Pos { return Pos{X: x} }
	plain := func(mac string, x float64) Client {
		return Client{MAC: mac, Pos: at(x), Band: radio.Band2G4}
	}
	sticky := func(mac string, x float64, bands ...radio.Band) Client {
		c := plain(mac, x)
		c.Bands, c.RoamDBm = bands, StickyRoamDBm
		return c
	}
	on := func(node, r string) RoamState { return RoamState{Node: node, Radio: r} }
	for _, tc := range []struct {
		name   string
		c      Client
		roam   RoamState
		want   string // node/radio, "" for none
		record bool   // a roam state change is returned
	}{
		{"plain near ap1", plain("02:00:00:00:00:01", 2), RoamState{}, "ap1/radio0", false},
		{"plain past the middle", plain("02:00:00:00:00:01", 18), on("ap1", "radio0"), "ap2/radio0", false},
		{"sticky stays while the signal holds", sticky("02:00:00:00:00:02", 18), on("ap1", "radio0"), "ap1/radio0", false},
		{"sticky leaves below roamDBm", sticky("02:00:00:00:00:02", 29), on("ap1", "radio0"), "ap2/radio0", true},
		{"sticky without state takes the strongest", sticky("02:00:00:00:00:02", 25), RoamState{}, "ap2/radio0", true},
		{"dual band on 5 GHz stays there", sticky("02:00:00:00:00:03", 3, radio.Band2G4, radio.Band5G), on("ap1", "radio1"), "ap1/radio1", false},
		{"refused radio skipped", plain("02:00:00:00:00:04", 2),
			RoamState{Denied: []Denial{{Node: "ap1", Radio: "radio0", Until: now.Add(time.Minute)}}}, "ap2/radio0", false},
		{"expired refusal ignored", plain("02:00:00:00:00:04", 2),
			RoamState{Denied: []Denial{{Node: "ap1", Radio: "radio0", Until: now}}}, "ap1/radio0", false},
		{"sticky refused leaves", sticky("02:00:00:00:00:05", 2),
			RoamState{Node: "ap1", Radio: "radio0", Denied: []Denial{{Node: "ap1", Radio: "radio0", Until: now.Add(time.Minute)}}}, "ap2/radio0", true},
		{"out of reach", plain("02:00:00:00:00:06", 400), RoamState{}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.roam.MAC = tc.c.MAC
			assoc, changed := h.place(nodes, []Client{tc.c}, map[string]RoamState{tc.c.MAC: tc.roam}, now)
			a, ok := assoc[tc.c.MAC]
			got := ""
			if ok {
				got = a.node + "/" + a.radio
			}
			if got != tc.want {
				t.Errorf("associated to %q, want %q", got, tc.want)
			}
			if ok && a.client.Band != radioBand(h, a) {
				t.Errorf("association's band %s, radio's %s", a.client.Band, radioBand(h, a))
			}
			if (len(changed) == 1) != tc.record {
				t.Errorf("roam changes %+v, want a change: %v", changed, tc.record)
			}
		})
	}
}

func radioBand(h *Home, a association) radio.Band {
	ap, _ := h.AP(a.node)
	for i, rs := range ap.Radios {
		if rs.name(i) == a.radio {
			return rs.Band
		}
	}
	return ""
}

// awaitStation waits until r lists (or does not list) mac.
func awaitStation(t *testing.T, r *Radio, mac string, present bool) radio.Station {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	for {
		stas, err := r.Stations(ctx)
		i := slices.IndexFunc(stas, func(s radio.Station) bool { return s.MAC.String() == mac })
		if err == nil && (i >= 0) == present {
			if i >= 0 {
				return stas[i]
			}
			return radio.Station{}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: station %s present=%v never became %v", r.info.Name, mac, i >= 0, present)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func nextTransition(t *testing.T, ch <-chan radio.Event) radio.Event {
	t.Helper()
	for {
		ev := waitEvent(t, ch, radio.EventTransitionResponse)
		if ev.Transition != nil {
			return ev
		}
	}
}

func TestSimSteering(t *testing.T) {
	const (
		comply = "02:00:00:00:00:01"
		reject = "02:00:00:00:00:02"
		ignore = "02:00:00:00:00:03"
		legacy = "02:00:00:00:00:04"
	)
	mk := func(mac, btm string) Client {
		return Client{MAC: mac, Pos: Pos{X: 12}, Band: radio.Band2G4, Load: 0.01,
			Steering: Steering{Bands: []radio.Band{radio.Band2G4, radio.Band5G}, RoamDBm: StickyRoamDBm, BTM: btm}}
	}
	home := steerHome(mk(comply, BTMComply), mk(reject, BTMReject), mk(ignore, BTMIgnore), mk(legacy, BTMNone))
	air := t.TempDir()
	_, a := openNode(t, home, "ap1", air)
	b2, _ := openNode(t, home, "ap2", air)
	rs, _ := b2.Radios(t.Context())
	target := rs[1].(*Radio) // ap2's 5 GHz radio
	for _, mac := range []string{comply, reject, ignore, legacy} {
		st := awaitStation(t, a, mac, true)
		if st.Caps.BTM != (mac != legacy) || !st.Caps.SupportsBand(radio.Band5G) {
			t.Errorf("%s: caps %+v", mac, st.Caps)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	events := a.Events(ctx)
	req := func(mac string) radio.TransitionRequest {
		hw, _ := net.ParseMAC(mac)
		return radio.TransitionRequest{Station: hw, Candidates: []radio.Candidate{
			{BSSID: net.HardwareAddr{2, 0xde, 0xad, 0, 0, 1}, Band: radio.Band5G, Channel: 40, Preference: 255},
			{BSSID: target.info.MAC, Band: radio.Band5G, Channel: 44, Preference: 200},
		}}
	}

	if err := a.RequestTransition(ctx, req(comply)); err != nil {
		t.Fatal(err)
	}
	ev := nextTransition(t, events)
	if tr := ev.Transition; ev.Station.String() != comply || !tr.Accepted() || !bytes.Equal(tr.Target, target.info.MAC) {
		t.Errorf("complying client answered %+v %+v, want accept to %s", ev, tr, target.info.MAC)
	}
	awaitStation(t, a, comply, false)
	if st := awaitStation(t, target, comply, true); st.SignalDBm == 0 {
		t.Errorf("moved client reports no signal: %+v", st)
	}

	if err := a.RequestTransition(ctx, req(reject)); err != nil {
		t.Fatal(err)
	}
	if ev := nextTransition(t, events); ev.Station.String() != reject || ev.Transition.Status != radio.BTMRejectUnspecified {
		t.Errorf("rejecting client answered %+v %+v", ev, ev.Transition)
	}
	for _, mac := range []string{ignore, legacy} {
		if err := a.RequestTransition(ctx, req(mac)); err != nil {
			t.Errorf("%s: %v", mac, err)
		}
	}
	// The reject was answered at once; an answer from the silent two
	// would come as fast. The complying client is asked again to mark the
	// end of the stream: its request must be the next answer.
	if err := target.RequestTransition(ctx, radio.TransitionRequest{Station: req(comply).Station, Candidates: []radio.Candidate{
		{BSSID: net.HardwareAddr{2, 0xde, 0xad, 0, 0, 2}, Band: radio.Band5G, Channel: 40}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Kind == radio.EventTransitionResponse {
			t.Errorf("unexpected answer %+v %+v from a client that does not answer", ev, ev.Transition)
		}
	default:
	}
	for _, mac := range []string{reject, ignore, legacy} {
		awaitStation(t, a, mac, true)
	}

	hw, _ := net.ParseMAC(legacy)
	if err := a.RequestTransition(ctx, radio.TransitionRequest{Station: net.HardwareAddr{2, 9, 9, 9, 9, 9}, Candidates: req(legacy).Candidates}); !errors.Is(err, ErrNoStation) {
		t.Errorf("request for a station not associated = %v, want ErrNoStation", err)
	}
	if err := a.RequestBeaconReport(ctx, radio.BeaconReportRequest{Station: hw, OpClass: 81}); !errors.Is(err, radio.ErrUnsupported) {
		t.Errorf("beacon report from a client without 802.11k = %v, want ErrUnsupported", err)
	}

	// A refused legacy client re-associates elsewhere, and the refusal is
	// in the air until lifted.
	if err := a.Deny(ctx, hw, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	awaitStation(t, a, legacy, false)
	if rs := b2.Air().Roams()[legacy]; len(rs.Denied) != 1 || rs.Node == "" || (rs.Node == "ap1" && rs.Radio == a.info.Name) {
		t.Errorf("roam state after Deny %+v, want associated elsewhere with one refusal", rs)
	}
	if err := a.Allow(ctx, hw); err != nil {
		t.Fatal(err)
	}
	if rs := b2.Air().Roams()[legacy]; len(rs.Denied) != 0 {
		t.Errorf("roam state after Allow %+v, want no refusal", rs)
	}
}

// TestSimComplianceDeterministic: a client complying with probability
// 0.5 gives the same answers to the same requests in two runs of the
// same home, and both answers occur.
func TestSimComplianceDeterministic(t *testing.T) {
	run := func() []int {
		c := Client{MAC: "02:00:00:00:00:01", Pos: Pos{X: 12}, Band: radio.Band2G4,
			Steering: Steering{RoamDBm: StickyRoamDBm, BTM: BTMComply, BTMCompliance: 0.5}}
		home := steerHome(c)
		_, a := openNode(t, home, "ap1", t.TempDir())
		awaitStation(t, a, c.MAC, true)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		events := a.Events(ctx)
		hw, _ := net.ParseMAC(c.MAC)
		var got []int
		for range 12 {
			// The only candidate does not exist: an accept is status 7.
			err := a.RequestTransition(ctx, radio.TransitionRequest{Station: hw, Candidates: []radio.Candidate{
				{BSSID: net.HardwareAddr{2, 0xde, 0xad, 0, 0, 1}, Band: radio.Band2G4, Channel: 6}}})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, nextTransition(t, events).Transition.Status)
		}
		return got
	}
	first, second := run(), run()
	if !slices.Equal(first, second) {
		t.Errorf("answers differ between runs: %v, %v", first, second)
	}
	if !slices.Contains(first, radio.BTMRejectUnspecified) || !slices.Contains(first, radio.BTMRejectNoCandidates) {
		t.Errorf("answers %v: want both refusals (declined, and complied without a usable candidate)", first)
	}
}

// TestStickyWalk walks a sticky and a plain client from ap1 to ap2: the
// plain one changes AP where ap2 becomes the stronger, the sticky one
// only once ap1's signal has fallen below RoamDBm, each exactly once.
func TestStickyWalk(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	path := &Path{Waypoints: []Pos{{X: 1}, {X: 29}}, SpeedMPS: 1, Start: t0}
	sticky := Client{MAC: "02:00:00:00:00:01", Band: radio.Band2G4, Steering: Steering{RoamDBm: StickyRoamDBm, Path: path}}
	plain := Client{MAC: "02:00:00:00:00:02", Band: radio.Band2G4, Steering: Steering{Path: path}}
	h := steerHome(sticky, plain)
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	var nodes []NodeState
	for _, ap := range h.APs {
		ns := NodeState{Node: ap.Node}
		for i, rs := range ap.Radios {
			ns.Radios = append(ns.Radios, RadioState{Name: rs.name(i), Band: rs.Band, Channel: rs.Channel, Width: rs.Width,
				TxPowerDBm: rs.TxPower.Initial, BSSID: net.HardwareAddr(radioMAC(h.Seed, ap.Node, rs.name(i))).String(), Enabled: true, Up: true})
		}
		nodes = append(nodes, ns)
	}
	roams := map[string]RoamState{}
	moves := map[string][]time.Duration{}
	last := map[string]association{}
	for s := 0; s <= 30; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		assoc, changed := h.place(nodes, h.Clients, roams, now)
		for _, rs := range changed {
			roams[rs.MAC] = rs
		}
		for mac, a := range assoc {
			if prev, ok := last[mac]; ok && prev.node != a.node {
				moves[mac] = append(moves[mac], time.Duration(s)*time.Second)
				if mac == sticky.MAC && prev.client.RoamDBm != 0 {
					ap1, _ := h.AP(prev.node)
					level := h.rssi(radio.Band2G4, 20, ap1.Pos, prev.node, a.client.Pos, "client:"+mac)
					if level >= StickyRoamDBm {
						t.Errorf("sticky client left %s at %v with its signal still %.1f dBm", prev.node, s, level)
					}
				}
			}
			last[mac] = a
		}
	}
	if len(moves[sticky.MAC]) != 1 || len(moves[plain.MAC]) != 1 {
		t.Fatalf("moves %v, want one each", moves)
	}
	if moves[sticky.MAC][0] <= moves[plain.MAC][0] {
		t.Errorf("sticky client moved at %v, not after the plain one (%v)", moves[sticky.MAC][0], moves[plain.MAC][0])
	}
	t.Logf("plain client changed AP after %v, sticky after %v", moves[plain.MAC][0], moves[sticky.MAC][0])
}

// TestStationsFollowWalk: the signal a radio reports of a walking client
// is the path-loss model's at the client's place now.
func TestStationsFollowWalk(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fake := clock.NewFake(t0)
	c := Client{MAC: "02:00:00:00:00:01", Band: radio.Band2G4, Load: 0.01,
		Steering: Steering{RoamDBm: StickyRoamDBm, Path: &Path{Waypoints: []Pos{{X: 1}, {X: 15}}, SpeedMPS: 1, Start: t0}}}
	h := steerHome(c)
	_, a := openNode(t, h, "ap1", t.TempDir(), func(cfg *Config) { cfg.Clock = fake })
	signal := func() int {
		stas, err := a.Stations(t.Context())
		if err != nil || len(stas) != 1 {
			t.Fatalf("Stations = %+v, %v", stas, err)
		}
		return stas[0].SignalDBm
	}
	near := signal()
	fake.Advance(12 * time.Second)
	far := signal()
	ap1, _ := h.AP("ap1")
	want := h.rssi(radio.Band2G4, defaultClientTxDBm, Pos{X: 13}, "client:"+c.MAC, ap1.Pos, "ap1")
	if far >= near || float64(far) < want-1 || float64(far) > want+1 {
		t.Errorf("signal %d dBm at 1 m, %d dBm at 13 m; the model gives %.1f dBm there", near, far, want)
	}
}

// TestSteeringContract runs the steering contract the linux backend also
// keeps in the radio lab.
func TestSteeringContract(t *testing.T) {
	const mac = "02:00:00:00:00:01"
	c := Client{MAC: mac, Pos: Pos{X: 12}, Band: radio.Band2G4, Load: 0.01,
		Steering: Steering{Bands: []radio.Band{radio.Band2G4, radio.Band5G}, RoamDBm: StickyRoamDBm, BTM: BTMComply}}
	home, air := steerHome(c), t.TempDir()
	_, a := openNode(t, home, "ap1", air)
	b2, _ := openNode(t, home, "ap2", air)
	rs, _ := b2.Radios(t.Context())
	target := rs[1].(*Radio)
	awaitStation(t, a, mac, true)
	hw, _ := net.ParseMAC(mac)
	radiotest.RunSteering(t, radiotest.SteerTarget{
		Radio: a, Station: hw, Target: target, Timeout: 5 * time.Second,
		Candidate: radio.Candidate{BSSID: target.info.MAC, Band: radio.Band5G, Channel: 44, Preference: 255},
	})
}

func FuzzDecodeRoamState(f *testing.F) {
	f.Add([]byte(`{"mac":"02:00:00:00:00:01","node":"ap1","radio":"radio0","denied":[{"node":"ap2","radio":"radio1","until":"2026-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"mac":"02:00:00:00:00:01","node":"ap1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := DecodeRoamState(data)
		if err != nil {
			return
		}
		if _, err := parseMAC(rs.MAC); err != nil || (rs.Node == "") != (rs.Radio == "") {
			t.Fatalf("accepted %+v", rs)
		}
		rs.denied("ap1", "radio0", time.Now())
	})
}

// FuzzSteeringClients places fuzzed steering clients (bands, paths,
// roaming thresholds) in a valid home: no panic, and every association
// is to a radio of one of the client's bands.
func FuzzSteeringClients(f *testing.F) {
	f.Add([]byte(`[{"mac":"02:00:00:00:00:01","pos":{"x":3},"band":"2.4GHz","bands":["2.4GHz","5GHz"],"roamDBm":-80,"btm":"comply","btmCompliance":0.5,"path":{"waypoints":[{"x":1},{"x":29,"floor":1}],"speedMPS":1.2,"pauseS":3,"loop":true}}]`), int64(1e9))
	f.Fuzz(func(t *testing.T, data []byte, at int64) {
		var cs []Client
		if err := decodeStrict(data, &cs); err != nil {
			return
		}
		for _, c := range cs {
			if c.validate() != nil {
				return
			}
		}
		h := steerHome(cs...)
		var nodes []NodeState
		for _, ap := range h.APs {
			ns := NodeState{Node: ap.Node}
			for i, rs := range ap.Radios {
				ns.Radios = append(ns.Radios, RadioState{Name: rs.name(i), Band: rs.Band, Channel: rs.Channel, Width: rs.Width,
					TxPowerDBm: rs.TxPower.Initial, BSSID: net.HardwareAddr(radioMAC(h.Seed, ap.Node, rs.name(i))).String(), Enabled: true, Up: true})
			}
			nodes = append(nodes, ns)
		}
		assoc, _ := h.place(nodes, cs, map[string]RoamState{}, time.Unix(0, at))
		for mac, a := range assoc {
			i := slices.IndexFunc(cs, func(c Client) bool { return normMAC(c.MAC) == mac })
			if i < 0 || !slices.Contains(cs[i].bands(), a.client.Band) {
				t.Fatalf("%s associated on %s, not one of its bands", mac, a.client.Band)
			}
		}
	})
}

func TestSimBeaconReport(t *testing.T) {
	c := Client{MAC: "02:00:00:00:00:01", Pos: Pos{X: 12}, Band: radio.Band2G4,
		Steering: Steering{Bands: []radio.Band{radio.Band2G4, radio.Band5G}, BeaconReport: true}}
	home, air := steerHome(c), t.TempDir()
	_, a := openNode(t, home, "ap1", air)
	b2, _ := openNode(t, home, "ap2", air)
	rs, _ := b2.Radios(t.Context())
	peer := rs[0].(*Radio)
	awaitStation(t, a, c.MAC, true)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	events := a.Events(ctx)
	hw, _ := net.ParseMAC(c.MAC)
	if err := a.RequestBeaconReport(ctx, radio.BeaconReportRequest{Station: hw, OpClass: 81, BSSID: peer.info.MAC}); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, events, radio.EventBeaconReport)
	ap2, _ := home.AP("ap2")
	want := home.rssi(radio.Band2G4, 20, ap2.Pos, "ap2", c.Pos, "client:"+c.MAC)
	if br := ev.Beacon; br == nil || !bytes.Equal(br.BSSID, peer.info.MAC) || br.OpClass != 81 || br.Channel != 6 || br.RCPIDBm < want-0.5 || br.RCPIDBm > want+0.5 {
		t.Errorf("report %+v, want ap2's 2.4 GHz BSS on channel 6 at %.1f dBm", br, want)
	}
}

// TestWalkSteeredOnce: a sticky, complying client walks from ap1 to ap2
// while a threshold rule (the simplest steering) watches ap1's station
// list and asks the client to move once its signal falls below -70 dBm.
// The client is on ap2 well before its own roaming would take it there
// (below -80 dBm), and never goes back to ap1 for the rest of the walk.
func TestWalkSteeredOnce(t *testing.T) {
	start := time.Now().Add(200 * time.Millisecond)
	c := Client{MAC: "02:00:00:00:00:01", Band: radio.Band2G4, Load: 0.01,
		Steering: Steering{RoamDBm: StickyRoamDBm, BTM: BTMComply,
			Path: &Path{Waypoints: []Pos{{X: 1}, {X: 29}}, SpeedMPS: 14, Start: start}}}
	home, air := steerHome(c), t.TempDir()
	_, a := openNode(t, home, "ap1", air)
	b2, _ := openNode(t, home, "ap2", air)
	rs, _ := b2.Radios(t.Context())
	target := rs[0].(*Radio)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	events := target.Events(ctx)
	hw, _ := net.ParseMAC(c.MAC)
	asked := 0
	var steeredAt Pos
	end := start.Add(2*time.Second + 500*time.Millisecond) // the walk takes 2 s
	for time.Now().Before(end) {
		stas, err := a.Stations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range stas {
			if bytes.Equal(st.MAC, hw) && st.SignalDBm < -70 && st.Caps.BTM {
				if asked > 0 {
					t.Fatalf("client back on ap1 at %+v after being steered", c.posAt(time.Now()))
				}
				asked++
				steeredAt = c.posAt(time.Now())
				err := a.RequestTransition(ctx, radio.TransitionRequest{Station: hw,
					Candidates: []radio.Candidate{{BSSID: target.info.MAC, Band: radio.Band2G4, Channel: 6, Preference: 255}}})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if asked != 1 {
		t.Fatalf("asked %d times, want once", asked)
	}
	ev := waitEvent(t, events, radio.EventStationJoined)
	if !bytes.Equal(ev.Station, hw) {
		t.Errorf("joined ap2: %v, want %s", ev.Station, hw)
	}
	ap1, _ := home.AP("ap1")
	if level := home.rssi(radio.Band2G4, 20, ap1.Pos, "ap1", steeredAt, "client:"+c.MAC); level < StickyRoamDBm {
		t.Errorf("steered at %+v where ap1 is %.1f dBm: the client would have roamed by itself", steeredAt, level)
	}
	awaitStation(t, target, c.MAC, true)
	t.Logf("steered at x=%.1f m", steeredAt.X)
}

// TestDisassocImminent: a client that rejects a request with
// disassociation imminent is disassociated after the timer and
// associates anew to the strongest radio; sticky until then, it had
// stayed on ap1 though ap2 was stronger.
func TestDisassocImminent(t *testing.T) {
	const mac = "02:00:00:00:00:01"
	c := Client{MAC: mac, Pos: Pos{X: 18}, Band: radio.Band2G4, Steering: Steering{RoamDBm: StickyRoamDBm, BTM: BTMReject}}
	home, air := steerHome(c), t.TempDir()
	if err := updateRoam(air, mac, time.Now(), func(s *RoamState) { s.Node, s.Radio = "ap1", "radio0" }); err != nil {
		t.Fatal(err)
	}
	_, a := openNode(t, home, "ap1", air)
	b2, _ := openNode(t, home, "ap2", air)
	rs, _ := b2.Radios(t.Context())
	awaitStation(t, a, mac, true)
	hw, _ := net.ParseMAC(mac)
	req := radio.TransitionRequest{Station: hw, DisassocImminent: true, DisassocTimer: 5,
		Candidates: []radio.Candidate{{BSSID: rs[0].(*Radio).info.MAC, Band: radio.Band2G4, Channel: 6}}}
	if err := a.RequestTransition(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	awaitStation(t, a, mac, false)
	awaitStation(t, rs[0].(*Radio), mac, true)
}

func TestParseSteeringClient(t *testing.T) {
	base := `{"name":"x","aps":[{"node":"a","radios":[{"band":"2.4GHz","channels":[1],"widths":[20],"channel":1,"width":20,"ssid":"s","txPower":{"max":20,"initial":20}}]}],"clients":[%s]}`
	good := `{"mac":"02:00:00:00:00:01","band":"2.4GHz","bands":["2.4GHz","5GHz"],"roamDBm":-80,"btm":"comply","btmCompliance":0.7,"beaconReport":true,
		"path":{"waypoints":[{"x":1},{"x":9,"floor":1}],"speedMPS":1.2,"pauseS":30,"start":"2026-01-01T08:00:00Z","loop":true}}`
	h, err := ParseHome("steer", []byte(strings.Replace(base, "%s", good, 1)))
	if err != nil {
		t.Fatal(err)
	}
	c := h.Clients[0]
	if !slices.Equal(c.Bands, []radio.Band{radio.Band2G4, radio.Band5G}) || c.RoamDBm != -80 || c.BTM != BTMComply || c.BTMCompliance != 0.7 ||
		!c.BeaconReport || c.Path == nil || len(c.Path.Waypoints) != 2 || !c.Path.Loop || c.Path.Start.Hour() != 8 {
		t.Errorf("parsed %+v (path %+v)", c, c.Path)
	}
	for name, bad := range map[string]string{
		"btm":           `{"mac":"02:00:00:00:00:01","band":"2.4GHz","btm":"maybe"}`,
		"bands":         `{"mac":"02:00:00:00:00:01","band":"2.4GHz","bands":["5GHz"]}`,
		"roamDBm":       `{"mac":"02:00:00:00:00:01","band":"2.4GHz","roamDBm":5}`,
		"btmCompliance": `{"mac":"02:00:00:00:00:01","band":"2.4GHz","btmCompliance":2}`,
		"speedMPS":      `{"mac":"02:00:00:00:00:01","band":"2.4GHz","path":{"waypoints":[{"x":1}]}}`,
		"waypoints":     `{"mac":"02:00:00:00:00:01","band":"2.4GHz","path":{"speedMPS":1}}`,
	} {
		_, err := ParseHome("bad", []byte(strings.Replace(base, "%s", bad, 1)))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: ParseHome = %v, want an error naming %s", name, err, name)
		}
	}
}
