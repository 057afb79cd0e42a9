package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/radio"
)

// The air directory holds, for one virtual home:
//
//	nodes/<node>.json       each node's radios (NodeState), written by that node
//	foreign.json            foreign networks added at run time (ForeignOverrides)
//	clients.json            clients added at run time (ClientOverrides)
//	inject/<node>/<n>.json  one-shot events for a node (Injection), consumed
//	roam/<mac>.json         a client's association and refusals (RoamState)
//
// Every file is replaced atomically (temporary file, fsync, rename), so a
// reader sees either the old or the new content. Names starting with a dot
// are temporary and ignored.
const (
	nodesDir    = "nodes"
	injectDir   = "inject"
	foreignFile = "foreign.json"
	clientsFile = "clients.json"
)

// NodeState is what a node publishes in the air: its radios as they are.
type NodeState struct {
	Node    string       `json:"node"`
	Updated time.Time    `json:"updated"`
	Radios  []RadioState `json:"radios"`
}

// RadioState is one radio as other nodes see it.
type RadioState struct {
	Name       string     `json:"name"`
	Band       radio.Band `json:"band"`
	Channel    int        `json:"channel"`
	Width      int        `json:"width"`
	TxPowerDBm float64    `json:"txPowerDBm"`
	BSSID      string     `json:"bssid"`
	SSID       string     `json:"ssid"`
	Enabled    bool       `json:"enabled"`
	// Up is false while the radio is silent (channel availability check).
	Up bool `json:"up"`
	// Load is the airtime the BSS uses, 0..1.
	Load float64 `json:"load"`
}

// ForeignOverrides is the content of foreign.json: networks merged over
// the home's by BSSID (Gone removes one).
type ForeignOverrides struct {
	Networks []Foreign `json:"networks"`
}

// ClientOverrides is the content of clients.json: clients merged over the
// home's by MAC (Gone removes one).
type ClientOverrides struct {
	Clients []Client `json:"clients"`
}

// InjectionKind names an Injection.
type InjectionKind string

// The injections a node acts on.
const (
	// InjectRadar is radar detected on Channel; a radio operating there
	// leaves for a non-DFS channel.
	InjectRadar InjectionKind = "radar"
	// InjectChannel is a channel change made by another tool: the radio is
	// on Channel/Width from now on.
	InjectChannel InjectionKind = "channel"
)

// Injection is a one-shot event for one radio of a node.
type Injection struct {
	Kind    InjectionKind `json:"kind"`
	Radio   string        `json:"radio"`
	Channel int           `json:"channel"`
	Width   int           `json:"width,omitempty"`
}

// Air is the shared directory of a virtual home, for tools and tests that
// watch or steer it from outside the nodes.
type Air struct {
	dir string
}

// OpenAir creates (if needed) and returns the air directory dir.
func OpenAir(dir string) (*Air, error) {
	if dir == "" {
		return nil, errors.New("sim: air: empty directory name")
	}
	for _, d := range []string{dir, filepath.Join(dir, nodesDir), filepath.Join(dir, injectDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("sim: air: %w", err)
		}
	}
	return &Air{dir: dir}, nil
}

// Dir returns the directory.
func (a *Air) Dir() string { return a.dir }

// Nodes reads every node's published state, sorted by node name. Files
// that do not decode are skipped and reported in the joined error.
func (a *Air) Nodes() ([]NodeState, error) {
	paths, err := nodeFiles(a.dir)
	if err != nil {
		return nil, err
	}
	var out []NodeState
	var errs []error
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("sim: air: %w", err))
			}
			continue
		}
		ns, err := DecodeNodeState(data)
		if err != nil {
			errs = append(errs, fmt.Errorf("sim: air %s: %w", p, err))
			continue
		}
		out = append(out, ns)
	}
	slices.SortFunc(out, func(x, y NodeState) int { return strings.Compare(x.Node, y.Node) })
	return out, errors.Join(errs...)
}

