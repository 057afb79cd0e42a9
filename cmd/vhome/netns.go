//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The virtual home's network, built with iproute2's ip:
//
//	<prefix>-br    bridges br0 (the home's LAN) and br1 (the far side of a
//	               partition), multicast snooping off; port v<i> per node,
//	               vc0 and vc1 for the harness.
//	<prefix>-n<i>  node i: eth0 (peer of v<i>) with its address, a route
//	               for multicast (224.0.0.0/4), no default route.
//	<prefix>-ctl   the harness's Controller: eth0 on br0 (peer of vc0) with
//	               its address, and eth1 on br1 (peer of vc1) carrying the
//	               same MAC, used through /32 routes towards the nodes a
//	               Partition moved to br1.
//
// Nothing is ever created in the namespace vhome runs in, and only
// addresses of 198.18.0.0/15 (RFC 2544) and the ULA fd75:736d:6800::/48
// are used.

// Network constants of a home.
const (
	// MaxNodes is the largest home StartHome builds.
	MaxNodes = 200
	// ipTimeout bounds each ip command.
	ipTimeout = 10 * time.Second
	// mainBridge and farBridge live in the bridge namespace.
	mainBridge, farBridge = "br0", "br1"
)

// ErrNeedRoot is returned when vhome lacks the privileges to create
// network namespaces.
var ErrNeedRoot = errors.New("vhome: needs root to create network namespaces (run with sudo)")

// checkPrivileges reports whether this process can build a home: root
// with CAP_NET_ADMIN and CAP_SYS_ADMIN (ip netns exec mounts /sys), and
// iproute2's ip.
func checkPrivileges() error {
	if os.Geteuid() != 0 || !hasCaps(12, 21) { // CAP_NET_ADMIN, CAP_SYS_ADMIN
		return ErrNeedRoot
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("vhome: needs iproute2's ip command (apt-get install iproute2): %w", err)
	}
	return nil
}

// hasCaps reports whether every capability bit is in the effective set.
func hasCaps(bits ...uint) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			eff, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return false
			}
			for _, bit := range bits {
				if eff&(1<<bit) == 0 {
					return false
				}
			}
			return true
		}
	}
	return false
}

// addrPlan gives the run's addresses: the harness 198.18.R.1, node i
// 198.18.(R+gen).(10+i), all in 198.18.0.0/16, and IPv6
// fd75:736d:6800:R::(10+i+256·gen)/64; R is the run's byte and gen
// counts the node's address changes.
type addrPlan struct{ run byte }

func (p addrPlan) ctl() netip.Addr { return netip.AddrFrom4([4]byte{198, 18, p.run, 1}) }

func (p addrPlan) node(i, gen int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 18, p.run + byte(gen), byte(10 + i)})
}

func (p addrPlan) node6(i, gen int) netip.Addr {
	a := [16]byte{0xfd, 0x75, 0x73, 0x6d, 0x68, 0x00, 0, p.run}
	h := 10 + i + 256*(gen%256)
	a[14], a[15] = byte(h>>8), byte(h)
	return netip.AddrFrom16(a)
}

// mac is a locally administered MAC for node i (or the harness, i < 0).
func (p addrPlan) mac(i int) string {
	if i < 0 {
		return fmt.Sprintf("02:75:68:%02x:00:01", p.run)
	}
	return fmt.Sprintf("02:75:68:%02x:01:%02x", p.run, i)
}

// network is one run's namespaces and links.
type network struct {
	prefix  string
	plan    addrPlan
	log     *slog.Logger
	created []string // the namespaces build made, the only ones destroyed
}

func (n *network) bridgeNS() string    { return n.prefix + "-br" }
func (n *network) ctlNS() string       { return n.prefix + "-ctl" }
func (n *network) nodeNS(i int) string { return fmt.Sprintf("%s-n%d", n.prefix, i) }

// namespaces lists every namespace of a home of size nodes.
func (n *network) namespaces(nodes int) []string {
	all := []string{n.bridgeNS(), n.ctlNS()}
	for i := range nodes {
		all = append(all, n.nodeNS(i))
	}
	return all
}

