package wifiopt

import (
	"errors"
	"math"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(p *Problem)
	}{
		{"nil problem", nil},
		{"unknown band", func(p *Problem) { p.Radios[0].Band = "60GHz" }},
		{"empty ID", func(p *Problem) { p.Radios[0].ID = "" }},
		{"duplicate ID", func(p *Problem) { p.Radios[1].ID = "a" }},
		{"no channels", func(p *Problem) { p.Radios[0].Channels = nil }},
		{"channel of another band", func(p *Problem) { p.Radios[0].Channels = append(p.Radios[0].Channels, Channel{Number: 36}) }},
		{"current channel not allowed", func(p *Problem) { p.Radios[0].Current.Channel = 13 }},
		{"current width not supported", func(p *Problem) { p.Radios[0].Current.Width = 80 }},
		{"bad width", func(p *Problem) { p.Radios[0].Widths = []int{20, 30} }},
		{"NaN load", func(p *Problem) { p.Radios[0].Load = math.NaN() }},
		{"load above 1", func(p *Problem) { p.Radios[0].Load = 1.5 }},
		{"dangling BackhaulOf", func(p *Problem) { p.Radios[0].BackhaulOf = "nowhere" }},
		{"backhaul of itself", func(p *Problem) { p.Radios[0].BackhaulOf = "a" }},
		{"backhaul across bands", func(p *Problem) {
			p.Radios[1] = Radio{ID: "b", Band: Band5G, Channels: []Channel{{Number: 36}}, Current: Assignment{36, 20}, BackhaulOf: "a"}
			p.RSSI = nil
		}},
		{"backhaul group without common channel", func(p *Problem) {
			p.Radios[0].Channels = []Channel{{Number: 1}}
			p.Radios[1].Channels = []Channel{{Number: 6}}
			p.Radios[1].Current.Channel = 6
			p.Radios[1].BackhaulOf = "a"
		}},
		{"link to unknown radio", func(p *Problem) { p.RSSI[0].To = "zz" }},
		{"NaN RSSI", func(p *Problem) { p.RSSI[0].RSSI = math.NaN() }},
		{"infinite RSSI", func(p *Problem) { p.RSSI[0].RSSI = math.Inf(-1) }},
		{"self link", func(p *Problem) { p.RSSI[0].To = p.RSSI[0].From }},
		{"foreign at unknown radio", func(p *Problem) { p.Foreign = []ForeignBSS{{Radio: "zz", Channel: 1}} }},
		{"foreign on bad channel", func(p *Problem) { p.Foreign = []ForeignBSS{{Radio: "a", Channel: 36}} }},
		{"foreign NaN load", func(p *Problem) { p.Foreign = []ForeignBSS{{Radio: "a", Channel: 1, Load: math.NaN()}} }},
		{"busy above 1", func(p *Problem) { p.Busy = []Busy{{Radio: "a", Channel: 1, Fraction: 2}} }},
		{"negative switch cost", func(p *Problem) { p.SwitchCost = -1 }},
		{"NaN DFS cost", func(p *Problem) { p.DFSCost = math.NaN() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p *Problem
			if tt.edit != nil {
				p = tiny()
				tt.edit(p)
			}
			err := Validate(p)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
		})
	}
	if err := Validate(tiny()); err != nil {
		t.Fatalf("valid problem: %v", err)
	}
	if err := Validate(&Problem{}); err != nil {
		t.Fatalf("empty problem: %v", err)
	}
}
