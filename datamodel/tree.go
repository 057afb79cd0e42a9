package datamodel

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"sync"
)

// node is one instantiated object: a single-instance object or a table row.
type node struct {
	def    *ObjectDef
	path   string   // "Device.WiFi.SSID.1."
	inst   uint32   // instance number of a row; 0 otherwise
	insts  []uint32 // instance numbers along path
	values []string // stored values, by parameter index
	objs   []*node  // single-instance children, by child index
	tables []*table // tables, by child index
	tab    *table   // the table holding a row; nil otherwise
}

// table is the set of rows of one table under one parent instance.
type table struct {
	def  *ObjectDef
	path string // "Device.WiFi.SSID."
	rows []*node
	next uint32 // next instance number; numbers are never reused
	// parent is the object holding this table.
	parent *node
}

func newNode(def *ObjectDef, path string, inst uint32, insts []uint32) *node {
	n := &node{def: def, path: path, inst: inst, insts: insts}
	n.values = make([]string, len(def.params))
	for i, p := range def.params {
		n.values[i] = p.Default
	}
	n.objs = make([]*node, len(def.children))
	n.tables = make([]*table, len(def.children))
	for i, c := range def.children {
		if c.Multi {
			n.tables[i] = &table{def: c, path: path + c.Name + ".", next: 1, parent: n}
			continue
		}
		n.objs[i] = newNode(c, path+c.Name+".", 0, insts)
	}
	return n
}

func (n *node) row() Row { return Row{Path: n.path, Instances: n.insts} }

// find returns the row numbered inst, or nil.
func (t *table) find(inst uint32) *node {
	i := sort.Search(len(t.rows), func(i int) bool { return t.rows[i].inst >= inst })
	if i < len(t.rows) && t.rows[i].inst == inst {
		return t.rows[i]
	}
	return nil
}

// newRow makes (but does not insert) a row numbered inst.
func (t *table) newRow(inst uint32) *node {
	insts := make([]uint32, len(t.parent.insts)+1)
	copy(insts, t.parent.insts)
	insts[len(insts)-1] = inst
	n := newNode(t.def, t.path+strconv.FormatUint(uint64(inst), 10)+".", inst, insts)
	n.tab = t
	return n
}

func (t *table) insert(r *node) {
	i := sort.Search(len(t.rows), func(i int) bool { return t.rows[i].inst >= r.inst })
	t.rows = append(t.rows, nil)
	copy(t.rows[i+1:], t.rows[i:])
	t.rows[i] = r
	if r.inst >= t.next {
		t.next = r.inst + 1
	}
}

func (t *table) remove(r *node) bool {
	for i, x := range t.rows {
		if x == r {
			t.rows = append(t.rows[:i], t.rows[i+1:]...)
			return true
		}
	}
	return false
}

// Config configures a Model. The zero value is a model with no
// persistence that logs nothing.
type Config struct {
	// Store, when set, persists persistent parameters and tables; NewModel
	// restores them from it.
	Store Store
	// Logger receives warnings (values skipped on restore). Nil discards.
	Logger *slog.Logger
}

// Model is an instantiated data model: a Schema's tree of objects and rows,
// safe for concurrent use. Reads run in parallel; writes go through a Txn,
// one at a time.
type Model struct {
	schema *Schema
	cfg    Config
	log    *slog.Logger

	mu   sync.RWMutex
	root *node
	// saved is the document last saved or restored (guarded by mu): a
	// commit that would write the same bytes writes nothing, sparing the
	// flash and letting a node whose state dir turned read-only start.
	saved []byte

	lmu       sync.Mutex
	listeners map[int]func(Event)
	nextL     int
	// Event delivery follows commit order by tickets: a commit takes the
	// next ticket while it still holds the write lock, releases the lock,
	// then waits (holding no model lock) until the deliveries of earlier
	// tickets are done. So listeners may read the model while later
	// writers commit.
	tmu       sync.Mutex
	tcond     *sync.Cond
	ticket    uint64 // last ticket handed out
	delivered uint64 // last ticket whose events were delivered
}

// NewModel instantiates s: every single-instance object with default
// values, every table empty. With cfg.Store set it restores the persisted
// state; a corrupt store is an error naming it.
func NewModel(ctx context.Context, s *Schema, cfg Config) (*Model, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Model{schema: s, cfg: cfg, log: log, listeners: map[int]func(Event){}}
	m.tcond = sync.NewCond(&m.tmu)
	m.root = newNode(s.root, s.root.Name+".", 0, nil)
	if cfg.Store != nil {
		if err := m.restore(ctx); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Schema returns the model's schema.
func (m *Model) Schema() *Schema { return m.schema }
