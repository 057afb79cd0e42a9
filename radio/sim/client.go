package sim

import (
	"fmt"
	"math"
	"slices"

	"github.com/uspmesh/uspmesh/radio"
)

// Steering is how a client walks, roams and answers steering requests.
// The zero value is the plain client: standing still, single band,
// always on the strongest radio, deaf to 802.11v and 802.11k.
type Steering struct {
	// Bands are the bands the client can use, Band among them; empty
	// means Band alone. A client associates first to the strongest radio
	// of any of its bands.
	Bands []radio.Band `json:"bands,omitempty"`
	// RoamDBm makes the client sticky, as real clients are: it stays with
	// its AP until the signal falls below RoamDBm (StickyRoamDBm is
	// typical), the AP stops or refuses it, or a BSS transition request
	// moves it; it then takes the strongest radio it may use. 0 keeps the
	// plain model: always the strongest radio.
	RoamDBm float64 `json:"roamDBm,omitempty"`
	// BTM is how the client treats 802.11v BSS transition requests:
	// BTMNone (no support: requests go unanswered), BTMComply (accepts
	// with probability BTMCompliance, rejects otherwise), BTMReject
	// (always rejects) or BTMIgnore (advertises support, never answers).
	BTM string `json:"btm,omitempty"`
	// BTMCompliance is the probability a complying client accepts a
	// request, 0..1; 0 means 1. Draws are a function of the home's seed,
	// the client and the request's dialog token.
	BTMCompliance float64 `json:"btmCompliance,omitempty"`
	// BeaconReport: the client answers 802.11k beacon report requests.
	BeaconReport bool `json:"beaconReport,omitempty"`
	// Path, when set, makes the client walk; Pos is then unused.
	Path *Path `json:"path,omitempty"`
}

// The BTM behaviours of a client.
const (
	BTMNone   = ""
	BTMComply = "comply"
	BTMReject = "reject"
	BTMIgnore = "ignore"
)

// StickyRoamDBm is the signal below which a typical sticky client looks
// for another AP on its own.
const StickyRoamDBm = -80

func (s Steering) validate(band radio.Band) error {
	for _, b := range s.Bands {
		if !validBand(b) {
			return fmt.Errorf("bands: %q is not 2.4GHz, 5GHz or 6GHz", b)
		}
	}
	if len(s.Bands) > 0 && !slices.Contains(s.Bands, band) {
		return fmt.Errorf("bands: %v without band %s", s.Bands, band)
	}
	if math.IsNaN(s.RoamDBm) || s.RoamDBm < -120 || s.RoamDBm > 0 {
		return fmt.Errorf("roamDBm: %v outside -120..0", s.RoamDBm)
	}
	switch s.BTM {
	case BTMNone, BTMComply, BTMReject, BTMIgnore:
	default:
		return fmt.Errorf("btm: %q is not comply, reject or ignore", s.BTM)
	}
	if math.IsNaN(s.BTMCompliance) || s.BTMCompliance < 0 || s.BTMCompliance > 1 {
		return fmt.Errorf("btmCompliance: %v outside 0..1", s.BTMCompliance)
	}
	if s.Path != nil {
		if err := s.Path.validate(); err != nil {
			return fmt.Errorf("path: %w", err)
		}
	}
	return nil
}

// bands returns the bands the client can use.
func (c Client) bands() []radio.Band {
	if len(c.Bands) == 0 {
		return []radio.Band{c.Band}
	}
	return c.Bands
}

// caps is what the client tells an AP it can do: HT and HE on every band
// (VHT when it has 5 GHz), the operating classes of its bands.
func (c Client) caps() radio.StationCaps {
	caps := radio.StationCaps{BTM: c.BTM != BTMNone, BeaconReport: c.BeaconReport, Bands: slices.Clone(c.bands()), HT: true, HE: true, MaxRateKbps: 54000}
	for _, b := range caps.Bands {
		caps.VHT = caps.VHT || b == radio.Band5G
		for _, ch := range bandChannels(b) {
			if oc := radio.OpClass(b, ch); oc != 0 && !slices.Contains(caps.OpClasses, oc) {
				caps.OpClasses = append(caps.OpClasses, oc)
			}
		}
	}
	slices.Sort(caps.OpClasses)
	return caps
}
