// Command meshctl is a USP Controller on the command line: it sends Get,
// Set, Add, Delete, Operate, GetInstances, GetSupportedDM and
// GetSupportedProtocol to any USP Agent over CoAP (plain or DTLS), MQTT
// (through a broker) or WebSocket (to the Agent's server, or with the Agent
// connecting to meshctl's), subscribes to notifications, and measures an
// Agent's latency and throughput.
//
// Usage:
//
//	meshctl [flags] COMMAND [arguments]
//
// Run "meshctl -help" for the commands and flags. The exit status is 0 on
// success, 1 when the Agent answers with a USP error (each failure is
// printed once, with its path and code) or cannot be reached, and 2 for
// bad usage; -json prints one JSON object per line, {"command", "results",
// "errors"}, for every command, with the same exit status.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/uspmesh/uspmesh/buildinfo"
	"github.com/uspmesh/uspmesh/usp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one meshctl sub-command.
type command struct {
	name, args, help string
	// aliases are other names of the command (obuspa's).
	aliases []string
	// min is the number of arguments the command needs at least.
	min   int
	run   func(ctx context.Context, s *session, f *cmdFlags, args []string, r *report) error
	flags func(fs *flag.FlagSet, f *cmdFlags)
	// own, when set, runs instead of run: the command opens its own
	// sessions (or none) from the options.
	own func(ctx context.Context, o options, f *cmdFlags, args []string, r *report) error
}

