package steer

import (
	"math/rand/v2"
	"testing"
	"time"
)

// benchRound is a mesh of 20 BSSs (10 nodes, 2.4 and 5 GHz each) and
// 100 dual-band clients, each seen by every BSS.
func benchRound() Input {
	r := rand.New(rand.NewPCG(1, 2))
	in := Input{Now: t0}
	for n := range 10 {
		a, b := bss5(mac(0x02, 0x500+n), "n"), bss24(mac(0x02, 0x200+n), "n")
		a.Load, b.Load = r.Float64()*0.6, r.Float64()*0.8
		a.Clients, a.Active = 5, 2
		in.BSSs = append(in.BSSs, a, b)
	}
	for i := range 100 {
		c := phone(in.BSSs[r.IntN(20)].BSSID, -50-40*r.Float64())
		c.MAC = mac(0x06, i)
		for _, b := range in.BSSs {
			c.Seen = append(c.Seen, obs(b.BSSID, -50-40*r.Float64()))
		}
		in.Clients = append(in.Clients, c)
	}
	return in
}

// BenchmarkDecide100x20 times one round with 100 clients × 20 BSSs,
// carrying the memory from round to round.
func BenchmarkDecide100x20(b *testing.B) {
	in := benchRound()
	var mem Memory
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		in.Now = t0.Add(time.Duration(i) * 3 * time.Second)
		res, err := Decide(Config{}, in, mem)
		if err != nil {
			b.Fatal(err)
		}
		mem = res.Memory
	}
}
