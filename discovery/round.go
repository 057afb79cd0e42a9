package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/grandcat/zeroconf"
)

// retryDelay is the longest wait before a browse round that failed to
// start (no interface yet, socket error) is tried again.
const retryDelay = 5 * time.Second

// roundEnd says why a browse round ended.
type roundEnd int

const (
	endStopped roundEnd = iota // the Browser is closing
	endTimer                   // the round ran its length
	endRefresh                 // Refresh was called
	endLink                    // interfaces or addresses changed
)

// errEndedEarly: zeroconf closed the entries channel on its own within
// the first half of a round. It does so when its re-query loop fails or
// gives up (after 15 minutes without an answer), so a short round means
// something is wrong and is retried after a pause.
var errEndedEarly = errors.New("discovery: browse ended before its time")

// loop runs the browse rounds of one Kind: each lasts twice as long as
// the one before, from Interval up to MaxInterval; Refresh and link
// changes go back to Interval; a round that fails is retried after
// min(Interval, retryDelay).
func (b *Browser) loop(ctx context.Context, kind Kind) {
	log := b.log.With("kind", kind)
	length := b.cfg.Interval
	for ctx.Err() == nil {
		end, err := b.round(ctx, kind, length, log)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				log.Warn("discovery: browse round failed", "err", err)
			}
			b.pause(ctx, kind, min(b.cfg.Interval, retryDelay))
			length = b.cfg.Interval
		case end == endTimer:
			length = min(2*length, b.cfg.MaxInterval)
		default:
			length = b.cfg.Interval
		}
	}
}

// pause waits for d, Refresh or the end of ctx.
func (b *Browser) pause(ctx context.Context, kind Kind, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-b.refresh[kind]:
	}
}

// round runs one browse of the given length with a fresh resolver,
// passing what it finds to observe, and says why it ended.
func (b *Browser) round(ctx context.Context, kind Kind, length time.Duration, log *slog.Logger) (roundEnd, error) {
	state, err := readLinkState(b.cfg.Interfaces)
	if err != nil {
		return endStopped, err
	}
	if len(state.ifaces) == 0 {
		return endStopped, fmt.Errorf("discovery: no usable interface (configured %v, missing %v)",
			b.cfg.Interfaces, state.missing)
	}
	res, family, err := newResolver(state)
	if err != nil {
		return endStopped, err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// zeroconf's receive loop blocks sending on this channel without
	// watching the context, and closes it once the context is done (also
	// when Browse fails): it must be drained until closed.
	entries := make(chan *zeroconf.ServiceEntry, 16)
	if err := res.Browse(rctx, kind.ServiceType(), "local.", entries); err != nil {
		cancel()
		for range entries {
		}
		return endStopped, fmt.Errorf("discovery: browse %s: %w", kind.ServiceType(), err)
	}
	log.Debug("discovery: browse round", "length", length, "ip", family)
	start := time.Now()
	timer := time.NewTimer(length)
	defer timer.Stop()
	recheck := time.NewTicker(b.cfg.Recheck)
	defer recheck.Stop()
	end := endStopped
	for {
		select {
		case e, ok := <-entries:
			if !ok {
				switch {
				case ctx.Err() != nil:
					return endStopped, nil
				case time.Since(start) < length/2:
					return endStopped, errEndedEarly
				}
				return endTimer, nil
			}
			b.observe(e, log)
			continue
		case <-timer.C:
			end = endTimer
		case <-b.refresh[kind]:
			end = endRefresh
		case <-recheck.C:
			if now, err := readLinkState(b.cfg.Interfaces); err != nil || now.key() == state.key() {
				continue
			}
			log.Debug("discovery: interfaces or addresses changed, browsing again")
			end = endLink
		case <-ctx.Done():
		}
		cancel()
		for e := range entries {
			b.observe(e, log)
		}
		return end, nil
	}
}

// newResolver opens a zeroconf resolver on the interfaces of state over
// one IP family: IPv4 when any of the interfaces has an IPv4 address,
// else IPv6, else the other if that fails. One family is enough, because
// a zeroconf responder answers a query on both families and puts every A
// and AAAA record in its answer; querying on both would double the
// answers. (Asking NewResolver for both would also fail outright where
// one family cannot join the group, e.g. with IPv6 disabled.)
func newResolver(state linkState) (*zeroconf.Resolver, string, error) {
	families := []zeroconf.IPType{zeroconf.IPv6, zeroconf.IPv4}
	for _, a := range state.addrs {
		if a.Is4() {
			families = []zeroconf.IPType{zeroconf.IPv4, zeroconf.IPv6}
			break
		}
	}
	var errs []error
	for _, f := range families {
		r, err := zeroconf.NewResolver(zeroconf.SelectIfaces(state.ifaces), zeroconf.SelectIPTraffic(f))
		if err == nil {
			return r, familyName(f), nil
		}
		errs = append(errs, err)
	}
	return nil, "", fmt.Errorf("discovery: open resolver: %w", errors.Join(errs...))
}

func familyName(f zeroconf.IPType) string {
	if f == zeroconf.IPv6 {
		return "ipv6"
	}
	return "ipv4"
}
