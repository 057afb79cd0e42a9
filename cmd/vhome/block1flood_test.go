//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/plgd-dev/go-coap/v3/message"
	"github.com/plgd-dev/go-coap/v3/message/codes"
	"github.com/plgd-dev/go-coap/v3/udp/coder"

	"github.com/uspmesh/uspmesh/meshkey"
)

// The "block1-flood" mode of the fault suite: a host holding the mesh
// secret opens DTLS sessions from many source ports and, on each, starts
// multi-block Records with Block1 that it never finishes, for ever. It
// prints its counters once a second (block1FloodStatus) for the test to
// read from its log.

// block1Flood runs the flood: -target ip:port -addr own-ip -secret-file F [-ports 20]
// [-blocks 4] [-gap 50ms] [-size1 bytes, 0 for none on odd ports].
func block1Flood(args []string) int {
	fs := flag.NewFlagSet("block1-flood", flag.ContinueOnError)
	target := fs.String("target", "", "the Agent's CoAP/DTLS address")
	addr := fs.String("addr", "", "this host's address, for the reply-to URI")
	secretFile := fs.String("secret-file", "", "the home's mesh secret file")
	ports := fs.Int("ports", 20, "DTLS sessions, each from its own source port")
	blocks := fs.Int("blocks", 4, "blocks sent of each Record before starting the next (never the last)")
	gap := fs.Duration("gap", 50*time.Millisecond, "pause between two blocks of a session")
	size1 := fs.Int("size1", 1<<20, "Size1 announced on even ports (odd ports announce none)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	raddr, err := net.ResolveUDPAddr("udp", *target)
	if err == nil && (*secretFile == "" || net.ParseIP(*addr) == nil) {
		err = errors.New("-secret-file and -addr are required")
	}
	var keys meshkey.Keys
	if err == nil {
		var secret []byte
		if secret, err = meshkey.ReadSecret(*secretFile); err == nil {
			keys, err = meshkey.Derive(secret)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "block1-flood:", err)
		return 1
	}
	f := &block1Counters{codes: map[string]int{}}
	for i := range *ports {
		s := int(0)
		if i%2 == 0 {
			s = *size1
		}
		go f.session(raddr, *addr, keys.PSK, *blocks, *gap, s)
	}
	for range time.Tick(time.Second) { // the tool's report pace
		fmt.Println(f.status())
	}
	return 0
}

// block1Codes are the answers a flood block may get: 2.31 Continue,
// 4.08 Request Entity Incomplete (its transfer was displaced to make room
// for another), 5.03 (no room could be made), 4.13 (too large).
var block1Codes = []string{"2.31", "4.08", "5.03", "4.13"}

// block1Counters are the flood's figures, shared by its sessions.
type block1Counters struct {
	sessions, blocks, timeouts atomic.Int64

	mu    sync.Mutex
	codes map[string]int // response code ("2.31") → count
}

// status is one report line: "block1-flood sessions=N blocks=N
// timeouts=N code2.31=N code4.08=N ...".
func (f *block1Counters) status() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "block1-flood sessions=%d blocks=%d timeouts=%d", f.sessions.Load(), f.blocks.Load(), f.timeouts.Load())
	for _, c := range block1Codes {
		fmt.Fprintf(&b, " code%s=%d", c, f.codes[c])
	}
	other := 0
	for c, n := range f.codes {
		if !slices.Contains(block1Codes, c) {
			other += n
		}
	}
	fmt.Fprintf(&b, " other=%d", other)
	return b.String()
}

func (f *block1Counters) count(code string) {
	f.mu.Lock()
	f.codes[code]++
	f.mu.Unlock()
}

// session keeps one DTLS session (dialled again if it fails) starting
// Records of which it sends only the first blocks.
func (f *block1Counters) session(raddr *net.UDPAddr, addr string, psk []byte, blocks int, gap time.Duration, size1 int) {
	cfg := &dtls.Config{PSK: func([]byte) ([]byte, error) { return psk, nil },
		PSKIdentityHint: []byte("proto::block1-flood"), CipherSuites: []dtls.CipherSuiteID{dtls.TLS_PSK_WITH_AES_128_CCM_8}}
	for {
		c, err := dialDTLS(raddr, cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "block1-flood: dial:", err)
			time.Sleep(500 * time.Millisecond) // the tool's retry pace
			continue
		}
		f.sessions.Add(1)
		err = f.flood(c, addr, blocks, gap, size1)
		f.sessions.Add(-1)
		c.Close()
		fmt.Fprintln(os.Stderr, "block1-flood: session ended:", err)
	}
}