// build creates the namespaces, bridges, links and addresses of a home
// of size nodes. On error, destroy removes what was made.
func (n *network) build(ctx context.Context, nodes int) error {
	for _, ns := range n.namespaces(nodes) {
		// One at a time: a name that exists already is not ours.
		if err := ipBatch(ctx, "", []string{"netns add " + ns}); err != nil {
			return err
		}
		n.created = append(n.created, ns)
	}
	br := []string{"link set lo up"}
	for _, b := range []string{mainBridge, farBridge} {
		br = append(br, "link add "+b+" type bridge mcast_snooping 0", "link set "+b+" up")
	}
	if err := ipBatch(ctx, n.bridgeNS(), br); err != nil {
		return err
	}
	ctl := []string{"link set lo up",
		fmt.Sprintf("link add eth0 address %s type veth peer name vc0 netns %s", n.plan.mac(-1), n.bridgeNS()),
		fmt.Sprintf("link add eth1 address %s type veth peer name vc1 netns %s", n.plan.mac(-1), n.bridgeNS()),
		fmt.Sprintf("addr add %s/16 dev eth0", n.plan.ctl()),
		"link set eth0 multicast on up", "link set eth1 multicast on up",
	}
	if err := ipBatch(ctx, n.ctlNS(), ctl); err != nil {
		return err
	}
	ports := []string{"link set vc0 master " + mainBridge + " up", "link set vc1 master " + farBridge + " up"}
	for i := range nodes {
		if err := ipBatch(ctx, n.nodeNS(i), []string{"link set lo up",
			fmt.Sprintf("link add eth0 address %s type veth peer name v%d netns %s", n.plan.mac(i), i, n.bridgeNS()),
			fmt.Sprintf("addr add %s/16 dev eth0", n.plan.node(i, 0)),
			fmt.Sprintf("addr add %s/64 dev eth0 nodad", n.plan.node6(i, 0)),
			"link set eth0 multicast on up",
			"route add 224.0.0.0/4 dev eth0",
		}); err != nil {
			return err
		}
		ports = append(ports, fmt.Sprintf("link set v%d master %s up", i, mainBridge))
	}
	return ipBatch(ctx, n.bridgeNS(), ports)
}

// setLink takes node i's bridge port down or up.
func (n *network) setLink(ctx context.Context, i int, up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	return ipBatch(ctx, n.bridgeNS(), []string{fmt.Sprintf("link set v%d %s", i, state)})
}

// setSide attaches node i's port to the main bridge (far false) or the
// far one, and routes the harness's traffic to addr the same way.
func (n *network) setSide(ctx context.Context, i int, addr netip.Addr, far bool) error {
	bridge, route := mainBridge, fmt.Sprintf("route del %s/32 dev eth1", addr)
	if far {
		bridge, route = farBridge, fmt.Sprintf("route replace %s/32 dev eth1", addr)
	}
	if err := ipBatch(ctx, n.bridgeNS(), []string{fmt.Sprintf("link set v%d master %s", i, bridge)}); err != nil {
		return err
	}
	return ipBatch(ctx, n.ctlNS(), []string{route})
}

// readdress moves node i from its gen-1 addresses to its gen ones; far
// moves the harness's /32 route along.
func (n *network) readdress(ctx context.Context, i, gen int, far bool) error {
	old, addr := n.plan.node(i, gen-1), n.plan.node(i, gen)
	if err := ipBatch(ctx, n.nodeNS(i), []string{
		fmt.Sprintf("addr del %s/16 dev eth0", old),
		fmt.Sprintf("addr del %s/64 dev eth0", n.plan.node6(i, gen-1)),
		fmt.Sprintf("addr add %s/16 dev eth0", addr),
		fmt.Sprintf("addr add %s/64 dev eth0 nodad", n.plan.node6(i, gen)),
		// Removing the last IPv4 address flushed the device's routes.
		"route replace 224.0.0.0/4 dev eth0",
	}); err != nil {
		return err
	}
	if !far {
		return nil
	}
	return ipBatch(ctx, n.ctlNS(), []string{
		fmt.Sprintf("route del %s/32 dev eth1", old), fmt.Sprintf("route replace %s/32 dev eth1", addr)})
}

// destroyNamespaces kills every process left in the listed namespaces
// and deletes those of them that exist. It only touches names it is given.
func destroyNamespaces(ctx context.Context, names []string) error {
	existing, err := listNamespaces(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, ns := range names {
		if !existing[ns] {
			continue
		}
		killNamespacePids(ctx, ns)
		if err := ipBatch(ctx, "", []string{"netns del " + ns}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// killNamespacePids SIGKILLs the processes living in namespace ns.
func killNamespacePids(ctx context.Context, ns string) {
	ctx, cancel := context.WithTimeout(ctx, ipTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", "netns", "pids", ns).Output()
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// listNamespaces returns the names of the named network namespaces.
func listNamespaces(ctx context.Context) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, ipTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", "netns", "list").Output()
	if err != nil {
		return nil, fmt.Errorf("vhome: ip netns list: %w", err)
	}
	names := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 0 {
			names[f[0]] = true
		}
	}
	return names, nil
}

// ipBatch runs ip's commands, one per line, in namespace ns ("" for the
// current one), stopping at the first that fails.
func ipBatch(ctx context.Context, ns string, lines []string) error {
	ctx, cancel := context.WithTimeout(ctx, ipTimeout)
	defer cancel()
	args := []string{"-batch", "-"}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("vhome: ip %s [%s]: %w: %s", strings.Join(args, " "), strings.Join(lines, "; "),
			err, bytes.TrimSpace(out))
	}
	return nil
}
