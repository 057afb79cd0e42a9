package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/uspmesh/uspmesh/radio"
)

// Home describes a virtual home: where the mesh access points stand, how
// radio waves fade between places, the neighbours' networks and the
// clients. It is read from JSON (LoadHome) and never changed afterwards.
type Home struct {
	// Name is a label for logs, e.g. "house".
	Name string `json:"name"`
	// Seed makes shadowing and MAC addresses reproducible.
	Seed int64 `json:"seed"`
	// PathLoss is the propagation model.
	PathLoss PathLoss `json:"pathLoss"`
	// Walls attenuate signals whose straight path crosses them.
	Walls []Wall `json:"walls,omitempty"`
	// APs are the mesh access points, one per meshd node.
	APs []AP `json:"aps"`
	// Foreign lists the neighbours' networks.
	Foreign []Foreign `json:"foreign,omitempty"`
	// Clients are stations; each associates to the strongest mesh radio
	// of its band.
	Clients []Client `json:"clients,omitempty"`
}

// Pos is a place in the home: metres on a floor plan and a floor number
// (0 is the ground floor).
type Pos struct {
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
	Floor int     `json:"floor"`
}

// PathLoss is a log-distance model:
//
//	loss = RefLossDB[band] + 10·Exponent·log10(d/1 m)
//	     + WallLossDB·walls crossed + LossPerMetreDB·d + FloorLossDB·floors
//
// where d is the 3-D distance (floors FloorHeightM apart, at least 1 m).
// Each link also gets a fixed shadowing term drawn from the home's seed,
// uniform in ±ShadowingDB.
type PathLoss struct {
	// RefLossDB is the loss at 1 m per band; missing bands use the
	// free-space values (40 dB at 2.4 GHz, 47 dB at 5 GHz, 48 dB at 6 GHz).
	RefLossDB map[radio.Band]float64 `json:"refLossDB,omitempty"`
	// Exponent is the distance exponent; 0 means 3.
	Exponent float64 `json:"exponent"`
	// WallLossDB is the loss per wall crossed (walls with their own LossDB
	// use that instead).
	WallLossDB float64 `json:"wallLossDB"`
	// LossPerMetreDB is an attenuation per metre travelled, for homes
	// described without walls.
	LossPerMetreDB float64 `json:"lossPerMetreDB"`
	// FloorLossDB is the loss per floor crossed.
	FloorLossDB float64 `json:"floorLossDB"`
	// FloorHeightM is the height of a storey; 0 means 3 m.
	FloorHeightM float64 `json:"floorHeightM"`
	// ShadowingDB bounds the per-link shadowing term.
	ShadowingDB float64 `json:"shadowingDB"`
}

// Wall is a straight wall on one floor.
type Wall struct {
	From  [2]float64 `json:"from"`
	To    [2]float64 `json:"to"`
	Floor int        `json:"floor"`
	// LossDB overrides PathLoss.WallLossDB for this wall when non-zero.
	LossDB float64 `json:"lossDB,omitempty"`
}

// AP is one mesh access point; Node is the meshd node name.
type AP struct {
	Node   string      `json:"node"`
	Pos    Pos         `json:"pos"`
	Radios []RadioSpec `json:"radios"`
}

// RadioSpec describes one radio of an AP and its initial state.
type RadioSpec struct {
	// Name defaults to "radio<i>" and Interface to "wlan<i>".
	Name      string     `json:"name,omitempty"`
	Interface string     `json:"interface,omitempty"`
	Band      radio.Band `json:"band"`
	// Channels are the allowed channel numbers; on 5 GHz, 52–144 are DFS.
	Channels []int `json:"channels"`
	// Widths are the supported widths in MHz.
	Widths []int `json:"widths"`
	// Channel and Width are the initial operating channel.
	Channel int `json:"channel"`
	Width   int `json:"width"`
	// TxPower is the settable range and the initial power.
	TxPower TxPower `json:"txPower"`
	SSID    string  `json:"ssid"`
	// BaseLoad is the airtime the BSS uses without clients (beacons,
	// backhaul), 0..1.
	BaseLoad float64 `json:"baseLoad,omitempty"`
	// Uplink makes the radio carry the node's wireless backhaul: a
	// station on it associated to another node's radio, named
	// "node/radio", which must start on the same channel and width. The
	// radio then follows that radio's channel (see uplink.go). Empty for
	// a wired node.
	Uplink string `json:"uplink,omitempty"`
}