// usageError is bad command-line usage (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// find returns the command called name (or one of its aliases), or nil.
func find(cmds []command, name string) *command {
	for i := range cmds {
		if cmds[i].name == name || slices.Contains(cmds[i].aliases, name) {
			return &cmds[i]
		}
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("meshctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.register(fs, defaults())
	version := fs.Bool("version", false, "print the version and exit")
	cmds := slices.Concat(commands(), bulkDataCommands(), historyCommands(), appsCommands(), rolloutCommands())
	fs.Usage = func() { usage(stderr, fs, cmds) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *version {
		fmt.Fprintln(stdout, buildinfo.Line("meshctl"))
		return 0
	}
	if fs.NArg() == 0 {
		usage(stderr, fs, cmds)
		return 2
	}
	c := find(cmds, fs.Arg(0))
	if c == nil {
		fmt.Fprintf(stderr, "meshctl: unknown command %q\n", fs.Arg(0))
		usage(stderr, fs, cmds)
		return 2
	}
	cfs := flag.NewFlagSet("meshctl "+c.name, flag.ContinueOnError)
	cfs.SetOutput(stderr)
	o.register(cfs, o) // global flags are accepted after the command too
	f := &cmdFlags{}
	if c.flags != nil {
		c.flags(cfs, f)
	}
	cfs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: meshctl %s %s\n\n%s\n\nFlags:\n", c.name, c.args, c.help)
		cfs.PrintDefaults()
	}
	if err := cfs.Parse(fs.Args()[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if cfs.NArg() < c.min {
		fmt.Fprintf(stderr, "meshctl %s: missing arguments: want %s\n", c.name, c.args)
		cfs.Usage()
		return 2
	}
	r := &report{command: c.name, json: o.jsonOut, out: stdout}
	err := execute(ctx, c, o, f, cfs.Args(), r, stderr)
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "meshctl %s: %v\n", c.name, err)
		cfs.Usage()
		return 2
	}
	return finish(r, err, o, stderr)
}

// execute runs c: its own way, or on a session to the Agent.
func execute(ctx context.Context, c *command, o options, f *cmdFlags, args []string, r *report, notes io.Writer) error {
	if c.own != nil {
		return c.own(ctx, o, f, args, r)
	}
	s, err := dial(ctx, o, notes)
	if err != nil {
		return err
	}
	defer s.Close()
	return c.run(ctx, s, f, args, r)
}

// finish prints what the command collected and how it failed, each
// failure once, and returns the exit status: 1 when anything failed.
// Text output gives the failures inside a response as ERROR lines among
// the results and the rest on stderr; -json puts them all in "errors".
func finish(r *report, err error, o options, stderr io.Writer) int {
	var fails []pathError
	var header string
	if err != nil {
		var pe *pathsError
		var paths []string
		if errors.As(err, &pe) {
			paths = pe.paths
		}
		fails, header = requestFailure(err, paths)
	}
	codes := r.codes()
	for _, f := range fails {
		codes = append(codes, f.Code)
	}
	if r.json {
		for _, f := range fails {
			r.fail(f)
		}
	}
	if ferr := r.flush(); ferr != nil {
		fmt.Fprintf(stderr, "meshctl %s: %v\n", r.command, ferr)
		return 1
	}
	if !r.json {
		if header != "" {
			fmt.Fprintf(stderr, "meshctl %s: %s\n", r.command, header)
		}
		for _, f := range fails {
			if f.Code == 0 && f.Path == "" {
				fmt.Fprintf(stderr, "meshctl %s: %s\n", r.command, f.Message)
				continue
			}
			fmt.Fprintf(stderr, "meshctl %s: %s\n", r.command, f.text())
		}
		if err == nil && r.failures > 0 {
			fmt.Fprintf(stderr, "meshctl %s: %d path(s) failed\n", r.command, r.failures)
		}
	}
	if slices.Contains(codes, uint32(usp.ErrPermissionDenied)) && o.auth() == authMeshSecret {
		fmt.Fprint(stderr, meshPeerHint)
	}
	if err != nil || r.failures > 0 {
		return 1
	}
	return 0
}

// meshPeerHint explains a permission denied to a holder of the mesh
// secret.
const meshPeerHint = `meshctl: hint: with -secret-file you hold the mesh secret, which gets the
read-only MeshPeer role by design. For write access configure a Controller
on the node (meshctl mint-psk -o ctl.psk; meshd ... -psk-file ctl.psk
-controller proto::you=full) and use its ID and key: meshctl -id proto::you
-psk-file ctl.psk ...
`

func usage(w io.Writer, fs *flag.FlagSet, cmds []command) {
	fmt.Fprintf(w, `meshctl: a USP Controller on the command line.

Usage: meshctl [flags] COMMAND [arguments]

Commands:
`)
	for _, c := range cmds {
		summary, _, _ := strings.Cut(c.help, ". ")
		summary, _, _ = strings.Cut(summary, ";")
		summary = strings.TrimSuffix(summary, ".")
		if len(c.aliases) > 0 {
			summary += " (also: " + strings.Join(c.aliases, ", ") + ")"
		}
		fmt.Fprintf(w, "  %-10s %-24s %s\n", c.name, c.args, summary)
	}
	fmt.Fprintf(w, `
"meshctl COMMAND -help" explains a command.

The MTP follows -url (every command but discover and status, which speak
CoAP only):
  coap[s]://host:port/path   the Agent's CoAP resource; answers come back to
                             -listen at -reply-path. DTLS with -psk-file,
                             -secret-file or -cert/-key/-ca.
  mqtt[s]://broker[:port]/AGENT-TOPIC
                             Records go to the Agent's topic (the URL path
                             without its leading '/'; '/' and ':' are fine,
                             escape '?' and '#'); answers come to -mqtt-topic,
                             notifications to the topic the Agent has
                             configured for this Controller (so subscribe
                             with -mqtt-topic set to it).
                             mqtts verifies the broker with -ca (or the system
                             roots), -cert/-key is an optional client
                             certificate; -mqtt-user, -mqtt-password-file.
  ws[s]://host:port/path     a session to the Agent's WebSocket server; wss
                             verifies it with -ca and presents -cert/-key, the
                             certificate naming this Controller (-id).
  -ws-listen host:port       no -url: meshctl serves WebSocket at -ws-path and
                             waits up to -timeout for the Agent (-agent) to
                             connect, as it does to a Controller whose MTP is
                             ws[s]://this-host:port/usp (wss with -cert/-key/-ca).

Examples:
  meshctl mint-psk -o ctl.psk                       # a key for meshd -psk-file ctl.psk -controller proto::ops=full
  meshctl -url coaps://127.0.0.1:5684/usp -agent os::000000-AP1 -id proto::ops -psk-file ctl.psk get Device.DeviceInfo.
  meshctl -url coaps://127.0.0.1:5684/usp -agent os::000000-AP1 -id proto::ops -psk-file ctl.psk set Device.DeviceInfo.FriendlyName Hall
  meshctl -url mqtt://127.0.0.1:1883/usp/agent/os::000000-AP1 -agent os::000000-AP1 -id proto::ops get Device.DeviceInfo.
  meshctl -url wss://192.168.1.1:5685/usp -agent os::000000-AP1 -cert ctl.crt -key ctl.key -ca ca.crt get Device.DeviceInfo.
  meshctl -ws-listen :5686 -agent os::000000-AP1 -timeout 60s subscribe ValueChange Device.DeviceInfo.
  meshctl discover                                  # USP endpoints on the LAN (DNS-SD)
  meshctl -secret-file mesh.secret -agent os::000000-AP1 status   # the mesh, as every node sees it

Who may do what: the Agent gives this Controller (-id) the role it was
configured with (meshd -controller ID=ROLE, e.g. proto::ops=full) when it
authenticates with meshd's -psk-file key (or a certificate naming -id).
Holders of the mesh secret (-secret-file) get the read-only MeshPeer role.

`)
	fmt.Fprint(w, jsonHelp)
	fmt.Fprintf(w, `
Flags:
`)
	fs.PrintDefaults()
}
