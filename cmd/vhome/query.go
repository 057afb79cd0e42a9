//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// execTimeout bounds Exec when its context has no deadline.
const execTimeout = 30 * time.Second

// Client returns the harness's USP Controller (ControllerID), which
// reaches every node by its Agent Endpoint ID at the URL of the node's
// last start. Its endpoint runs in the <prefix>-ctl namespace (see
// relay.go); the first call starts it, bounded by ctx. The Client is
// shared and lives as long as the home.
func (h *Home) Client(ctx context.Context) (*usp.Client, error) {
	h.relayMu.Lock()
	defer h.relayMu.Unlock()
	if c := h.client.Load(); c != nil {
		return c, nil
	}
	h.mu.RLock()
	closed := h.closed
	h.mu.RUnlock()
	if closed {
		return nil, ErrClosed
	}
	listen := netip.AddrPortFrom(h.net.plan.ctl(), 0).String()
	r, err := startRelay(ctx, h.cfg.Self, h.net.ctlNS(), listen, h.psk, h.cfg.Prefix, filepath.Join(h.runDir, "ctl.log"),
		func(peer string, rec []byte) {
			if c := h.client.Load(); c != nil {
				if err := c.HandleRecord(context.Background(), usp.EndpointID(peer), rec); err != nil {
					h.log.Debug("record from a node", "peer", peer, "err", err)
				}
			}
		})
	if err != nil {
		return nil, err
	}
	c, err := usp.NewClient(usp.ClientConfig{EndpointID: ControllerID, Transport: homeTransport{h, r},
		Timeout: h.cfg.RequestTimeout, OnNotify: h.cfg.OnNotify, Logger: h.log.With("sub", "client")})
	if err != nil {
		r.close()
		return nil, err
	}
	h.relay = r
	h.client.Store(c)
	h.log.Info("controller up", "id", ControllerID, "url", r.url)
	return c, nil
}

// homeTransport sends the Client's Records to the nodes' URLs.
type homeTransport struct {
	h *Home
	r *relay
}

// SendRecord implements usp.Transport.
func (t homeTransport) SendRecord(ctx context.Context, to usp.EndpointID, rec []byte) error {
	url := ""
	t.h.mu.RLock()
	for _, m := range t.h.members {
		if m.node.AgentID == to {
			url = m.node.URL
		}
	}
	t.h.mu.RUnlock()
	if url == "" {
		return fmt.Errorf("vhome: no node has Agent Endpoint ID %s", to)
	}
	return t.r.send(ctx, url, rec)
}

// PathError is a path a node's Get answered with an error.
type PathError struct {
	Path string
	Code usp.ErrorCode
	Msg  string
}

// Error implements error.
func (e *PathError) Error() string {
	return fmt.Sprintf("vhome: get %s: usp error %d: %s", e.Path, uint32(e.Code), e.Msg)
}

// Get sends node i a USP Get of paths (full depth) through Client and
// returns every parameter as full path => value. A path the node answers
// with an error makes a *PathError (joined, one per path) next to the
// values of the other paths.
func (h *Home) Get(ctx context.Context, i int, paths ...string) (map[string]string, error) {
	n, err := h.Node(i)
	if err != nil {
		return nil, err
	}
	c, err := h.Client(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.Get(ctx, n.AgentID, 0, paths...)
	if err != nil {
		return nil, fmt.Errorf("vhome: node %d: %w", i, err)
	}
	return flattenGet(r)
}

// flattenGet turns a GetResp into path => value.
func flattenGet(r *uspmsg.GetResp) (map[string]string, error) {
	out := map[string]string{}
	var errs []error
	for _, rr := range r.GetReqPathResults() {
		if rr.GetErrCode() != 0 {
			errs = append(errs, &PathError{Path: rr.GetRequestedPath(), Code: usp.ErrorCode(rr.GetErrCode()), Msg: rr.GetErrMsg()})
			continue
		}
		for _, res := range rr.GetResolvedPathResults() {
			for k, v := range res.GetResultParams() {
				out[res.GetResolvedPath()+k] = v
			}
		}
	}
	return out, errors.Join(errs...)
}

// Exec runs args inside node i's namespace (ip netns exec, which also
// mounts that namespace's /sys, so /sys/class/net/eth0/... is the node's)
// and returns its stdout. The command runs in its own process group,
// killed when ctx ends (after 30 s when ctx has no deadline); a failure
// carries its stderr.
func (h *Home) Exec(ctx context.Context, i int, args ...string) ([]byte, error) {
	n, err := h.Node(i)
	if err != nil {
		return nil, err
	}
	return execIn(ctx, n.Namespace, args...)
}

// ExecCloud is Exec in the cloud's namespace (HomeConfig.Cloud): a
// Controller of the operator's, outside the home.
func (h *Home) ExecCloud(ctx context.Context, args ...string) ([]byte, error) {
	if h.cloud == nil {
		return nil, errors.New("vhome: the home has no cloud")
	}
	return execIn(ctx, h.cloud.ns, args...)
}

// ExecController is Exec in the harness Controller's namespace, on the
// home's LAN but on no node: an app on a phone in the home.
func (h *Home) ExecController(ctx context.Context, args ...string) ([]byte, error) {
	return execIn(ctx, h.net.ctlNS(), args...)
}

// execIn runs args in namespace ns, bounded by ctx (execTimeout when it
// has no deadline), and returns its stdout.
func execIn(ctx context.Context, ns string, args ...string) ([]byte, error) {
	if len(args) == 0 {
		return nil, errors.New("vhome: exec: no command")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, execTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("vhome: exec %s in %s: %w: %s", strings.Join(args, " "), ns, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}
