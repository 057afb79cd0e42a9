package coap

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"
)

// nosecServer serves CoAP over plain UDP: one socket, one loop, and a
// bounded table of per-source state (duplicate detection, Block1
// reassembly). The handler runs on the loop, one datagram at a time.
type nosecServer struct {
	srv  *server
	conn *net.UDPConn
	max  int

	mu    sync.Mutex
	peers map[netip.AddrPort]*peer
}

func newNoSecServer(srv *server, conn *net.UDPConn, maxPeers int) *nosecServer {
	return &nosecServer{srv: srv, conn: conn, max: maxPeers, peers: make(map[netip.AddrPort]*peer)}
}

// run reads datagrams until the socket is closed.
func (n *nosecServer) run(ctx context.Context) {
	buf := make([]byte, 64<<10)
	for {
		nr, src, err := n.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			continue // e.g. ICMP errors reported on the socket
		}
		if nr > maxDatagram {
			continue
		}
		n.serve(ctx, netip.AddrPortFrom(src.Addr().Unmap(), src.Port()), buf[:nr], time.Now())
	}
}

// serve handles one datagram and writes the answer.
func (n *nosecServer) serve(ctx context.Context, src netip.AddrPort, data []byte, now time.Time) {
	p := n.peerFor(src, isRequest(data), now)
	if resp := n.srv.handleDatagram(ctx, p, data, now); resp != nil {
		_, _ = n.conn.WriteToUDPAddrPort(resp, src)
	}
}

// peerFor returns the state of src; it creates (and remembers) it only
// for a CON request, so that garbage from many sources churns nothing.
func (n *nosecServer) peerFor(src netip.AddrPort, create bool, now time.Time) *peer {
	n.mu.Lock()
	defer n.mu.Unlock()
	if p, ok := n.peers[src]; ok {
		return p
	}
	p := n.srv.newPeer("", src, now)
	if !create {
		return p
	}
	if len(n.peers) >= n.max {
		n.evictOldestLocked()
	}
	n.peers[src] = p
	return p
}

func (n *nosecServer) evictOldestLocked() {
	var (
		oldest netip.AddrPort
		seen   int64
		found  bool
	)
	for a, p := range n.peers {
		if t := p.lastSeen.Load(); !found || t < seen {
			oldest, seen, found = a, t, true
		}
	}
	if found {
		n.peers[oldest].close()
		delete(n.peers, oldest)
	}
}

// expire forgets idle peers and times out stale reassemblies.
func (n *nosecServer) expire(now time.Time, idle time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for a, p := range n.peers {
		if p.expire(now, idle) {
			p.close()
			delete(n.peers, a)
		}
	}
}

// closeAll releases all peer state.
func (n *nosecServer) closeAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for a, p := range n.peers {
		p.close()
		delete(n.peers, a)
	}
}

// isRequest reports whether data starts like a CON request.
func isRequest(data []byte) bool {
	return len(data) >= 4 && data[0]>>6 == 1 && data[0]>>4&0x3 == 0 && data[1] >= 1 && data[1] <= 31
}
