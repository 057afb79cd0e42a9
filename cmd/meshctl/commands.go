package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/meshkey"
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
	// mint-psk, secret
	outFile string
	force   bool
}

func commands() []command {
	return []command{
		{name: "get", args: "PATH...", min: 1, help: "Get parameters and objects; prints one PATH => VALUE line per parameter.",
			flags: func(fs *flag.FlagSet, f *cmdFlags) {
				fs.UintVar(&f.depth, "depth", 0, "max_depth (0 = everything below)")
			}, run: cmdGet},
		{name: "set", args: "PARAM VALUE | OBJ P=V...", min: 2,
			help:  "Set parameters. One parameter by its full path (set Device.DeviceInfo.FriendlyName Hall), or several of an object, row or search path, whose path ends in '.' (set Device.DeviceInfo. FriendlyName=Hall Location=Hall).",
			flags: writeFlags, run: cmdSet},
		{name: "add", args: "TABLE [PARAM=VALUE...]", min: 1, help: "Add a row to a table; prints its path and unique keys.",
			flags: writeFlags, run: cmdAdd},
		{name: "delete", aliases: []string{"del"}, args: "PATH...", min: 1, help: "Delete rows.",
			flags: func(fs *flag.FlagSet, f *cmdFlags) { fs.BoolVar(&f.partial, "partial", false, "allow_partial") }, run: cmdDelete},
		{name: "operate", args: "COMMAND() [ARG=VALUE...]", min: 1, help: "Run a command; prints its output arguments or the request path of an async command.",
			flags: func(fs *flag.FlagSet, f *cmdFlags) {
				fs.StringVar(&f.key, "command-key", "", "command_key")
				fs.BoolVar(&f.noResp, "no-resp", false, "send_resp false: send and do not wait")
			}, run: cmdOperate},
		{name: "instances", args: "PATH...", min: 1, help: "List the instances of tables.",
			flags: func(fs *flag.FlagSet, f *cmdFlags) {
				fs.BoolVar(&f.firstLevel, "first-level", false, "first_level_only")
			}, run: cmdInstances},
		{name: "supported", aliases: []string{"gsdm"}, args: "PATH...", min: 1, help: "Show the supported data model below paths ({i} form or instance numbers).",
			flags: func(fs *flag.FlagSet, f *cmdFlags) {
				fs.BoolVar(&f.firstLevel, "first-level", false, "first_level_only")
				fs.BoolVar(&f.all, "all", true, "return parameters, commands, events and unique keys")
			}, run: cmdSupported},
		{name: "proto", args: "", help: "Show the USP versions the Agent speaks.", run: cmdProto},
		{name: "subscribe", args: "TYPE REFERENCE...", min: 2, help: "Subscribe (TYPE is ValueChange, ObjectCreation, ObjectDeletion, OperationComplete or Event) and print notifications as they arrive, until interrupted or -for passes; the subscription is deleted at the end.",
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
		{name: "status", args: "", help: "Show the mesh as every node sees it: status, leader, term and members per node, and whether all agree (exit 1 when not, but a node alone agrees with itself). Starts from -agent (found by DNS-SD without -url) or, without -agent, from every Agent DNS-SD finds. Use -secret-file for the mesh's DTLS key; CoAP only.",
			own: cmdStatus},
		{name: "secret", args: "[-o FILE]", help: "Mint a mesh secret (32 bytes, hex) for meshd -mesh-secret-file: printed, or written to a new file (-o FILE, mode 0600).",
			flags: outFlags, own: cmdSecret},
		{name: "mint-psk", args: "[-o FILE]", help: "Mint a pre-shared key (16 bytes, hex): printed, or written to a new file (-o FILE, mode 0600). Give the file to meshd -psk-file (with -controller ID=ROLE) and to meshctl -psk-file (with -id ID): the key never appears on a command line or in ps.",
			flags: outFlags, own: cmdMintPSK},
	}
}

func writeFlags(fs *flag.FlagSet, f *cmdFlags) {
	fs.BoolVar(&f.partial, "partial", false, "allow_partial")
	fs.BoolVar(&f.required, "required", true, "mark every parameter required")
}

func outFlags(fs *flag.FlagSet, f *cmdFlags) {
	fs.StringVar(&f.outFile, "o", "", "write the key to this new file (mode 0600) instead of printing it")
	fs.BoolVar(&f.force, "force", false, "with -o, replace an existing file")
}

// pathsError is a request's failure and the paths it was about: a USP
// Error message without param_errs is reported at the request's path
// when there was one.
type pathsError struct {
	paths []string
	err   error
}

func (e *pathsError) Error() string { return e.err.Error() }
func (e *pathsError) Unwrap() error { return e.err }

// about wraps a request's error with its paths (nil stays nil).
func about(err error, paths ...string) error {
	if err == nil {
		return nil
	}
	return &pathsError{paths, err}
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

func cmdGet(ctx context.Context, s *session, f *cmdFlags, args []string, r *report) error {
	resp, err := s.client.Get(ctx, s.to, uint32(f.depth), args...)
	if err != nil {
		return about(err, args...)
	}
	reportGet(r, resp)
	return nil
}

// setObject reads set's arguments: PARAM-PATH VALUE (a path not ending in
// '.', the obuspa form) or OBJECT PARAM=VALUE... .
func setObject(args []string, required bool) (*uspmsg.Set_UpdateObject, error) {
	if len(args) == 2 && !strings.HasSuffix(args[0], ".") {
		i := strings.LastIndex(args[0], ".")
		if i <= 0 || i == len(args[0])-1 {
			return nil, &usageError{fmt.Sprintf("%q: want a parameter path (Device.DeviceInfo.FriendlyName) or an object path ending in '.'", args[0])}
		}
		return &uspmsg.Set_UpdateObject{ObjPath: args[0][:i+1], ParamSettings: []*uspmsg.Set_UpdateParamSetting{
			{Param: args[0][i+1:], Value: args[1], Required: required}}}, nil
	}
	kv, err := pairs(args[1:])
	if err != nil {
		return nil, err
	}
	u := &uspmsg.Set_UpdateObject{ObjPath: args[0]}
	for _, p := range kv {
		u.ParamSettings = append(u.ParamSettings, &uspmsg.Set_UpdateParamSetting{Param: p[0], Value: p[1], Required: required})
	}
	return u, nil
}

func cmdSet(ctx context.Context, s *session, f *cmdFlags, args []string, r *report) error {
	u, err := setObject(args, f.required)
	if err != nil {
		return err
	}
	resp, err := s.client.Set(ctx, s.to, f.partial, u)
	if err != nil {
		return about(err, u.ObjPath)
	}
	reportSet(r, resp)
	return nil
}

func cmdAdd(ctx context.Context, s *session, f *cmdFlags, args []string, r *report) error {
	kv, err := pairs(args[1:])
	if err != nil {
		return err
	}
	c := &uspmsg.Add_CreateObject{ObjPath: args[0]}
	for _, p := range kv {
		c.ParamSettings = append(c.ParamSettings, &uspmsg.Add_CreateParamSetting{Param: p[0], Value: p[1], Required: f.required})
	}
	resp, err := s.client.Add(ctx, s.to, f.partial, c)
	if err != nil {
		return about(err, args[0])
	}
	reportAdd(r, resp)
	return nil
}

func cmdDelete(ctx context.Context, s *session, f *cmdFlags, args []string, r *report) error {
	resp, err := s.client.Delete(ctx, s.to, f.partial, args...)
	if err != nil {
		return about(err, args...)
	}
	reportDelete(r, resp)
	return nil
}

func cmdOperate(ctx context.Context, s *session, f *cmdFlags, args []string, r *report) error {
	kv, err := pairs(args[1:])
	if err != nil {
		return err
	}
	in := map[string]string{}
	for _, p := range kv {
		in[p[0]] = p[1]
	}
	if f.noResp {
		return about(s.client.Send(ctx, s.to, &uspmsg.Request{ReqType: &uspmsg.Request_Operate{Operate: &uspmsg.Operate{
			Command: args[0], CommandKey: f.key, InputArgs: in}}}), args[0])
	}
	resp, err := s.client.Operate(ctx, s.to, args[0], f.key, in)
	if err != nil {
		return about(err, args[0])
	}
	reportOperate(r, resp)
	return nil
}

func cmdInstances(ctx context.Context, s *session, f *cmdFlags, args []string, r *report) error {
	resp, err := s.client.GetInstances(ctx, s.to, f.firstLevel, args...)
	if err != nil {
		return about(err, args...)
	}
	reportInstances(r, resp)
	return nil
}

func cmdSupported(ctx context.Context, s *session, f *cmdFlags, args []string, r *report) error {
	resp, err := s.client.GetSupportedDM(ctx, s.to, &uspmsg.GetSupportedDM{ObjPaths: args, FirstLevelOnly: f.firstLevel,
		ReturnParams: f.all, ReturnCommands: f.all, ReturnEvents: f.all, ReturnUniqueKeySets: f.all})
	if err != nil {
		return about(err, args...)
	}
	reportSupported(r, resp)
	return nil
}

func cmdProto(ctx context.Context, s *session, _ *cmdFlags, _ []string, r *report) error {
	v, err := s.client.GetSupportedProtocol(ctx, s.to)
	if err != nil {
		return err
	}
	r.add(versions{strings.Split(v, ",")})
	return nil
}

func cmdSubscribe(ctx context.Context, s *session, f *cmdFlags, args []string, r *report) error {
	row, id, err := s.client.Subscribe(ctx, s.to, usp.Subscription{NotifType: args[0], ReferenceList: args[1:], Retry: f.retry})
	if err != nil {
		return err
	}
	r.add(subscribed{row, id})
	if err := r.flush(); err != nil {
		return err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.timeout)
		defer cancel()
		s.client.Delete(dctx, s.to, true, row)
	}()
	var stop <-chan time.Time
	if f.duration > 0 {
		t := time.NewTimer(f.duration)
		defer t.Stop()
		stop = t.C
	}
	for {
		select {
		case n := <-s.notify:
			r.add(noticeOf(n.n))
			if err := r.flush(); err != nil {
				return err
			}
		case <-stop:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// cmdSecret mints a mesh secret.
func cmdSecret(_ context.Context, _ options, f *cmdFlags, _ []string, r *report) error {
	s, err := meshkey.MintSecret()
	if err != nil {
		return err
	}
	if f.outFile != "" {
		if err := writeKeyFile(f.outFile, s, f.force); err != nil {
			return err
		}
		r.add(minted{Path: f.outFile})
		return nil
	}
	r.add(minted{Secret: s})
	return nil
}

// cmdMintPSK mints a 16-byte pre-shared key.
func cmdMintPSK(_ context.Context, _ options, f *cmdFlags, _ []string, r *report) error {
	k := randomHex(16)
	if f.outFile != "" {
		if err := writeKeyFile(f.outFile, k, f.force); err != nil {
			return err
		}
		r.add(minted{Path: f.outFile})
		return nil
	}
	r.add(minted{PSK: k})
	return nil
}

// writeKeyFile writes key (and a newline) to a new file, mode 0600; an
// existing file is an error unless force, which replaces it.
func writeKeyFile(name, key string, force bool) error {
	if force {
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("-o %s: %w", name, err)
		}
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("-o %s: the file exists (give -force to replace it)", name)
	}
	if err != nil {
		return fmt.Errorf("-o %s: %w", name, err)
	}
	_, err = fmt.Fprintln(f, key)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("-o %s: %w", name, err)
	}
	return nil
}