// TxPower is a transmit power range and initial value in dBm.
type TxPower struct {
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	Initial float64 `json:"initial"`
}

// Foreign is a neighbour's network. It is heard either from its Pos
// through the path-loss model or, when RSSI is set, at a fixed level per
// mesh node (nodes missing from RSSI do not hear it).
type Foreign struct {
	BSSID string         `json:"bssid"`
	SSID  string         `json:"ssid"`
	Band  radio.Band     `json:"band"`
	Pos   *Pos           `json:"pos,omitempty"`
	RSSI  map[string]int `json:"rssi,omitempty"`
	// TxPowerDBm is used with Pos; 0 means 20 dBm.
	TxPowerDBm float64 `json:"txPowerDBm,omitempty"`
	Channel    int     `json:"channel"`
	Width      int     `json:"width"`
	// Load is the airtime the network uses, 0..1.
	Load float64 `json:"load"`
	// BSSLoad says whether the network's beacons carry a BSS Load element
	// (its channel utilisation, Load, shows in scans); absent means they
	// do, false that scans report no utilisation for it.
	BSSLoad *bool `json:"bssLoad,omitempty"`
	// Gone removes a network of the same BSSID (in overrides).
	Gone bool `json:"gone,omitempty"`
}

// Client is a station of the home. It associates to the strongest
// enabled mesh radio of its Band (or Bands); a sticky one (RoamDBm) stays
// there until its signal fails, and steering may move it (Steering).
type Client struct {
	MAC  string     `json:"mac"`
	Pos  Pos        `json:"pos"`
	Band radio.Band `json:"band"`
	// Steering is how the client walks, roams and answers steering; its
	// fields sit beside these in JSON.
	Steering
	// Load is the airtime the client's traffic uses, 0..1, when
	// TrafficMbps is 0.
	Load float64 `json:"load"`
	// TrafficMbps, when set, is the client's traffic instead (both
	// directions): its airtime is then the traffic over the rate of its
	// link at the AP radio's width (MAC efficiency 60 %), so it grows
	// when the radio narrows or the client is far.
	TrafficMbps float64 `json:"trafficMbps,omitempty"`
	// TxPowerDBm is the client's transmit power; 0 means 15 dBm.
	TxPowerDBm float64 `json:"txPowerDBm,omitempty"`
	// Dip, when set, makes the client's signal fall periodically (see
	// Dip).
	Dip *Dip `json:"dip,omitempty"`
	// Gone removes a client of the same MAC (in overrides).
	Gone bool `json:"gone,omitempty"`
}

// LoadHome reads and validates a home description from a JSON file.
func LoadHome(path string) (*Home, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sim: load home: %w", err)
	}
	return ParseHome(path, data)
}

// ParseHome decodes and validates a home description; name labels errors
// (usually the file name).
func ParseHome(name string, data []byte) (*Home, error) {
	var h Home
	if err := decodeStrict(data, &h); err != nil {
		return nil, fmt.Errorf("sim: home %s: %w", name, err)
	}
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("sim: home %s: %w", name, err)
	}
	return &h, nil
}

// decodeStrict decodes one JSON value, refusing unknown fields and
// trailing data, and words errors by field and line.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			return errors.New("trailing data after the JSON value")
		}
		if _, terr := dec.Token(); terr != io.EOF {
			return errors.New("trailing data after the JSON value")
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(data, syn.Offset)
		return fmt.Errorf("line %d column %d: %w", line, col, err)
	case errors.As(err, &typ):
		line, col := lineCol(data, typ.Offset)
		return fmt.Errorf("field %s (line %d column %d): %w", typ.Field, line, col, err)
	case errors.Is(err, io.EOF):
		return errors.New("empty document")
	}
	return err
}

