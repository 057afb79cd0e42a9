package main

import (
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// Bulk data commands: "collect" is a collector for demos (an HTTP(S)
// endpoint printing or storing the reports it receives); "bulkdata"
// creates a Device.BulkData profile in one command.

// collectFlags are the flags of collect and bulkdata.
type collectFlags struct {
	listen, dir, cert, key string
	quiet                  bool
	protocol, encoding     string
	format, mqttClient     string
	interval               uint
	retain                 int
	name                   string
	gzip                   bool
}

// bulkDataCommands returns the bulk data commands for the table.
func bulkDataCommands() []command {
	var cf collectFlags
	return []command{
		{name: "collect", args: "[-addr ADDR] [-dir DIR]", help: "Act as a bulk data collector: an HTTP endpoint (HTTPS with -tls-cert and -tls-key) that prints each report it receives (POST or PUT, gzip understood) and, with -dir, stores it in a file; until interrupted or -for passes.",
			flags: func(fs *flag.FlagSet, f *cmdFlags) {
				fs.StringVar(&cf.listen, "addr", "127.0.0.1:8080", "address to listen on")
				fs.StringVar(&cf.dir, "dir", "", "store each report in this directory")
				fs.StringVar(&cf.cert, "tls-cert", "", "TLS certificate (PEM): serve HTTPS")
				fs.StringVar(&cf.key, "tls-key", "", "TLS key (PEM)")
				fs.BoolVar(&cf.quiet, "quiet", false, "print one line per report, not its body")
				fs.DurationVar(&f.duration, "for", 0, "stop after this long (0 = until interrupted)")
			},
			own: func(ctx context.Context, _ options, f *cmdFlags, _ []string, r *report) error {
				return runCollect(ctx, cf, f.duration, r)
			}},
		{name: "bulkdata", aliases: []string{"profile"}, args: "TARGET PARAM...", min: 2,
			help: "Create and enable a bulk data profile sending PARAMs (paths, wildcards allowed) to TARGET: an http(s):// collector URL, mqtt:TOPIC (through -mqtt-client), or event (Push! to this Controller).",
			flags: func(fs *flag.FlagSet, f *cmdFlags) {
				fs.StringVar(&cf.encoding, "encoding", "JSON", "JSON or CSV")
				fs.StringVar(&cf.format, "format", "", "JSON ObjectHierarchy|NameValuePair, CSV ParameterPerRow|ParameterPerColumn (default: the Agent's)")
				fs.UintVar(&cf.interval, "interval", 300, "ReportingInterval, seconds")
				fs.IntVar(&cf.retain, "retain", 3, "NumberOfRetainedFailedReports (-1: as many as fit)")
				fs.StringVar(&cf.name, "name", "", "the profile's Name")
				fs.BoolVar(&cf.gzip, "gzip", false, "HTTP: compress with gzip")
				fs.StringVar(&cf.mqttClient, "mqtt-client", "Device.MQTT.Client.1", "MQTT: the Agent's MQTT client row")
			},
			run: func(ctx context.Context, s *session, _ *cmdFlags, args []string, r *report) error {
				return createProfile(ctx, s, cf, args, r)
			}},
	}
}

// maxReport bounds the body collect reads.
const maxReport = 16 << 20

// collected is one report received.
type collected struct {
	Time   string `json:"time"`
	Method string `json:"method"`
	URL    string `json:"url"`
	Format string `json:"format"`
	Type   string `json:"content_type"`
	Bytes  int    `json:"bytes"`
	File   string `json:"file,omitempty"`
	Body   string `json:"body,omitempty"`
}

func (c collected) text(w io.Writer) {
	fmt.Fprintf(w, "%s %s %s %s %d bytes", c.Time, c.Method, c.URL, c.Format, c.Bytes)
	if c.File != "" {
		fmt.Fprintf(w, " -> %s", c.File)
	}
	fmt.Fprintln(w)
	if c.Body != "" {
		fmt.Fprintln(w, strings.TrimRight(c.Body, "\r\n"))
	}
}

// listening says where collect serves.
type listening struct {
	URL string `json:"url"`
}

func (l listening) text(w io.Writer) { fmt.Fprintf(w, "collecting at %s\n", l.URL) }

func runCollect(ctx context.Context, cf collectFlags, d time.Duration, r *report) error {
	if (cf.cert == "") != (cf.key == "") {
		return &usageError{"-tls-cert and -tls-key go together"}
	}
	if cf.dir != "" {
		if err := os.MkdirAll(cf.dir, 0o755); err != nil {
			return err
		}
	}
	l, err := net.Listen("tcp", cf.listen)
	if err != nil {
		return err
	}
	got := make(chan collected, 16)
	srv := &http.Server{Handler: collector(cf, got), ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	errc := make(chan error, 1)
	if cf.cert != "" {
		scheme = "https"
		go func() { errc <- srv.ServeTLS(l, cf.cert, cf.key) }()
	} else {
		go func() { errc <- srv.Serve(l) }()
	}
	defer srv.Close()
	r.add(listening{scheme + "://" + l.Addr().String() + "/"})
	if err := r.flush(); err != nil {
		return err
	}
	var stop <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		stop = t.C
	}
	for {
		select {
		case c := <-got:
			r.add(c)
			if err := r.flush(); err != nil {
				return err
			}
		case err := <-errc:
			return err
		case <-stop:
			return finishCollect(srv, got, r)
		case <-ctx.Done():
			return finishCollect(srv, got, r)
		}
	}
}

// collectGrace bounds how long a stopping collect waits for reports
// being uploaded.
const collectGrace = 5 * time.Second

// finishCollect stops taking connections, lets the reports being
// uploaded finish (for up to collectGrace) and prints them: an Agent that
// was answered 204 counts its report as delivered.
func finishCollect(srv *http.Server, got <-chan collected, r *report) error {
	ctx, cancel := context.WithTimeout(context.Background(), collectGrace)
	defer cancel()
	done := make(chan struct{})
	go func() {
		_ = srv.Shutdown(ctx) // on timeout the deferred Close ends the rest
		close(done)
	}()
	for {
		select {
		case c := <-got:
			r.add(c)
		case <-done:
			for {
				select {
				case c := <-got:
					r.add(c)
				default:
					return r.flush()
				}
			}
		}
	}
}

// collector is the HTTP handler of collect: each POST or PUT is a report.
func collector(cf collectFlags, got chan<- collected) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost && req.Method != http.MethodPut {
			http.Error(w, "POST or PUT a report", http.StatusMethodNotAllowed)
			return
		}
		var body io.Reader = http.MaxBytesReader(w, req.Body, maxReport)
		if req.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(body)
			if err != nil {
				http.Error(w, "bad gzip: "+err.Error(), http.StatusBadRequest)
				return
			}
			body = io.LimitReader(zr, maxReport)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c := collected{Time: time.Now().UTC().Format(time.RFC3339), Method: req.Method, URL: req.URL.RequestURI(),
			Format: req.Header.Get("BBF-Report-Format"), Type: req.Header.Get("Content-Type"), Bytes: len(b)}
		if !cf.quiet {
			c.Body = string(b)
		}
		if cf.dir != "" {
			ext := ".json"
			if strings.HasPrefix(c.Type, "text/csv") {
				ext = ".csv"
			}
			c.File = filepath.Join(cf.dir, fmt.Sprintf("%d%s", time.Now().UnixNano(), ext))
			if err := os.WriteFile(c.File, b, 0o644); err != nil {
				http.Error(w, "not stored", http.StatusInternalServerError)
				return
			}
		}
		got <- c
		w.WriteHeader(http.StatusNoContent)
	})
}

