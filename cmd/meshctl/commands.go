package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
	"github.com/uspmesh/uspmesh/usp"
)

// cmdFlags are the flags of the individual commands.
type cmdFlags struct {
	depth      uint
	partial    bool
	required   bool
	firstLevel bool
	key        string
	noResp     bool
	all        bool
	duration   time.Duration
	retry      bool
	n, c       int
	path       string
}

func commands() []command {
	return []command{
		{name: "get", args: "PATH...", help: "Get parameters and objects; prints one PATH => VALUE line per parameter.",
			flags: func(fs *flag.FlagSet, f *cmdFlags) {
				fs.UintVar(&f.depth, "depth", 0, "max_depth (0 = everything below)")
			}, run: cmdGet},
		{name: "set", args: "OBJECT PARAM=VALUE...", help: "Set parameters of an object, row or search path.",
			flags: writeFlags, run: cmdSet},
		{name: "add", args: "TABLE [PARAM=VALUE...]", help: "Add a row to a table; prints its path and unique keys.",
			flags: writeFlags, run: cmdAdd},
		{name: "delete", args: "PATH...", help: "Delete rows.",
			flags: func(fs *flag.FlagSet, f *cmdFlags) { fs.BoolVar(&f.partial, "partial", false, "allow_partial") }, run: cmdDelete},
		{name: "operate", args: "COMMAND() [ARG=VALUE...]", help: "Run a command; prints its output arguments or the request path of an async command.",
			flags: func(fs *flag.FlagSet, f *cmdFlags) {
				fs.StringVar(&f.key, "command-key", "", "command_key")
				fs.BoolVar(&f.noResp, "no-resp", false, "send_resp false: send and do not wait")
			}, run: cmdOperate},
		{name: "instances", args: "PATH...", help: "List the instances of tables.",
			flags: func(fs *flag.FlagSet, f *cmdFlags) {
				fs.BoolVar(&f.firstLevel, "first-level", false, "first_level_only")
			}, run: cmdInstances},
		{name: "supported", args: "PATH...", help: "Show the supported data model below paths ({i} form or instance numbers).",
			flags: func(fs *flag.FlagSet, f *cmdFlags) {
				fs.BoolVar(&f.firstLevel, "first-level", false, "first_level_only")
				fs.BoolVar(&f.all, "all", true, "return parameters, commands, events and unique keys")
			}, run: cmdSupported},
		{name: "proto", args: "", help: "Show the USP versions the Agent speaks.", run: cmdProto},
		{name: "subscribe", args: "TYPE REFERENCE...", help: "Subscribe (TYPE is ValueChange, ObjectCreation, ObjectDeletion, OperationComplete or Event) and print notifications as they arrive, until interrupted or -for passes; the subscription is deleted at the end.",
			flags: func(fs *flag.FlagSet, f *cmdFlags) {
				fs.DurationVar(&f.duration, "for", 0, "stop after this long (0 = until interrupted)")
				fs.BoolVar(&f.retry, "retry", false, "NotifRetry: the Agent retries until answered")
			}, run: cmdSubscribe},
		{name: "bench", args: "", help: "Measure round-trip latency (p50/p90/p99) and throughput of Gets of one path.",
			flags: func(fs *flag.FlagSet, f *cmdFlags) {
				fs.IntVar(&f.n, "n", 2000, "number of requests")
				fs.IntVar(&f.c, "c", 1, "requests in flight")
				fs.StringVar(&f.path, "path", "Device.DeviceInfo.SoftwareVersion", "path to Get")
			}, run: cmdBench},
		{name: "discover", args: "", help: "List the USP Agents and Controllers advertised on the LAN by DNS-SD (any vendor, any mesh), for -discover-wait; CoAP only.",
			own: cmdDiscover},
		{name: "status", args: "", help: "Show the mesh as every node sees it: status, leader, term and members per node, and whether all agree (exit 1 when not). Starts from -agent (found by DNS-SD without -url) or, without -agent, from every Agent DNS-SD finds. Use -secret-file for the mesh's DTLS key; CoAP only.",
			own: cmdStatus},
		{name: "secret", args: "", help: "Print a new random mesh secret (32 bytes, hex) for meshd -mesh-secret-file.", own: cmdSecret},
		{name: "mint-psk", args: "", help: "Print a new random 16-byte pre-shared key in hex.", offline: true,
			run: func(_ context.Context, _ *session, _ *cmdFlags, _ []string, out io.Writer) error {
				var k [16]byte
				rand.Read(k[:])
				fmt.Fprintln(out, hex.EncodeToString(k[:]))
				return nil
			}},
	}
}

func writeFlags(fs *flag.FlagSet, f *cmdFlags) {
	fs.BoolVar(&f.partial, "partial", false, "allow_partial")
	fs.BoolVar(&f.required, "required", true, "mark every parameter required")
}

