package bind_test

import (
	"context"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

var _ radio.Radio = (*fakeRadio)(nil)

// fakeRadio is an in-memory radio.Radio: tests set its state, stations
// and scan results, see the calls it got, and complete its switches.
type fakeRadio struct {
	mu        sync.Mutex
	info      radio.Info
	state     radio.State
	survey    []radio.SurveyEntry
	scan      []radio.BSS
	scanErr   error
	stations  []radio.Station
	switchErr error // returned by Switch (refusal)

	switches []radio.SwitchRequest
	result   chan radio.SwitchResult // of the switch under way
	scans    []radio.ScanRequest
	powers   []float64
	subs     map[chan radio.Event]bool
	// called is signalled (without blocking) on every Switch and
	// SetTxPower call.
	called chan struct{}
}

func newFake(info radio.Info, st radio.State) *fakeRadio {
	return &fakeRadio{info: info, state: st, subs: map[chan radio.Event]bool{}, called: make(chan struct{}, 16)}
}

func (f *fakeRadio) Info(context.Context) (radio.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.info, nil
}

func (f *fakeRadio) State(context.Context) (radio.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state, nil
}

func (f *fakeRadio) Survey(context.Context) ([]radio.SurveyEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.survey), nil
}

func (f *fakeRadio) Scan(_ context.Context, req radio.ScanRequest) ([]radio.BSS, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scans = append(f.scans, req)
	return slices.Clone(f.scan), f.scanErr
}

func (f *fakeRadio) Stations(context.Context) ([]radio.Station, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.stations), nil
}

func (f *fakeRadio) Switch(_ context.Context, req radio.SwitchRequest) (<-chan radio.SwitchResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.signal()
	f.switches = append(f.switches, req)
	if f.switchErr != nil {
		return nil, &radio.OpError{Op: "switch", Radio: f.info.Name, Err: f.switchErr}
	}
	if f.result != nil {
		return nil, &radio.OpError{Op: "switch", Radio: f.info.Name, Err: radio.ErrBusy}
	}
	f.result = make(chan radio.SwitchResult, 1)
	f.state.Switching = true
	return f.result, nil
}

func (f *fakeRadio) SetTxPower(_ context.Context, dBm float64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.signal()
	f.powers = append(f.powers, dBm)
	f.state.TxPowerDBm = dBm
	return nil
}

func (f *fakeRadio) signal() {
	select {
	case f.called <- struct{}{}:
	default:
	}
}

func (f *fakeRadio) Events(ctx context.Context) <-chan radio.Event {
	ch := make(chan radio.Event, 16)
	f.mu.Lock()
	f.subs[ch] = true
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
		close(ch)
	}()
	return ch
}

// emit sends ev to every subscriber, dropping it for full ones.
func (f *fakeRadio) emit(ev radio.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ev.Radio, ev.Time = f.info.Name, time.Unix(0, 0)
	for ch := range f.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// complete ends the switch under way: on success the radio operates as
// asked; either way it reports the result and a channel-switched event.
func (f *fakeRadio) complete(err error) {
	f.mu.Lock()
	req := f.switches[len(f.switches)-1]
	res := f.result
	f.result = nil
	f.state.Switching = false
	if err == nil {
		f.state.Channel = req.Channel
		f.state.FreqMHz = radio.ChannelFreq(f.info.Caps.Band, req.Channel)
		if req.Width != 0 {
			f.state.Width = req.Width
		}
	}
	r := radio.SwitchResult{Channel: f.state.Channel, Width: f.state.Width, Err: err}
	f.mu.Unlock()
	res <- r
	close(res)
	f.emit(radio.Event{Kind: radio.EventChannelSwitched, Channel: r.Channel, Width: r.Width})
}

// set changes the radio's state under the lock.
func (f *fakeRadio) set(fn func(f *fakeRadio)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeRadio) switchCalls() []radio.SwitchRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.switches)
}

func (f *fakeRadio) powerCalls() []float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.powers)
}

func (f *fakeRadio) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// fiveGHz is a 5 GHz radio on channel 36/80 MHz at 20 dBm (0..20 dBm),
// whose channels 120, 124 and 128 are disabled and 52..64 need DFS.
func fiveGHz() *fakeRadio {
	var chs []radio.Channel
	for _, n := range []int{36, 40, 44, 48, 52, 56, 60, 64, 100, 104, 108, 112, 116, 120, 124, 128, 132, 136, 140} {
		chs = append(chs, radio.Channel{Number: n, FreqMHz: 5000 + 5*n, DFS: n >= 52,
			Disabled: n >= 120 && n <= 128, MaxPowerDBm: 23})
	}
	return newFake(radio.Info{
		Name: "phy1", Interface: "wlan1", MAC: mac("02:00:00:00:01:00"),
		Caps: radio.Capabilities{Band: radio.Band5G, Channels: chs, Widths: []int{20, 40, 80, 160},
			TxPowerMinDBm: 0, TxPowerMaxDBm: 20, Standards: []string{"a", "n", "ac", "ax"}},
	}, radio.State{Enabled: true, Up: true, Channel: 36, FreqMHz: 5180, Width: 80, CenterFreqMHz: 5210,
		TxPowerDBm: 20, SSID: "Home", BSSID: mac("02:00:00:00:01:01")})
}

// twoGHz is a 2.4 GHz radio on channel 6/20 MHz at 17 dBm (5..20 dBm).
func twoGHz() *fakeRadio {
	var chs []radio.Channel
	for n := 1; n <= 13; n++ {
		chs = append(chs, radio.Channel{Number: n, FreqMHz: 2407 + 5*n})
	}
	return newFake(radio.Info{
		Name: "phy0", Interface: "wlan0", MAC: mac("02:00:00:00:00:00"),
		Caps: radio.Capabilities{Band: radio.Band2G4, Channels: chs, Widths: []int{20, 40},
			TxPowerMinDBm: 5, TxPowerMaxDBm: 20, Standards: []string{"b", "g", "n", "ax"}},
	}, radio.State{Enabled: true, Up: true, Channel: 6, FreqMHz: 2437, Width: 20, CenterFreqMHz: 2437,
		TxPowerDBm: 17, SSID: "Home", BSSID: mac("02:00:00:00:00:01")})
}