// dialDTLS makes one DTLS session, its handshake bounded.
func dialDTLS(raddr *net.UDPAddr, cfg *dtls.Config) (*dtls.Conn, error) {
	c, err := dtls.Dial("udp", raddr, cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// flood sends blocks NUM 0 .. blocks-1 (M=1, 1024 bytes each) of one
// Record after another on c, waiting for each answer, until c fails.
func (f *block1Counters) flood(c *dtls.Conn, addr string, blocks int, gap time.Duration, size1 int) error {
	port := c.LocalAddr().(*net.UDPAddr).Port
	replyTo := fmt.Sprintf("reply-to=coaps://%s/usp-ctl", net.JoinHostPort(addr, strconv.Itoa(port)))
	payload := make([]byte, 1024)
	buf := make([]byte, 2048)
	var mid uint16
	for rec := uint32(1); ; rec++ {
		for num := range blocks {
			mid++
			req, err := block1Request(mid, rec, uint32(num), replyTo, size1, payload)
			if err != nil {
				return err
			}
			if _, err := c.Write(req); err != nil {
				return err
			}
			f.blocks.Add(1)
			code, err := readAnswer(c, mid, buf)
			switch {
			case isTimeout(err):
				f.timeouts.Add(1)
			case err != nil:
				return err
			default:
				f.count(code)
			}
			time.Sleep(gap) // the flood's pace
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// block1Request encodes a CON POST /usp carrying block num (M=1, SZX 6)
// of record rec.
func block1Request(mid uint16, rec, num uint32, replyTo string, size1 int, payload []byte) ([]byte, error) {
	uintOpt := func(id message.OptionID, v uint32) message.Option {
		b := binary.BigEndian.AppendUint32(nil, v)
		for len(b) > 0 && b[0] == 0 {
			b = b[1:]
		}
		return message.Option{ID: id, Value: b}
	}
	opts := message.Options{
		{ID: message.URIPath, Value: []byte("usp")},
		uintOpt(message.ContentFormat, 42),
		{ID: message.URIQuery, Value: []byte(replyTo)},
		uintOpt(message.Block1, num<<4|1<<3|6),
	}
	if size1 > 0 {
		opts = append(opts, uintOpt(message.Size1, uint32(size1)))
	}
	m := message.Message{Token: binary.BigEndian.AppendUint32(nil, rec), Options: opts, Code: codes.POST,
		Payload: payload, MessageID: int32(mid), Type: message.Confirmable}
	buf := make([]byte, 1400)
	n, err := coder.DefaultCoder.Encode(m, buf)
	if err != nil {
		return nil, fmt.Errorf("encode block: %w", err)
	}
	return buf[:n], nil
}

// readAnswer waits up to 2 s for the answer to mid and returns its code
// as "c.dd".
func readAnswer(c *dtls.Conn, mid uint16, buf []byte) (string, error) {
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		n, err := c.Read(buf)
		if err != nil {
			return "", err
		}
		m := message.Message{Options: make(message.Options, 0, 16)}
		if _, err := coder.DefaultCoder.Decode(buf[:n], &m); err != nil || uint16(m.MessageID) != mid {
			continue // not the answer awaited
		}

		return fmt.Sprintf("%d.%02d", m.Code>>5, m.Code&0x1f), nil
	}
}

// block1Figures are the counters of the last status line in a
// block1-flood log.
func block1Figures(log string) (map[string]int, error) {
	b, err := os.ReadFile(log)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if !strings.HasPrefix(lines[i], "block1-flood ") {
			continue
		}
		out := map[string]int{}
		for _, kv := range strings.Fields(lines[i])[1:] {
			k, v, _ := strings.Cut(kv, "=")
			out[k], _ = strconv.Atoi(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("no status line in %s yet", log)
}
