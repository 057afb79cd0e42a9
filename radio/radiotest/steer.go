package radiotest

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// SteerTarget is a radio that implements radio.Steerer, with a station
// that supports 802.11v and complies with transition requests to a BSS
// it can use.
type SteerTarget struct {
	// Radio is an operating AP radio implementing radio.Steerer.
	Radio radio.Radio
	// Station is associated to Radio (and stays so until the Roam test).
	Station net.HardwareAddr
	// Candidate is another BSS of the network the station can move to.
	Candidate radio.Candidate
	// Target is the radio of Candidate; the Roam test waits for its
	// station list to show the station.
	Target radio.Radio
	// Timeout bounds each operation; zero means DefaultTimeout.
	Timeout time.Duration
}

func (st SteerTarget) target() Target { return Target{Radio: st.Radio, Timeout: st.Timeout} }

// RunSteering runs the steering contract as subtests of t, in order, on
// one setup (the last subtest moves the station away):
//
//   - Refusals: a request without candidates fails wrapping
//     radio.ErrUnsupported; one for a station that is not associated fails.
//   - Caps: the station is listed with BTM support.
//   - Reject: a request naming only a BSS that does not exist is answered
//     with a reject (EventTransitionResponse, status not 0).
//   - Roam: a request naming Candidate is accepted with Candidate as the
//     target, and Target lists the station.
func RunSteering(t *testing.T, st SteerTarget) {
	t.Helper()
	s, ok := st.Radio.(radio.Steerer)
	if !ok {
		t.Fatalf("%T does not implement radio.Steerer", st.Radio)
	}
	tg := st.target()
	evctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events := st.Radio.Events(evctx)
	t.Run("Refusals", func(t *testing.T) {
		err := s.RequestTransition(opContext(t, tg), radio.TransitionRequest{Station: st.Station})
		if !errors.Is(err, radio.ErrUnsupported) {
			t.Errorf("request without candidates = %v, want ErrUnsupported", err)
		}
		stranger := net.HardwareAddr{0x02, 0x5e, 0x1e, 0x57, 0x00, 0x01}
		if err := s.RequestTransition(opContext(t, tg), radio.TransitionRequest{Station: stranger, Candidates: []radio.Candidate{st.Candidate}}); err == nil {
			t.Errorf("request for %s, not associated, succeeded", stranger)
		}
	})
	t.Run("Caps", func(t *testing.T) {
		waitFor(t, tg, "station listed with BTM support", func(ctx context.Context) (bool, string) {
			stas, err := st.Radio.Stations(ctx)
			if err != nil {
				return false, "Stations: " + err.Error()
			}
			for _, x := range stas {
				if bytes.Equal(x.MAC, st.Station) {
					return x.Caps.BTM, "caps without BTM"
				}
			}
			return false, "station not listed"
		})
	})
	t.Run("Reject", func(t *testing.T) {
		ghost := st.Candidate
		ghost.BSSID = net.HardwareAddr{0x02, 0xde, 0xad, 0xbe, 0xef, 0x01}
		if err := s.RequestTransition(opContext(t, tg), radio.TransitionRequest{Station: st.Station, Candidates: []radio.Candidate{ghost}}); err != nil {
			t.Fatalf("RequestTransition: %v", err)
		}
		ev := waitEvent(t, tg, events, "transition response", func(ev radio.Event) bool {
			return ev.Kind == radio.EventTransitionResponse && bytes.Equal(ev.Station, st.Station) && ev.Transition != nil
		})
		if ev.Transition.Accepted() {
			t.Errorf("move to a BSS that does not exist accepted: %+v", *ev.Transition)
		}
	})
	t.Run("Roam", func(t *testing.T) {
		if err := s.RequestTransition(opContext(t, tg), radio.TransitionRequest{Station: st.Station, Candidates: []radio.Candidate{st.Candidate}}); err != nil {
			t.Fatalf("RequestTransition: %v", err)
		}
		ev := waitEvent(t, tg, events, "transition response", func(ev radio.Event) bool {
			return ev.Kind == radio.EventTransitionResponse && bytes.Equal(ev.Station, st.Station) && ev.Transition != nil
		})
		if tr := ev.Transition; !tr.Accepted() || !bytes.Equal(tr.Target, st.Candidate.BSSID) {
			t.Errorf("response %+v, want an accept naming %s", *tr, st.Candidate.BSSID)
		}
		on := Target{Radio: st.Target, Timeout: st.Timeout}
		waitFor(t, on, "station on the target", func(ctx context.Context) (bool, string) {
			stas, err := st.Target.Stations(ctx)
			if err != nil {
				return false, "Stations: " + err.Error()
			}
			for _, x := range stas {
				if bytes.Equal(x.MAC, st.Station) {
					return true, ""
				}
			}
			return false, "station not on the target"
		})
	})
}