// SetForeign replaces the run-time foreign networks.
func (a *Air) SetForeign(nets []Foreign) error {
	for i, fn := range nets {
		if err := fn.validate(nil); err != nil {
			return fmt.Errorf("sim: air: foreign[%d].%w", i, err)
		}
	}
	return writeJSON(filepath.Join(a.dir, foreignFile), ForeignOverrides{Networks: nets})
}

// SetClients replaces the run-time clients.
func (a *Air) SetClients(cs []Client) error {
	for i, c := range cs {
		if err := c.validate(); err != nil {
			return fmt.Errorf("sim: air: clients[%d].%w", i, err)
		}
	}
	return writeJSON(filepath.Join(a.dir, clientsFile), ClientOverrides{Clients: cs})
}

// InjectRadar makes node's radio detect radar on channel.
func (a *Air) InjectRadar(node, radioName string, channel int) error {
	return a.inject(node, Injection{Kind: InjectRadar, Radio: radioName, Channel: channel})
}

// InjectChannelChange makes node's radio change channel as if another
// tool had switched it; width 0 keeps the current width.
func (a *Air) InjectChannelChange(node, radioName string, channel, width int) error {
	return a.inject(node, Injection{Kind: InjectChannel, Radio: radioName, Channel: channel, Width: width})
}

func (a *Air) inject(node string, in Injection) error {
	if node == "" || strings.ContainsAny(node, `/\`) || node[0] == '.' {
		return fmt.Errorf("sim: air: bad node name %q", node)
	}
	dir := filepath.Join(a.dir, injectDir, node)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sim: air: %w", err)
	}
	data, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("sim: air: %w", err)
	}
	// The name orders injections by time; the temporary file's random
	// suffix keeps concurrent injectors apart.
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%020d-%s.json", time.Now().UnixNano(), strings.TrimPrefix(filepath.Base(tmp), ".tmp-"))
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sim: air: %w", err)
	}
	return nil
}

// DecodeNodeState decodes and checks a node file.
func DecodeNodeState(data []byte) (NodeState, error) {
	var ns NodeState
	if err := decodeStrict(data, &ns); err != nil {
		return NodeState{}, err
	}
	if ns.Node == "" {
		return NodeState{}, errors.New("node: empty")
	}
	for i, r := range ns.Radios {
		if err := r.validate(); err != nil {
			return NodeState{}, fmt.Errorf("radios[%d].%w", i, err)
		}
	}
	return ns, nil
}

func (r RadioState) validate() error {
	switch {
	case r.Name == "":
		return errors.New("name: empty")
	case !validBand(r.Band):
		return fmt.Errorf("band: %q is not a band", r.Band)
	case radio.ChannelFreq(r.Band, r.Channel) == 0:
		return fmt.Errorf("channel: %d is not a %s channel", r.Channel, r.Band)
	case !slices.Contains([]int{20, 40, 80, 160, 320}, r.Width):
		return fmt.Errorf("width: %d MHz is not 20, 40, 80, 160 or 320", r.Width)
	case r.Load < 0 || r.Load > 1:
		return fmt.Errorf("load: %v outside 0..1", r.Load)
	case r.TxPowerDBm < -100 || r.TxPowerDBm > 100:
		return fmt.Errorf("txPowerDBm: %v outside -100..100", r.TxPowerDBm)
	}
	if _, err := parseMAC(r.BSSID); err != nil {
		return fmt.Errorf("bssid: %w", err)
	}
	return nil
}

// nodeFiles lists the node files of an air directory.
func nodeFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(dir, nodesDir))
	if err != nil {
		return nil, fmt.Errorf("sim: air: %w", err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".json") || e.IsDir() {
			continue
		}
		out = append(out, filepath.Join(dir, nodesDir, n))
	}
	return out, nil
}

// writeJSON atomically replaces path with v encoded as JSON.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("sim: air: encode %s: %w", path, err)
	}
	tmp, err := writeTemp(filepath.Dir(path), append(data, '\n'))
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sim: air: %w", err)
	}
	return nil
}

// writeTemp writes data to a new synced temporary file in dir.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("sim: air: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("sim: air: write %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}
