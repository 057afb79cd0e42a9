//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/coap"
)

// probeID is a second Controller every node of TestHome trusts (read),
// used by meshctl to test node-to-node reachability.
const probeID = "proto::probe"

// TestHome drives one 3-node home through the harness's operations, in
// order, and finally closes it.
func TestHome(t *testing.T) {
	h := startHome(t, HomeConfig{Nodes: 3, ExtraArgs: func(int) []string {
		return []string{"-controller", probeID + "=read", "-log-level", "debug"}
	}})
	prefix, runDir := h.Prefix(), h.RunDir()

	t.Run("FriendlyNames", func(t *testing.T) {
		for _, n := range h.Nodes() {
			if !n.Running || n.Namespace != fmt.Sprintf("%s-n%d", prefix, n.Index) || !netip.MustParsePrefix("198.18.0.0/15").Contains(n.Addr) {
				t.Errorf("node %+v", n)
			}
			v, err := h.Get(t.Context(), n.Index, "Device.DeviceInfo.FriendlyName", "Device.LocalAgent.EndpointID")
			if err != nil {
				t.Fatalf("node %d: %v", n.Index, err)
			}
			if want := fmt.Sprintf("node%d", n.Index); v["Device.DeviceInfo.FriendlyName"] != want || v["Device.LocalAgent.EndpointID"] != string(n.AgentID) {
				t.Errorf("node %d answered %v, want %s and %s", n.Index, v, want, n.AgentID)
			}
		}
	})

	t.Run("ControllerInItsNamespace", func(t *testing.T) {
		out, err := exec.Command("ip", "netns", "identify", strconv.Itoa(h.relay.p.cmd.Process.Pid)).Output()
		if got := strings.TrimSpace(string(out)); err != nil || got != prefix+"-ctl" {
			t.Errorf("relay in namespace %q (%v), want %s-ctl", got, err, prefix)
		}
	})

	t.Run("Exec", func(t *testing.T) {
		out, err := h.Exec(t.Context(), 0, "cat", "/sys/class/net/eth0/statistics/tx_bytes", "/sys/class/net/eth0/address")
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(out))
		if tx, err := strconv.Atoi(f[0]); err != nil || tx == 0 || f[1] != h.net.plan.mac(0) {
			t.Errorf("eth0 of node 0: %q", out)
		}
	})

	t.Run("KillRestartKeepsIdentity", func(t *testing.T) {
		before, _ := h.Node(1)
		if err := h.Kill(1); err != nil {
			t.Fatal(err)
		}
		if n, _ := h.Node(1); n.Running {
			t.Fatal("node 1 still running after Kill")
		}
		if err := h.Restart(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		after, _ := h.Node(1)
		if after.AgentID != before.AgentID || after.URL != before.URL || !after.Running {
			t.Errorf("after restart %+v, before %+v", after, before)
		}
		// The harness's DTLS session is stale: the coap client redials.
		if err := waitFor(15*time.Second, func() error { _, err := getName(h, 1, 3*time.Second); return err }); err != nil {
			t.Fatalf("Get after restart: %v", err)
		}
	})

	t.Run("LinkDownUp", func(t *testing.T) {
		if err := h.LinkDown(2); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		_, err := getName(h, 2, 2*time.Second)
		if err == nil || time.Since(t0) > 4*time.Second {
			t.Fatalf("Get with link down: %v after %v", err, time.Since(t0))
		}
		t.Logf("Get with link down failed after %v: %v", time.Since(t0).Round(time.Millisecond), err)
		if err := h.LinkUp(2); err != nil {
			t.Fatal(err)
		}
		if err := waitFor(15*time.Second, func() error { _, err := getName(h, 2, 3*time.Second); return err }); err != nil {
			t.Fatalf("Get after LinkUp: %v", err)
		}
	})

	t.Run("PartitionHeal", func(t *testing.T) {
		if err := h.Partition([]int{0, 1}, []int{2}); err != nil {
			t.Fatal(err)
		}
		for i := range 3 { // the harness reaches both sides
			if err := waitFor(10*time.Second, func() error { _, err := getName(h, i, 3*time.Second); return err }); err != nil {
				t.Fatalf("harness to node %d during partition: %v", i, err)
			}
		}
		if err := probe(t, h, 0, 1); err != nil {
			t.Errorf("node 0 to node 1 (same side): %v", err)
		}
		if err := probe(t, h, 0, 2); err == nil {
			t.Errorf("node 0 reached node 2 across the partition")
		}
		if err := h.Heal(); err != nil {
			t.Fatal(err)
		}
		if err := waitFor(10*time.Second, func() error { return probe(t, h, 0, 2) }); err != nil {
			t.Errorf("node 0 to node 2 after Heal: %v", err)
		}
	})

	t.Run("ChangeAddress", func(t *testing.T) {
		before, _ := h.Node(1)
		if err := h.Stop(1); err != nil {
			t.Fatal(err)
		}
		addr, err := h.ChangeAddress(1)
		if err != nil || addr == before.Addr {
			t.Fatalf("ChangeAddress: %v, %v (was %v)", addr, err, before.Addr)
		}
		if err := h.Restart(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		after, _ := h.Node(1)
		if after.AgentID != before.AgentID || !strings.Contains(after.URL, addr.String()+":") {
			t.Errorf("after move %+v", after)
		}
		if err := waitFor(10*time.Second, func() error { _, err := getName(h, 1, 3*time.Second); return err }); err != nil {
			t.Fatalf("Get at the new address: %v", err)
		}
	})

	t.Run("Close", func(t *testing.T) {
		if len(procsMatching(runDir)) != 3 {
			t.Errorf("want 3 meshd of the run before Close: %q", procsMatching(runDir))
		}
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		assertGone(t, prefix, runDir)
		if err := h.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if _, err := h.Get(t.Context(), 0, "Device."); !errors.Is(err, ErrClosed) {
			t.Errorf("Get after Close: %v", err)
		}
	})
}

// probe runs meshctl in node from's namespace to Get node to's
// FriendlyName, as probeID.
func probe(t *testing.T, h *Home, from, to int) error {
	src, _ := h.Node(from)
	dst, _ := h.Node(to)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
	defer cancel()
	out, err := h.Exec(ctx, from, filepath.Join(binDir, "meshctl"), "-url", dst.URL, "-agent", string(dst.AgentID),
		"-id", probeID, "-psk-hex", h.PSKHex(), "-listen", src.Addr.String()+":0", "-timeout", "2s",
		"get", "Device.DeviceInfo.FriendlyName")
	if err != nil {
		return err
	}
	if want := fmt.Sprintf("node%d", to); !strings.Contains(string(out), "=> "+want) {
		return fmt.Errorf("meshctl said %q, want %s", out, want)
	}
	return nil
}

// TestLinkDownTimeout checks the error of a Get to a node cut off: a
// timeout the caller can recognise.
func TestLinkDownTimeout(t *testing.T) {
	h := startHome(t, HomeConfig{Nodes: 1})
	if _, err := getName(h, 0, 3*time.Second); err != nil { // a session first
		t.Fatal(err)
	}
	if err := h.LinkDown(0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	_, err := h.Get(ctx, 0, "Device.DeviceInfo.")
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, coap.ErrTimeout) {
		t.Errorf("Get with link down: %v", err)
	}
}

// TestCloseOnPanic checks that a deferred Close tears everything down on
// a failure path.
func TestCloseOnPanic(t *testing.T) {
	needRoot(t)
	var prefix, runDir string
	func() {
		defer func() {
			if r := recover(); r != "forced failure" {
				t.Errorf("recovered %v", r)
			}
		}()
		h, err := StartHome(t.Context(), HomeConfig{Nodes: 2, MeshdPath: filepath.Join(binDir, "meshd"), Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		prefix, runDir = h.Prefix(), h.RunDir()
		panic("forced failure")
	}()
	assertGone(t, prefix, runDir)
}

// TestStartFailure checks that a home whose node fails to start is torn
// down by StartHome, and that the error tells why.
func TestStartFailure(t *testing.T) {
	needRoot(t)
	var rnd [3]byte
	_, _ = rand.Read(rnd[:])
	prefix := "uh" + hex.EncodeToString(rnd[:])
	h, err := StartHome(t.Context(), HomeConfig{Nodes: 2, Prefix: prefix, MeshdPath: filepath.Join(binDir, "meshd"),
		Logger: testLogger(t), ExtraArgs: func(i int) []string {
			if i == 1 {
				return []string{"-no-such-flag"}
			}
			return nil
		}})
	if err == nil {
		h.Close()
		t.Fatal("StartHome succeeded with a bad meshd flag")
	}
	if !strings.Contains(err.Error(), "no-such-flag") {
		t.Errorf("error lacks meshd's complaint: %v", err)
	}
	assertGone(t, prefix, "")
	if procs := procsMatching("vhome-" + prefix); len(procs) > 0 {
		t.Errorf("processes left: %q", procs)
	}
}

// TestPrefixInUse checks that a run never takes over another run's
// prefix (nor, then, its namespaces).
func TestPrefixInUse(t *testing.T) {
	h := startHome(t, HomeConfig{Nodes: 1})
	_, err := StartHome(t.Context(), HomeConfig{Nodes: 1, Prefix: h.Prefix(), MeshdPath: filepath.Join(binDir, "meshd")})
	if err == nil {
		t.Fatal("second home with the same prefix started")
	}
	if _, err := getName(h, 0, 3*time.Second); err != nil {
		t.Errorf("first home hurt by the second's failure: %v", err)
	}
}
