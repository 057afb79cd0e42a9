package linux

import (
	"context"
	"fmt"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"github.com/uspmesh/uspmesh/radio"
)

// nl is an nl80211 client over one generic netlink socket. Execute on the
// socket is serialised by the netlink library, so nl is safe for
// concurrent use.
type nl struct {
	c         *genetlink.Conn
	family    genetlink.Family
	scanGroup uint32
	mlmeGroup uint32 // channel switch notifications
	// dial opens a second socket for scan notifications.
	dial func() (*genetlink.Conn, error)
}

func newNL(c *genetlink.Conn, dial func() (*genetlink.Conn, error)) (*nl, error) {
	f, err := c.GetFamily("nl80211")
	if err != nil {
		return nil, fmt.Errorf("nl80211: family: %w", err)
	}
	n := &nl{c: c, family: f, dial: dial}
	for _, g := range f.Groups {
		switch g.Name {
		case "scan":
			n.scanGroup = g.ID
		case "mlme":
			n.mlmeGroup = g.ID
		}
	}
	return n, nil
}

// execute sends one request and returns the replies' attribute data.
func (n *nl) execute(ctx context.Context, cmd uint8, flags netlink.HeaderFlags, attrs func(ae *netlink.AttributeEncoder)) ([][]byte, error) {
	ae := netlink.NewAttributeEncoder()
	if attrs != nil {
		attrs(ae)
	}
	data, err := ae.Encode()
	if err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	// Best effort: the socket is shared, and wire-level fakes have no
	// deadlines.
	_ = n.c.SetDeadline(deadline)
	msgs, err := n.c.Execute(genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: n.family.Version},
		Data:   data,
	}, n.family.ID, netlink.Request|flags)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, m.Data)
	}
	return out, nil
}

func (n *nl) interfaces(ctx context.Context) ([]iface, error) {
	msgs, err := n.execute(ctx, cmdGetInterface, netlink.Dump, nil)
	if err != nil {
		return nil, fmt.Errorf("nl80211: get interfaces: %w", err)
	}
	var out []iface
	for _, m := range msgs {
		it, err := decodeInterface(m)
		if err != nil {
			return nil, err
		}
		if it.Index != 0 {
			out = append(out, it)
		}
	}
	return out, nil
}

func (n *nl) iface(ctx context.Context, ifindex int) (iface, error) {
	msgs, err := n.execute(ctx, cmdGetInterface, 0, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(attrIfindex, uint32(ifindex))
	})
	if err != nil {
		return iface{}, fmt.Errorf("nl80211: get interface %d: %w", ifindex, err)
	}
	if len(msgs) == 0 {
		return iface{}, fmt.Errorf("nl80211: get interface %d: empty reply", ifindex)
	}
	return decodeInterface(msgs[0])
}

func (n *nl) wiphy(ctx context.Context, idx int) (wiphy, error) {
	msgs, err := n.execute(ctx, cmdGetWiphy, netlink.Dump, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(attrWiphy, uint32(idx))
		ae.Flag(attrSplitWiphyDump, true)
	})
	if err != nil {
		return wiphy{}, fmt.Errorf("nl80211: get wiphy %d: %w", idx, err)
	}
	w := wiphy{Index: -1}
	for _, m := range msgs {
		var part wiphy
		if err := decodeWiphy(&part, m); err != nil {
			return wiphy{}, err
		}
		if part.Index != idx {
			continue
		}
		mergeWiphy(&w, part)
	}
	if w.Index != idx {
		return wiphy{}, fmt.Errorf("nl80211: wiphy %d not found", idx)
	}
	return w, nil
}

// mergeWiphy folds one message of a split dump into w.
func mergeWiphy(w *wiphy, part wiphy) {
	w.Index = part.Index
	if part.Name != "" {
		w.Name = part.Name
	}
	if w.Bands == nil {
		w.Bands = map[radio.Band]*band{}
	}
	for b, pb := range part.Bands {
		cur := w.Bands[b]
		if cur == nil {
			w.Bands[b] = pb
			continue
		}
		cur.Channels = append(cur.Channels, pb.Channels...)
		cur.HT40 = cur.HT40 || pb.HT40
		cur.VHT = cur.VHT || pb.VHT
		cur.VHT160 = cur.VHT160 || pb.VHT160
		cur.HE = cur.HE || pb.HE
		cur.EHT = cur.EHT || pb.EHT
	}
}

