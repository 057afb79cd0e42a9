//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/uspmesh/uspmesh/mqtt/mqtttest"
)

// Ports of the cloud's broker.
const (
	// BrokerPort is its plain MQTT listener, BrokerTLSPort its TLS one.
	BrokerPort    = 1883
	BrokerTLSPort = 8883
)

// mosquittoPath is the broker the cloud runs (Debian package mosquitto).
const mosquittoPath = mqtttest.MosquittoPath

// cloud is "the operator's cloud": a namespace of its own on the home's
// bridge, running a Mosquitto broker with a plain and a TLS listener (a
// test CA made for the run).
type cloud struct {
	ns, dir           string
	addr              netip.Addr
	conf, logPath     string
	caFile            string
	certFile, keyFile string
	proc              *proc
}

// cloudNS is the namespace of the cloud.
func (n *network) cloudNS() string { return n.prefix + "-cloud" }

// cloudAddr is the cloud's address, 198.18.R.2.
func (p addrPlan) cloudAddr() netip.Addr { return netip.AddrFrom4([4]byte{198, 18, p.run, 2}) }

// buildCloud creates the cloud namespace on the main bridge.
func (n *network) buildCloud(ctx context.Context) error {
	ns := n.cloudNS()
	if err := ipBatch(ctx, "", []string{"netns add " + ns}); err != nil {
		return err
	}
	n.created = append(n.created, ns)
	if err := ipBatch(ctx, ns, []string{"link set lo up",
		fmt.Sprintf("link add eth0 address 02:75:68:%02x:00:02 type veth peer name vcloud netns %s", n.plan.run, n.bridgeNS()),
		fmt.Sprintf("addr add %s/16 dev eth0", n.plan.cloudAddr()),
		"link set eth0 up",
	}); err != nil {
		return err
	}
	return ipBatch(ctx, n.bridgeNS(), []string{"link set vcloud master " + mainBridge + " up"})
}

// startCloud builds the cloud and starts its broker; called by start
// before the nodes, so that they find the broker up.
func (h *Home) startCloud(ctx context.Context) error {
	c := &cloud{ns: h.net.cloudNS(), addr: h.net.plan.cloudAddr(), dir: filepath.Join(h.runDir, "cloud")}
	if err := h.net.buildCloud(ctx); err != nil {
		return err
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("vhome: cloud dir: %w", err)
	}
	var err error
	if c.caFile, c.certFile, c.keyFile, err = mqtttest.NewCA(c.dir, c.addr.String()); err != nil {
		return fmt.Errorf("vhome: cloud CA: %w", err)
	}
	c.logPath = filepath.Join(h.runDir, "cloud.log")
	if c.conf, err = mqtttest.WriteConfig(c.dir, mqtttest.ConfigOptions{
		Listen:    netip.AddrPortFrom(c.addr, BrokerPort).String(),
		TLSListen: netip.AddrPortFrom(c.addr, BrokerTLSPort).String(),
		CAFile:    c.caFile, CertFile: c.certFile, KeyFile: c.keyFile,
		LogFile: filepath.Join(c.dir, "mosquitto.log"),
	}); err != nil {
		return fmt.Errorf("vhome: cloud broker config: %w", err)
	}
	h.cloud = c
	return h.StartBroker(ctx)
}

// StartBroker starts the cloud's broker and waits (bounded) until it
// accepts connections. It fails when the home has no cloud.
func (h *Home) StartBroker(ctx context.Context) error {
	c := h.cloud
	if c == nil {
		return errors.New("vhome: the home has no cloud")
	}
	p, err := startProc(procSpec{ns: c.ns, argv: []string{mosquittoPath, "-c", c.conf}, logPath: c.logPath})
	if err != nil {
		return err
	}
	c.proc = p
	addr := netip.AddrPortFrom(c.addr, BrokerPort)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if probeTCP(ctx, c.ns, c.addr, BrokerPort) == nil {
			return nil
		}
		if !p.running() || time.Now().After(deadline) {
			_ = p.kill()
			return fmt.Errorf("vhome: cloud broker did not come up on %s (see %s)", addr, c.logPath)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// StopBroker stops the cloud's broker (SIGTERM, then SIGKILL).
func (h *Home) StopBroker() error {
	if h.cloud == nil || h.cloud.proc == nil {
		return errors.New("vhome: no cloud broker running")
	}
	return h.cloud.proc.stop(5 * time.Second)
}

// BrokerURL is the URL nodes reach the cloud's broker at: mqtts:// on
// the TLS listener (verified with BrokerCA) or mqtt:// on the plain one.
func (h *Home) BrokerURL(tls bool) string {
	if tls {
		return "mqtts://" + netip.AddrPortFrom(h.cloud.addr, BrokerTLSPort).String()
	}
	return "mqtt://" + netip.AddrPortFrom(h.cloud.addr, BrokerPort).String()
}

// BrokerCA is the PEM file of the CA that issued the broker's
// certificate.
func (h *Home) BrokerCA() string { return h.cloud.caFile }

// CloudNamespace is the cloud's network namespace.
func (h *Home) CloudNamespace() string { return h.cloud.ns }

// probeTCP tries one TCP connection to addr:port from inside ns (bash's
// /dev/tcp, so that the harness itself stays out of the namespace).
func probeTCP(ctx context.Context, ns string, addr netip.Addr, port int) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	dst := net.JoinHostPort(addr.String(), fmt.Sprint(port))
	host, p, _ := net.SplitHostPort(dst)
	return exec.CommandContext(ctx, "ip", "netns", "exec", ns, "bash", "-c", "exec 3<>/dev/tcp/"+host+"/"+p).Run()
}
