package hostapd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultCtrlDir is where hostapd usually creates its control sockets.
const DefaultCtrlDir = "/var/run/hostapd"

// ErrFailed is returned when hostapd answers a command with FAIL.
var ErrFailed = errors.New("hostapd: command failed")

// CommandError is a command hostapd refused or answered unexpectedly.
type CommandError struct {
	Command string
	Reply   string
	Err     error
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("hostapd: %s: %q: %v", e.Command, e.Reply, e.Err)
}

// Unwrap returns the cause.
func (e *CommandError) Unwrap() error { return e.Err }

// Conn is a control-socket connection to hostapd for one interface. It
// sends one command at a time; it is safe for concurrent use.
type Conn struct {
	mu    sync.Mutex
	c     *net.UnixConn
	local string
	once  sync.Once
}

// Dial connects to the control socket of iface in dir (DefaultCtrlDir when
// empty). The client's own socket is created in os.TempDir and removed by
// Close.
func Dial(ctx context.Context, dir, iface string) (*Conn, error) {
	if dir == "" {
		dir = DefaultCtrlDir
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("hostapd: dial %s: %w", iface, err)
	}
	local := filepath.Join(os.TempDir(), "uspmesh-hapd-"+strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(rnd[:]))
	raddr := &net.UnixAddr{Name: filepath.Join(dir, iface), Net: "unixgram"}
	laddr := &net.UnixAddr{Name: local, Net: "unixgram"}
	c, err := net.DialUnix("unixgram", laddr, raddr)
	if err != nil {
		os.Remove(local)
		return nil, fmt.Errorf("hostapd: dial %s: %w", raddr.Name, err)
	}
	conn := &Conn{c: c, local: local}
	if _, err := conn.Request(ctx, "PING"); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// Close closes the connection and removes the client socket; it is safe
// to call more than once.
func (c *Conn) Close() error {
	var err error
	c.once.Do(func() {
		err = c.c.Close()
		os.Remove(c.local)
	})
	return err
}

// Request sends cmd and returns hostapd's reply. Unsolicited event
// messages (which start with "<") are skipped.
func (c *Conn) Request(ctx context.Context, cmd string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Second)
	}
	if err := c.c.SetDeadline(deadline); err != nil {
		return "", fmt.Errorf("hostapd: %s: %w", cmd, err)
	}
	stop := context.AfterFunc(ctx, func() { c.c.SetDeadline(time.Now()) })
	defer stop()
	if _, err := c.c.Write([]byte(cmd)); err != nil {
		return "", fmt.Errorf("hostapd: %s: %w", cmd, ctxErr(ctx, err))
	}
	buf := make([]byte, 8192)
	for {
		n, err := c.c.Read(buf)
		if err != nil {
			return "", fmt.Errorf("hostapd: %s: %w", cmd, ctxErr(ctx, err))
		}
		if n > 0 && buf[0] == '<' {
			continue
		}
		return string(buf[:n]), nil
	}
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// okCommand sends cmd and expects "OK".
func (c *Conn) okCommand(ctx context.Context, cmd string) error {
	reply, err := c.Request(ctx, cmd)
	if err != nil {
		return err
	}
	switch strings.TrimSpace(reply) {
	case "OK":
		return nil
	case "FAIL":
		return &CommandError{Command: cmd, Reply: reply, Err: ErrFailed}
	}
	return &CommandError{Command: cmd, Reply: reply, Err: errors.New("unexpected reply")}
}

// Status asks for STATUS.
func (c *Conn) Status(ctx context.Context) (Status, error) {
	reply, err := c.Request(ctx, "STATUS")
	if err != nil {
		return Status{}, err
	}
	if strings.HasPrefix(reply, "FAIL") {
		return Status{}, &CommandError{Command: "STATUS", Reply: reply, Err: ErrFailed}
	}
	return ParseStatus([]byte(reply))
}

// ChanSwitch is a CHAN_SWITCH request.
type ChanSwitch struct {
	// CSCount is the number of beacons carrying the announcement.
	CSCount int
	FreqMHz int
	// SecChannelOffset is 1 (above), -1 (below) or 0.
	SecChannelOffset int
	// CenterFreq1MHz is the centre of the whole channel when wider than
	// 20 MHz; BandwidthMHz the width (0 leaves it out).
	CenterFreq1MHz, BandwidthMHz int
	// HT, VHT, HE keep the corresponding modes enabled on the new channel.
	HT, VHT, HE bool
}

// Command renders the request as hostapd's command line.
func (s ChanSwitch) Command() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CHAN_SWITCH %d %d", s.CSCount, s.FreqMHz)
	if s.SecChannelOffset != 0 {
		fmt.Fprintf(&b, " sec_channel_offset=%d", s.SecChannelOffset)
	}
	if s.CenterFreq1MHz != 0 {
		fmt.Fprintf(&b, " center_freq1=%d", s.CenterFreq1MHz)
	}
	if s.BandwidthMHz != 0 {
		fmt.Fprintf(&b, " bandwidth=%d", s.BandwidthMHz)
	}
	for _, m := range []struct {
		on   bool
		name string
	}{{s.HT, "ht"}, {s.VHT, "vht"}, {s.HE, "he"}} {
		if m.on {
			b.WriteString(" " + m.name)
		}
	}
	return b.String()
}

// SwitchChannel sends CHAN_SWITCH. hostapd answers once the announcement
// is scheduled; the switch ends with AP-CSA-FINISHED (or, on a channel
// needing a CAC, DFS-CAC-COMPLETED).
func (c *Conn) SwitchChannel(ctx context.Context, s ChanSwitch) error {
	return c.okCommand(ctx, s.Command())
}