// created is a profile bulkdata made.
type created struct {
	Path       string `json:"path"`
	Parameters int    `json:"parameters"`
}

func (c created) text(w io.Writer) {
	fmt.Fprintf(w, "%s enabled with %d parameter(s)\n", c.Path, c.Parameters)
}

// createProfile adds the profile (disabled), its Parameters, then
// enables it, so that the Agent starts it once, whole.
func createProfile(ctx context.Context, s *session, cf collectFlags, args []string, r *report) error {
	target, refs := args[0], args[1:]
	set := [][2]string{{"Enable", "false"}, {"EncodingType", cf.encoding}, {"ReportingInterval", fmt.Sprint(cf.interval)},
		{"NumberOfRetainedFailedReports", fmt.Sprint(cf.retain)}}
	if cf.name != "" {
		set = append(set, [2]string{"Name", cf.name})
	}
	if cf.format != "" {
		set = append(set, [2]string{cf.encoding + "Encoding.ReportFormat", cf.format})
	}
	switch {
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		set = append(set, [2]string{"Protocol", "HTTP"}, [2]string{"HTTP.URL", target})
		if cf.gzip {
			set = append(set, [2]string{"HTTP.Compression", "GZIP"})
		}
	case target == "mqtt:":
		return &usageError{"TARGET mqtt: needs a topic (mqtt:TOPIC)"}
	case strings.HasPrefix(target, "mqtt:"):
		set = append(set, [2]string{"Protocol", "MQTT"}, [2]string{"MQTT.Reference", cf.mqttClient},
			[2]string{"MQTT.PublishTopic", strings.TrimPrefix(target, "mqtt:")})
	case target == "event":
		set = append(set, [2]string{"Protocol", "USPEventNotif"})
	default:
		return &usageError{fmt.Sprintf("TARGET %q: want an http(s):// URL, mqtt:TOPIC or event", target)}
	}
	co := &uspmsg.Add_CreateObject{ObjPath: "Device.BulkData.Profile."}
	for _, kv := range set {
		co.ParamSettings = append(co.ParamSettings, &uspmsg.Add_CreateParamSetting{Param: kv[0], Value: kv[1], Required: true})
	}
	row, err := addOne(ctx, s, co)
	if err != nil {
		return err
	}
	if err := fillProfile(ctx, s, row, refs); err != nil {
		// No half-made profile is left behind: it would stay disabled
		// and count against MaxNumberOfProfiles.
		if _, derr := s.client.Delete(context.WithoutCancel(ctx), s.to, false, row); derr != nil {
			return fmt.Errorf("%w (and %s was not removed: %v)", err, row, derr)
		}
		return err
	}
	r.add(created{Path: row, Parameters: len(refs)})
	return nil
}

