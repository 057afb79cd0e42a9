package steer

import (
	"fmt"
	"testing"
)

// crowd returns n active clients on bssid at dbm, with MACs from first.
func crowd(bssid string, first, n int, dbm float64) []Client {
	var out []Client
	for i := range n {
		c := phone(bssid, dbm)
		c.MAC, c.Airtime = mac(0x06, first+i), 0.05
		out = append(out, c)
	}
	return out
}

// TestWeakClientRelief: a weak client slows every other client of its
// BSS (they each get as many frames as it does), so moving it to a
// stronger BSS is worth more than its own gain. Here its own gain is
// below MinGain, the old rule's only test, and the move is made for the
// three clients it frees; without them, or when it is idle and costs
// nobody, it is not.
func TestWeakClientRelief(t *testing.T) {
	bsss := mesh()
	bsss[0].Clients = 4 // A 5 GHz: the weak client and three strong ones
	bsss[2].Active, bsss[2].Clients, bsss[2].Load = 4, 4, 0.5
	weak := phone(apA5, -76, obs(apB5, -70))
	weak.Airtime = 0.5
	strongA := crowd(apA5, 10, 3, -45)
	strongB := crowd(apB5, 20, 4, -45)
	for _, tt := range []struct {
		name    string
		clients []Client
		active  int
		airtime float64
		want    string
	}{
		{"three clients freed", append(append([]Client{weak}, strongA...), strongB...), 4, 0.5, apB5},
		{"alone on its BSS", append([]Client{weak}, strongB...), 1, 0.5, ""},
		{"idle: it costs nobody", append(append([]Client{weak}, strongA...), strongB...), 4, 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{BSSs: append([]BSS(nil), bsss...), Clients: append([]Client(nil), tt.clients...)}
			in.BSSs[0].Active = tt.active
			in.Clients[0].Airtime = tt.airtime
			res := decide(t, Config{}, in, Memory{})
			a, ok := oneAction(t, res, tt.want)
			if !ok {
				return
			}
			if a.Client != sta || a.To != apB5 || a.Reason != Throughput {
				t.Fatalf("action %+v, want the weak client to B", a)
			}
			if g := a.ExpectedMbps / a.CurrentMbps; g >= DefaultConfig().MinGain || g < 1 {
				t.Fatalf("own gain %.2f (%.1f → %.1f Mb/s): the case needs one in [1, MinGain)", g, a.CurrentMbps, a.ExpectedMbps)
			}
		})
	}
}

// TestMoveCrowdingTarget: a move that would more than double a client's
// own throughput is not made when it costs the eight clients of the
// target more than it gains (the old rule looked at the client alone),
// and is made when the target has only one.
func TestMoveCrowdingTarget(t *testing.T) {
	for _, tt := range []struct {
		crowd int
		want  string
	}{{8, ""}, {1, apB5}} {
		t.Run(fmt.Sprint(tt.crowd, " clients on the target"), func(t *testing.T) {
			bsss := mesh()
			bsss[0].Active, bsss[0].Clients, bsss[2].Active, bsss[2].Clients = 1, 1, tt.crowd, tt.crowd
			c := phone(apA5, -77, obs(apB5, -55))
			c.Airtime = 0.5
			in := Input{BSSs: bsss, Clients: append([]Client{c}, crowd(apB5, 20, tt.crowd, -45)...)}
			res := decide(t, Config{}, in, Memory{})
			if a, ok := oneAction(t, res, tt.want); ok && (a.Client != sta || a.ExpectedMbps < 2*a.CurrentMbps) {
				t.Fatalf("action %+v, want the client moved for more than twice its throughput", a)
			}
			if tt.want == "" {
				r := &round{cfg: DefaultConfig(), bsss: map[string]*view{}}
				r.indexBSSs(bsss)
				cs := r.validClients(in.Clients)
				r.indexContention(cs)
				m := r.assess(&cs[0], r.leave(&cs[0], r.bsss[apA5], -77), r.bsss[apB5], -55)
				if m.exp < 2*m.cur {
					t.Fatalf("own gain %.1f → %.1f: the case needs more than 2x", m.cur, m.exp)
				}
			}
		})
	}
}