func (n *nl) survey(ctx context.Context, ifindex int) ([]radio.SurveyEntry, error) {
	msgs, err := n.execute(ctx, cmdGetSurvey, netlink.Dump, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(attrIfindex, uint32(ifindex))
	})
	if err != nil {
		return nil, fmt.Errorf("nl80211: get survey: %w", err)
	}
	var out []radio.SurveyEntry
	for _, m := range msgs {
		e, ok, err := decodeSurvey(m)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

func (n *nl) stations(ctx context.Context, ifindex int) ([]radio.Station, error) {
	msgs, err := n.execute(ctx, cmdGetStation, netlink.Dump, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(attrIfindex, uint32(ifindex))
	})
	if err != nil {
		return nil, fmt.Errorf("nl80211: get stations: %w", err)
	}
	out := make([]radio.Station, 0, len(msgs))
	for _, m := range msgs {
		st, err := decodeStation(m)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// setTxPower fixes the wiphy's transmit power at mBm (1/100 dBm).
func (n *nl) setTxPower(ctx context.Context, wiphyIdx, mBm int) error {
	_, err := n.execute(ctx, cmdSetWiphy, netlink.Acknowledge, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(attrWiphy, uint32(wiphyIdx))
		ae.Uint32(attrTxPowerSetting, txPowerFixed)
		ae.Uint32(attrTxPowerLevel, uint32(mBm))
	})
	if err != nil {
		return fmt.Errorf("nl80211: set tx power: %w", err)
	}
	return nil
}

// scan triggers a scan of freqs on an AP interface without disturbing its
// clients (NL80211_SCAN_FLAG_AP), waits for the kernel's result
// notification and dumps the results.
func (n *nl) scan(ctx context.Context, ifindex int, freqs []int) ([]radio.BSS, error) {
	if n.scanGroup == 0 {
		return nil, fmt.Errorf("nl80211: no scan multicast group: %w", radio.ErrUnsupported)
	}
	ev, err := n.dial()
	if err != nil {
		return nil, fmt.Errorf("nl80211: scan events: %w", err)
	}
	defer ev.Close()
	if err := ev.JoinGroup(n.scanGroup); err != nil {
		return nil, fmt.Errorf("nl80211: join scan group: %w", err)
	}
	_, err = n.execute(ctx, cmdTriggerScan, netlink.Acknowledge, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(attrIfindex, uint32(ifindex))
		ae.Uint32(attrScanFlags, scanFlagAP)
		ae.Nested(attrScanSSIDs, func(nae *netlink.AttributeEncoder) error {
			nae.Bytes(1, nil) // the wildcard SSID: an active scan
			return nil
		})
		if len(freqs) > 0 {
			ae.Nested(attrScanFrequencies, func(nae *netlink.AttributeEncoder) error {
				for i, f := range freqs {
					nae.Uint32(uint16(i+1), uint32(f))
				}
				return nil
			})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("nl80211: trigger scan: %w", err)
	}
	if err := n.waitScan(ctx, ev, ifindex); err != nil {
		return nil, err
	}
	return n.scanResults(ctx, ifindex)
}

func (n *nl) waitScan(ctx context.Context, ev *genetlink.Conn, ifindex int) error {
	stop := context.AfterFunc(ctx, func() { ev.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	for {
		msgs, _, err := ev.Receive()
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("nl80211: wait for scan: %w", ctx.Err())
			}
			return fmt.Errorf("nl80211: wait for scan: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Command != cmdNewScanResults && m.Header.Command != cmdScanAborted {
				continue
			}
			it, err := decodeInterface(m.Data)
			if err != nil || it.Index != ifindex {
				continue
			}
			if m.Header.Command == cmdScanAborted {
				return fmt.Errorf("nl80211: scan aborted")
			}
			return nil
		}
	}
}

func (n *nl) scanResults(ctx context.Context, ifindex int) ([]radio.BSS, error) {
	msgs, err := n.execute(ctx, cmdGetScan, netlink.Dump, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(attrIfindex, uint32(ifindex))
	})
	if err != nil {
		return nil, fmt.Errorf("nl80211: get scan: %w", err)
	}
	var out []radio.BSS
	for _, m := range msgs {
		b, ok, err := decodeBSS(m)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, b)
		}
	}
	return out, nil
}
