package coap

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/transport/v4/deadline"
)

type sessionState int

const (
	statePending sessionState = iota
	stateEstablished
	// stateClosing: an established session being closed because it was
	// evicted or replaced. It no longer counts against MaxSessions and is
	// never picked as a victim again, though its goroutine has not ended.
	stateClosing
	stateGone
)

// vconn is the net.PacketConn that pion's DTLS server reads one peer's
// datagrams from: the demultiplexer queues them (bounded, dropping when
// full), writes go out of the shared server socket.
type vconn struct {
	d       *dtlsServer
	addr    netip.AddrPort
	udpAddr *net.UDPAddr
	started time.Time
	known   bool // Config.Known said so at the ClientHello
	queue   chan *datagram

	closeOnce sync.Once
	closed    chan struct{}
	deadline  *deadline.Deadline

	// Guarded by d.mu.
	state  sessionState
	cancel context.CancelFunc // of a pending handshake
	dc     *dtls.Conn         // once established
	peer   *peer              // once established
	// A pending session from the same address that will replace this one,
	// and the reverse link (see dtlsServer.route).
	successor, predecessor *vconn
}

type datagram struct {
	buf *[maxDatagram]byte
	n   int
}

func newVconn(d *dtlsServer, addr netip.AddrPort, now time.Time) *vconn {
	return &vconn{
		d:        d,
		addr:     addr,
		udpAddr:  net.UDPAddrFromAddrPort(addr),
		started:  now,
		queue:    make(chan *datagram, sessionQueue),
		closed:   make(chan struct{}),
		deadline: deadline.New(),
	}
}

// deliver queues a copy of data, or drops it when the queue is full.
func (c *vconn) deliver(data []byte) {
	buf, _ := c.d.pool.Get().(*[maxDatagram]byte)
	dg := &datagram{buf: buf, n: copy(buf[:], data)}
	select {
	case c.queue <- dg:
	default:
		c.d.pool.Put(buf)
	}
}

// ReadFrom returns the next queued datagram.
func (c *vconn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case dg := <-c.queue:
		n := copy(b, dg.buf[:dg.n])
		c.d.pool.Put(dg.buf)
		return n, c.udpAddr, nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	case <-c.deadline.Done():
		return 0, nil, context.DeadlineExceeded
	}
}

// WriteTo sends b to the peer from the server socket.
func (c *vconn) WriteTo(b []byte, _ net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	return c.d.conn.WriteToUDPAddrPort(b, c.addr)
}

// Close stops reads; the session goroutine forgets the conn.
func (c *vconn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		for {
			select {
			case dg := <-c.queue:
				c.d.pool.Put(dg.buf)
			default:
				return
			}
		}
	})
	return nil
}

func (c *vconn) LocalAddr() net.Addr { return c.d.conn.LocalAddr() }

func (c *vconn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *vconn) SetReadDeadline(t time.Time) error {
	c.deadline.Set(t)
	return nil
}

func (c *vconn) SetWriteDeadline(time.Time) error { return nil }
