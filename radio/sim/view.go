package sim

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// maxCacheAge bounds how long a cached file is trusted without reading
// it again, should its stat key not change across a replace.
const maxCacheAge = time.Second

// fileKey identifies one version of a file.
type fileKey struct {
	mtime, size int64
	ino         uint64
}

// cached is a decoded file version.
type cached[T any] struct {
	key fileKey
	at  time.Time
	val T
	err error
}

// world is the air as one node sees it at one moment.
type world struct {
	nodes   []NodeState
	foreign []Foreign
	clients []Client
}

// view reads the air directory for one node, re-reading a file only when
// it changed. A file that does not decode is skipped and logged once per
// version; it never stops the node.
type view struct {
	dir  string
	self string
	home *Home
	log  *slog.Logger

	mu      sync.Mutex
	nodes   map[string]*cached[NodeState]
	foreign *cached[ForeignOverrides]
	clients *cached[ClientOverrides]
}

func newView(dir, self string, home *Home, log *slog.Logger) *view {
	return &view{dir: dir, self: self, home: home, log: log, nodes: map[string]*cached[NodeState]{}}
}

// snapshot returns the current air: other nodes' states and the merged
// foreign networks and clients.
func (v *view) snapshot() world {
	v.mu.Lock()
	defer v.mu.Unlock()
	var w world
	paths, err := nodeFiles(v.dir)
	if err != nil {
		v.log.Warn("air unreadable", "err", err)
	}
	seen := map[string]bool{}
	for _, p := range paths {
		seen[p] = true
		c := readCached(v.nodes[p], p, v.log, DecodeNodeState)
		if c == nil {
			delete(v.nodes, p)
			continue
		}
		v.nodes[p] = c
		if c.err != nil || c.val.Node == v.self {
			continue
		}
		if strings.TrimSuffix(filepath.Base(p), ".json") != c.val.Node {
			continue
		}
		w.nodes = append(w.nodes, c.val)
	}
	for p := range v.nodes {
		if !seen[p] {
			delete(v.nodes, p)
		}
	}
	v.foreign = readCached(v.foreign, filepath.Join(v.dir, foreignFile), v.log, decodeForeign)
	v.clients = readCached(v.clients, filepath.Join(v.dir, clientsFile), v.log, decodeClients)
	var fo []Foreign
	if v.foreign != nil && v.foreign.err == nil {
		fo = v.foreign.val.Networks
	}
	var co []Client
	if v.clients != nil && v.clients.err == nil {
		co = v.clients.val.Clients
	}
	w.foreign = mergeForeign(v.home.Foreign, fo)
	w.clients = mergeClients(v.home.Clients, co)
	return w
}

// readCached returns the file's decoded content, from prev when the file
// is unchanged, or nil when the file does not exist.
func readCached[T any](prev *cached[T], path string, log *slog.Logger, decode func([]byte) (T, error)) *cached[T] {
	fi, err := os.Stat(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			log.Warn("air file unreadable", "file", path, "err", err)
		}
		return nil
	}
	key := fileKey{mtime: fi.ModTime().UnixNano(), size: fi.Size(), ino: inode(fi)}
	now := time.Now()
	if prev != nil && prev.key == key && now.Sub(prev.at) < maxCacheAge {
		return prev
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		log.Warn("air file unreadable", "file", path, "err", err)
		return prev
	}
	val, err := decode(data)
	if err != nil && (prev == nil || prev.key != key) {
		log.Warn("skipping corrupt air file", "file", path, "err", err)
	}
	return &cached[T]{key: key, at: now, val: val, err: err}
}

// decodeForeign decodes and checks foreign.json.
func decodeForeign(data []byte) (ForeignOverrides, error) {
	var fo ForeignOverrides
	if err := decodeStrict(data, &fo); err != nil {
		return ForeignOverrides{}, err
	}
	for i, fn := range fo.Networks {
		if err := fn.validate(nil); err != nil {
			return ForeignOverrides{}, fmt.Errorf("networks[%d].%w", i, err)
		}
	}
	return fo, nil
}

// decodeClients decodes and checks clients.json.
func decodeClients(data []byte) (ClientOverrides, error) {
	var co ClientOverrides
	if err := decodeStrict(data, &co); err != nil {
		return ClientOverrides{}, err
	}
	for i, c := range co.Clients {
		if err := c.validate(); err != nil {
			return ClientOverrides{}, fmt.Errorf("clients[%d].%w", i, err)
		}
	}
	return co, nil
}

// mergeForeign applies overrides to the home's foreign networks by BSSID.
func mergeForeign(base, over []Foreign) []Foreign {
	return mergeBy(base, over, func(f Foreign) string { return normMAC(f.BSSID) }, func(f Foreign) bool { return f.Gone })
}

// mergeClients applies overrides to the home's clients by MAC.
func mergeClients(base, over []Client) []Client {
	return mergeBy(base, over, func(c Client) string { return normMAC(c.MAC) }, func(c Client) bool { return c.Gone })
}

// mergeBy applies overrides to base, matching entries by key: an
// override replaces its match or is added, and one marked gone removes
// its match.
func mergeBy[T any](base, over []T, key func(T) string, gone func(T) bool) []T {
	out := slices.Clone(base)
	for _, o := range over {
		i := slices.IndexFunc(out, func(x T) bool { return key(x) == key(o) })
		switch {
		case gone(o) && i >= 0:
			out = slices.Delete(out, i, i+1)
		case gone(o):
		case i >= 0:
			out[i] = o
		default:
			out = append(out, o)
		}
	}
	return out
}