// fillProfile adds the Parameter rows of refs to the profile at row and
// enables it.
func fillProfile(ctx context.Context, s *session, row string, refs []string) error {
	for _, ref := range refs {
		if _, err := addOne(ctx, s, &uspmsg.Add_CreateObject{ObjPath: row + "Parameter.",
			ParamSettings: []*uspmsg.Add_CreateParamSetting{{Param: "Reference", Value: ref, Required: true}}}); err != nil {
			return err
		}
	}
	_, err := s.client.Set(ctx, s.to, false, &uspmsg.Set_UpdateObject{ObjPath: row,
		ParamSettings: []*uspmsg.Set_UpdateParamSetting{{Param: "Enable", Value: "true", Required: true}}})
	return about(err, row)
}

// addOne adds one row and returns its path.
func addOne(ctx context.Context, s *session, co *uspmsg.Add_CreateObject) (string, error) {
	resp, err := s.client.Add(ctx, s.to, false, co)
	if err != nil {
		return "", about(err, co.ObjPath)
	}
	res := resp.GetCreatedObjResults()
	if len(res) != 1 {
		return "", about(errors.New("unexpected AddResp"), co.ObjPath)
	}
	if f := res[0].GetOperStatus().GetOperFailure(); f != nil {
		return "", about(fmt.Errorf("%d %s", f.GetErrCode(), f.GetErrMsg()), co.ObjPath)
	}
	return res[0].GetOperStatus().GetOperSuccess().GetInstantiatedPath(), nil
}
