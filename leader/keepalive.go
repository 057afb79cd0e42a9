package leader

import (
	"context"
	"sync"

	"github.com/uspmesh/uspmesh/usp"
)

// keepAlive is one round of the leader's sessions: every Agent in
// parallel, each bounded by KeepAlive, is subscribed to (once per term:
// those not in subscribed) or sent a keep-alive Get of
// Device.X_USPMESH_Mesh.Term, and the outcome is reported as the Agent's
// Reachable. It returns the Agents newly subscribed to. When ctx ends
// (the term did) nothing more is reported.
func (l *Loop) keepAlive(ctx context.Context, term uint64, agents []usp.EndpointID, subscribed map[usp.EndpointID]bool) []usp.EndpointID {
	var mu sync.Mutex
	var done []usp.EndpointID
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Go(func() {
			if ctx.Err() != nil {
				return // the term ended before this Agent's turn
			}
			cctx, cancel := withTimeout(ctx, l.clk, l.cfg.KeepAlive)
			var err error
			if !subscribed[a] {
				if err = l.subscribeRadios(cctx, a, term); err == nil {
					mu.Lock()
					done = append(done, a)
					mu.Unlock()
				}
			} else {
				_, err = l.cfg.Agents.Get(cctx, a, 0, termParam)
			}
			cancel()
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				l.log.Debug("session", "agent", a, "err", err)
			}
			if rerr := l.cfg.Report.Reachable(ctx, a, err == nil); rerr != nil {
				l.log.Warn("node row", "agent", a, "err", rerr)
			}
		})
	}
	wg.Wait()
	return done
}