func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// Validate checks the description for consistency; errors name the field.
func (h *Home) Validate() error {
	if len(h.APs) == 0 {
		return errors.New("aps: no access points")
	}
	nodes := map[string]bool{}
	for i, ap := range h.APs {
		f := fmt.Sprintf("aps[%d]", i)
		if ap.Node == "" {
			return fmt.Errorf("%s.node: empty", f)
		}
		if nodes[ap.Node] {
			return fmt.Errorf("%s.node: %q listed twice", f, ap.Node)
		}
		nodes[ap.Node] = true
		if len(ap.Radios) == 0 {
			return fmt.Errorf("%s.radios: none", f)
		}
		names := map[string]bool{}
		for j, rs := range ap.Radios {
			if err := rs.validate(); err != nil {
				return fmt.Errorf("%s.radios[%d].%w", f, j, err)
			}
			n := rs.name(j)
			if names[n] {
				return fmt.Errorf("%s.radios[%d].name: %q listed twice", f, j, n)
			}
			names[n] = true
		}
	}
	if err := h.validateUplinks(); err != nil {
		return err
	}
	if err := h.PathLoss.validate(); err != nil {
		return fmt.Errorf("pathLoss.%w", err)
	}
	for i, fn := range h.Foreign {
		if err := fn.validate(nodes); err != nil {
			return fmt.Errorf("foreign[%d].%w", i, err)
		}
	}
	for i, c := range h.Clients {
		if err := c.validate(); err != nil {
			return fmt.Errorf("clients[%d].%w", i, err)
		}
	}
	return nil
}

// AP returns the access point of a node.
func (h *Home) AP(node string) (AP, bool) {
	i := slices.IndexFunc(h.APs, func(ap AP) bool { return ap.Node == node })
	if i < 0 {
		return AP{}, false
	}
	return h.APs[i], true
}

// Nodes returns the node names of the home's access points.
func (h *Home) Nodes() []string {
	out := make([]string, len(h.APs))
	for i, ap := range h.APs {
		out[i] = ap.Node
	}
	return out
}

func (rs RadioSpec) name(i int) string {
	if rs.Name != "" {
		return rs.Name
	}
	return fmt.Sprintf("radio%d", i)
}

func (rs RadioSpec) iface(i int) string {
	if rs.Interface != "" {
		return rs.Interface
	}
	return fmt.Sprintf("wlan%d", i)
}

func validBand(b radio.Band) bool {
	return b == radio.Band2G4 || b == radio.Band5G || b == radio.Band6G
}

func (rs RadioSpec) validate() error {
	if !validBand(rs.Band) {
		return fmt.Errorf("band: %q is not 2.4GHz, 5GHz or 6GHz", rs.Band)
	}
	if len(rs.Channels) == 0 {
		return errors.New("channels: none")
	}
	for _, ch := range rs.Channels {
		if radio.ChannelFreq(rs.Band, ch) == 0 {
			return fmt.Errorf("channels: %d is not a %s channel", ch, rs.Band)
		}
	}
	if len(rs.Widths) == 0 {
		return errors.New("widths: none")
	}
	for _, w := range rs.Widths {
		if !slices.Contains([]int{20, 40, 80, 160, 320}, w) {
			return fmt.Errorf("widths: %d MHz is not 20, 40, 80, 160 or 320", w)
		}
	}
	if !slices.Contains(rs.Channels, rs.Channel) {
		return fmt.Errorf("channel: %d is not among channels", rs.Channel)
	}
	if _, ok := block(rs.Band, rs.Channels, rs.Widths, rs.Channel, rs.Width); !ok {
		return fmt.Errorf("width: %d MHz is not usable on channel %d", rs.Width, rs.Channel)
	}
	tp := rs.TxPower
	if tp.Min > tp.Max || tp.Initial < tp.Min || tp.Initial > tp.Max {
		return fmt.Errorf("txPower: initial %v outside [%v, %v]", tp.Initial, tp.Min, tp.Max)
	}
	if rs.SSID == "" || len(rs.SSID) > 32 {
		return fmt.Errorf("ssid: %q must be 1 to 32 bytes", rs.SSID)
	}
	if rs.BaseLoad < 0 || rs.BaseLoad > 1 {
		return fmt.Errorf("baseLoad: %v outside 0..1", rs.BaseLoad)
	}
	return nil
}

