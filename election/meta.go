package election

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/hashicorp/memberlist"
)

// NodeMeta is what a node tells the others about itself besides its
// election state: how to reach its USP endpoints.
type NodeMeta struct {
	// AgentID is the Endpoint ID of the node's USP Agent (also its node
	// name in the cluster).
	AgentID string
	// ControllerID is the Endpoint ID of the node's USP Controller.
	ControllerID string
	// CoAP is the URL (or host:port) of the node's USP CoAP resource,
	// e.g. "coaps://192.0.2.7:5684/usp".
	CoAP string
	// Capabilities are short feature tokens, e.g. "wifiopt", "dfs".
	Capabilities []string
}

// wireMeta is the memberlist metadata of a node: its election state and
// its NodeMeta.
type wireMeta struct {
	Priority  int
	Vote      Vote
	Claim     bool
	Withdrawn bool
	Node      NodeMeta
}

const (
	// metaVersion is the first byte of every encoded metadata.
	metaVersion = 1
	// flagClaim marks a claim for the advertised term.
	flagClaim = 1 << 0
	// flagLeaderSelf says the advertised leader is the node itself; its
	// name is then not repeated.
	flagLeaderSelf = 1 << 1
	// flagWithdrawn says the node cannot persist its vote and does not
	// stand for leadership. Older nodes ignore it.
	flagWithdrawn = 1 << 2
	// maxNameLen bounds node names, so that any leader name fits the
	// metadata budget reserved for it.
	maxNameLen = 128
	// maxCapabilities bounds the number of capability tokens.
	maxCapabilities = 32
	// metaReserve is the room kept for the election fields: version,
	// flags, priority, term and a leader name of maxNameLen.
	metaReserve = 2 + binary.MaxVarintLen64*2 + 2 + maxNameLen
)

// errMetaShort is returned for metadata that ends early.
var errMetaShort = errors.New("truncated")

// encodeMeta serialises m compactly for node self: version, flags,
// zig-zag varint priority, uvarint term, the leader name (omitted when it
// is self), then the NodeMeta strings, each uvarint-length-prefixed.
func encodeMeta(self string, m wireMeta) []byte {
	b := make([]byte, 0, 96)
	var flags byte
	if m.Claim {
		flags |= flagClaim
	}
	if m.Vote.Leader == self && self != "" {
		flags |= flagLeaderSelf
	}
	if m.Withdrawn {
		flags |= flagWithdrawn
	}
	b = append(b, metaVersion, flags)
	b = binary.AppendVarint(b, int64(m.Priority))
	b = binary.AppendUvarint(b, m.Vote.Term)
	if flags&flagLeaderSelf == 0 {
		b = appendString(b, m.Vote.Leader)
	}
	b = appendString(b, m.Node.AgentID)
	b = appendString(b, m.Node.ControllerID)
	b = appendString(b, m.Node.CoAP)
	b = binary.AppendUvarint(b, uint64(len(m.Node.Capabilities)))
	for _, c := range m.Node.Capabilities {
		b = appendString(b, c)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeMeta parses the metadata of the node called name.
func decodeMeta(name string, b []byte) (wireMeta, error) {
	var m wireMeta
	if len(b) > memberlist.MetaMaxSize {
		return m, fmt.Errorf("election: metadata of %q: %d bytes, limit %d", name, len(b), memberlist.MetaMaxSize)
	}
	d := decoder{b: b}
	if v := d.byte(); d.err == nil && v != metaVersion {
		return m, fmt.Errorf("election: metadata of %q: version %d, want %d", name, v, metaVersion)
	}
	flags := d.byte()
	m.Claim = flags&flagClaim != 0
	m.Withdrawn = flags&flagWithdrawn != 0
	m.Priority = int(d.varint())
	m.Vote.Term = d.uvarint()
	if flags&flagLeaderSelf != 0 {
		m.Vote.Leader = name
	} else {
		m.Vote.Leader = d.string()
	}
	m.Node.AgentID = d.string()
	m.Node.ControllerID = d.string()
	m.Node.CoAP = d.string()
	if n := d.uvarint(); n > maxCapabilities {
		d.fail(fmt.Errorf("%d capabilities, limit %d", n, maxCapabilities))
	} else if n > 0 {
		m.Node.Capabilities = make([]string, 0, n)
		for range n {
			m.Node.Capabilities = append(m.Node.Capabilities, d.string())
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Errorf("%d trailing bytes", len(d.b)))
	}
	if d.err != nil {
		return wireMeta{}, fmt.Errorf("election: metadata of %q: %w", name, d.err)
	}
	return m, nil
}

// decoder reads the metadata fields, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail(errMetaShort)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errMetaShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errMetaShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail(errMetaShort)
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