// pairs parses PARAM=VALUE arguments.
func pairs(args []string) ([][2]string, error) {
	out := make([][2]string, 0, len(args))
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, &usageError{fmt.Sprintf("%q: want PARAM=VALUE", a)}
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

func need(args []string, n int, what string) error {
	if len(args) < n {
		return &usageError{"missing " + what}
	}
	return nil
}

func cmdGet(ctx context.Context, s *session, f *cmdFlags, args []string, out io.Writer) error {
	if err := need(args, 1, "PATH"); err != nil {
		return err
	}
	r, err := s.client.Get(ctx, s.to, uint32(f.depth), args...)
	if err != nil {
		return err
	}
	if s.opts.jsonOut {
		return printJSON(out, r)
	}
	return printGet(out, r)
}

func cmdSet(ctx context.Context, s *session, f *cmdFlags, args []string, out io.Writer) error {
	if err := need(args, 2, "OBJECT and PARAM=VALUE"); err != nil {
		return err
	}
	kv, err := pairs(args[1:])
	if err != nil {
		return err
	}
	u := &uspmsg.Set_UpdateObject{ObjPath: args[0]}
	for _, p := range kv {
		u.ParamSettings = append(u.ParamSettings, &uspmsg.Set_UpdateParamSetting{Param: p[0], Value: p[1], Required: f.required})
	}
	r, err := s.client.Set(ctx, s.to, f.partial, u)
	if err != nil {
		return err
	}
	if s.opts.jsonOut {
		return printJSON(out, r)
	}
	return printSet(out, r)
}

func cmdAdd(ctx context.Context, s *session, f *cmdFlags, args []string, out io.Writer) error {
	if err := need(args, 1, "TABLE"); err != nil {
		return err
	}
	kv, err := pairs(args[1:])
	if err != nil {
		return err
	}
	c := &uspmsg.Add_CreateObject{ObjPath: args[0]}
	for _, p := range kv {
		c.ParamSettings = append(c.ParamSettings, &uspmsg.Add_CreateParamSetting{Param: p[0], Value: p[1], Required: f.required})
	}
	r, err := s.client.Add(ctx, s.to, f.partial, c)
	if err != nil {
		return err
	}
	if s.opts.jsonOut {
		return printJSON(out, r)
	}
	return printAdd(out, r)
}

func cmdDelete(ctx context.Context, s *session, f *cmdFlags, args []string, out io.Writer) error {
	if err := need(args, 1, "PATH"); err != nil {
		return err
	}
	r, err := s.client.Delete(ctx, s.to, f.partial, args...)
	if err != nil {
		return err
	}
	if s.opts.jsonOut {
		return printJSON(out, r)
	}
	return printDelete(out, r)
}

func cmdOperate(ctx context.Context, s *session, f *cmdFlags, args []string, out io.Writer) error {
	if err := need(args, 1, "COMMAND()"); err != nil {
		return err
	}
	kv, err := pairs(args[1:])
	if err != nil {
		return err
	}
	in := map[string]string{}
	for _, p := range kv {
		in[p[0]] = p[1]
	}
	if f.noResp {
		return s.client.Send(ctx, s.to, &uspmsg.Request{ReqType: &uspmsg.Request_Operate{Operate: &uspmsg.Operate{
			Command: args[0], CommandKey: f.key, InputArgs: in}}})
	}
	r, err := s.client.Operate(ctx, s.to, args[0], f.key, in)
	if err != nil {
		return err
	}
	if s.opts.jsonOut {
		return printJSON(out, r)
	}
	return printOperate(out, r)
}

func cmdInstances(ctx context.Context, s *session, f *cmdFlags, args []string, out io.Writer) error {
	if err := need(args, 1, "PATH"); err != nil {
		return err
	}
	r, err := s.client.GetInstances(ctx, s.to, f.firstLevel, args...)
	if err != nil {
		return err
	}
	if s.opts.jsonOut {
		return printJSON(out, r)
	}
	return printInstances(out, r)
}

func cmdSupported(ctx context.Context, s *session, f *cmdFlags, args []string, out io.Writer) error {
	if err := need(args, 1, "PATH"); err != nil {
		return err
	}
	r, err := s.client.GetSupportedDM(ctx, s.to, &uspmsg.GetSupportedDM{ObjPaths: args, FirstLevelOnly: f.firstLevel,
		ReturnParams: f.all, ReturnCommands: f.all, ReturnEvents: f.all, ReturnUniqueKeySets: f.all})
	if err != nil {
		return err
	}
	if s.opts.jsonOut {
		return printJSON(out, r)
	}
	return printSupported(out, r)
}

func cmdProto(ctx context.Context, s *session, f *cmdFlags, _ []string, out io.Writer) error {
	v, err := s.client.GetSupportedProtocol(ctx, s.to)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, v)
	return nil
}

func cmdSubscribe(ctx context.Context, s *session, f *cmdFlags, args []string, out io.Writer) error {
	if err := need(args, 2, "TYPE and REFERENCE"); err != nil {
		return err
	}
	row, id, err := s.client.Subscribe(ctx, s.to, usp.Subscription{NotifType: args[0], ReferenceList: args[1:], Retry: f.retry})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "subscribed %s (id %s)\n", row, id)
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.timeout)
		defer cancel()
		s.client.Delete(dctx, s.to, true, row)
	}()
	var stop <-chan time.Time
	if f.duration > 0 {
		stop = time.After(f.duration)
	}
	for {
		select {
		case n := <-s.notify:
			if s.opts.jsonOut {
				printJSON(out, n.n)
				continue
			}
			printNotify(out, n.n)
		case <-stop:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// itoa formats a code.
func itoa(c uint32) string { return strconv.FormatUint(uint64(c), 10) }