func (p PathLoss) validate() error {
	for b, v := range p.RefLossDB {
		if !validBand(b) {
			return fmt.Errorf("refLossDB: %q is not a band", b)
		}
		if v < 0 {
			return fmt.Errorf("refLossDB.%s: negative", b)
		}
	}
	switch {
	case p.Exponent < 0 || p.Exponent > 8:
		return fmt.Errorf("exponent: %v outside 0..8", p.Exponent)
	case p.WallLossDB < 0:
		return errors.New("wallLossDB: negative")
	case p.LossPerMetreDB < 0:
		return errors.New("lossPerMetreDB: negative")
	case p.FloorLossDB < 0:
		return errors.New("floorLossDB: negative")
	case p.FloorHeightM < 0:
		return errors.New("floorHeightM: negative")
	case p.ShadowingDB < 0:
		return errors.New("shadowingDB: negative")
	}
	return nil
}

func (fn Foreign) validate(nodes map[string]bool) error {
	if _, err := parseMAC(fn.BSSID); err != nil {
		return fmt.Errorf("bssid: %w", err)
	}
	if fn.Gone {
		return nil
	}
	if !validBand(fn.Band) {
		return fmt.Errorf("band: %q is not 2.4GHz, 5GHz or 6GHz", fn.Band)
	}
	if radio.ChannelFreq(fn.Band, fn.Channel) == 0 {
		return fmt.Errorf("channel: %d is not a %s channel", fn.Channel, fn.Band)
	}
	if !slices.Contains([]int{20, 40, 80, 160, 320}, fn.Width) {
		return fmt.Errorf("width: %d MHz is not 20, 40, 80, 160 or 320", fn.Width)
	}
	if fn.Pos == nil && len(fn.RSSI) == 0 {
		return errors.New("pos: neither pos nor rssi given")
	}
	for n, v := range fn.RSSI {
		if nodes != nil && !nodes[n] {
			return fmt.Errorf("rssi.%s: no such node", n)
		}
		if v > 0 || v < -120 {
			return fmt.Errorf("rssi.%s: %d dBm outside -120..0", n, v)
		}
	}
	if fn.Load < 0 || fn.Load > 1 {
		return fmt.Errorf("load: %v outside 0..1", fn.Load)
	}
	return nil
}

func (c Client) validate() error {
	if _, err := parseMAC(c.MAC); err != nil {
		return fmt.Errorf("mac: %w", err)
	}
	if c.Gone {
		return nil
	}
	if !validBand(c.Band) {
		return fmt.Errorf("band: %q is not 2.4GHz, 5GHz or 6GHz", c.Band)
	}
	if c.Load < 0 || c.Load > 1 {
		return fmt.Errorf("load: %v outside 0..1", c.Load)
	}
	if math.IsNaN(c.TrafficMbps) || c.TrafficMbps < 0 || c.TrafficMbps > 100000 {
		return fmt.Errorf("trafficMbps: %v outside 0..100000", c.TrafficMbps)
	}
	if err := c.Steering.validate(c.Band); err != nil {
		return err
	}
	return c.Dip.validate()
}

// advertisesLoad says whether the network's beacons carry a BSS Load
// element.
func (fn Foreign) advertisesLoad() bool { return fn.BSSLoad == nil || *fn.BSSLoad }

func parseMAC(s string) (net.HardwareAddr, error) {
	mac, err := net.ParseMAC(s)
	if err != nil {
		return nil, err
	}
	if len(mac) != 6 {
		return nil, fmt.Errorf("%q is not a 48-bit MAC address", s)
	}
	return mac, nil
}

// normMAC returns the canonical spelling of a valid MAC address.
func normMAC(s string) string {
	if mac, err := parseMAC(s); err == nil {
		return mac.String()
	}
	return strings.ToLower(s)
}
