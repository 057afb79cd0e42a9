package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/uspmesh/uspmesh/usp"
)

// jsonHelp documents -json's one shape (printed by "meshctl -help").
const jsonHelp = `With -json every command prints one JSON object per line (JSON Lines):
  {"command": "get", "results": [...], "errors": [{"path": ..., "code": ..., "message": ...}]}
"errors" holds every failure once: the USP path and error code when the
Agent named them ("agent" too when status asked several), else only
"message"; the exit status is the same as without -json (1 when "errors"
is not empty). subscribe prints one such object when subscribed and one per
notification. The results of each command:
  get, set    {"path": "Device.X.Param", "value": "..."} per parameter
  add         {"path": "Device.T.3.", "unique_keys": {...}}
  delete      {"path": "Device.T.3."}
  operate     {"path": "Device.X()", "output_args": {...}} or {"path": ..., "request": "Device.LocalAgent.Request.1."}
  instances   {"path": "Device.T.3.", "unique_keys": {...}}
  supported   {"path": "Device.T.{i}.", "kind": "table read-write", "unique_keys": [[...]], "params": [...], "commands": [...], "events": [...]}
  proto       {"versions": ["1.0", ...]}
  subscribe   {"path": "Device.LocalAgent.Subscription.1.", "id": "..."}, then
              {"subscription_id": ..., "type": "ValueChange", "path": ..., "value": ...} (and the like per notification type)
  bench       {"path": ..., "n": ..., "c": ..., "p50_ms": ..., "p90_ms": ..., "p99_ms": ..., "max_ms": ..., "per_second": ...}
  discover    {"kind": ..., "endpoint_id": ..., "url": ..., "name": ..., "cluster": ..., "encrypt": ..., "gossip": ...}
  status      {"endpoint_id": ..., "url": ..., "status": ..., "leader": ..., "term": ..., "members": [...]}
  secret      {"secret": "..."}; mint-psk {"psk": "..."}, or {"path": FILE} with -o
  history     {"time": ..., "kind": "radio"|"client"|"event", "radio": ..., "rssi": ..., ...} per record
              ("node" too with -home), then {"truncated": true} when older records were left out
  apps        {"kind": "du"|"eu", "path": ..., "name": ..., "id": DUID|EUID, "uuid": ..., "version": ...,
              "status": ..., "requested_state": ..., "fault": ..., "url": ..., "execution_units": ...} per unit
  install, update, uninstall
              {"kind": "du", "path": ..., "name": ..., "uuid": ..., "version": ..., "status": ...,
               "operation": "Install"|"Update"|"Uninstall"}; start, stop the EU as apps shows it
`

// result is one entry of a command's results: it prints itself as text
// and marshals as the entry of "results".
type result interface {
	text(w io.Writer)
}

// pathError is one failure: the USP path and error code the Agent named,
// when it did, and its message.
type pathError struct {
	Agent   string `json:"agent,omitempty"`
	Path    string `json:"path,omitempty"`
	Code    uint32 `json:"code,omitempty"`
	Message string `json:"message"`
}

// text formats a failure inside a response: ERROR CODE NAME: PATH: MSG.
func (e pathError) text() string {
	s := "ERROR"
	if e.Code != 0 {
		s += fmt.Sprintf(" %d %s", e.Code, usp.ErrorCode(e.Code))
	}
	if e.Agent != "" {
		s += ": " + e.Agent
	}
	if e.Path != "" {
		s += ": " + e.Path
	}
	return s + ": " + e.Message
}

// item is a result or a failure, in the order the Agent gave them.
type item struct {
	res result
	err *pathError
}

// report collects a command's results and failures and prints them, as
// text or as the one JSON shape (see jsonHelp).
type report struct {
	command string
	json    bool
	out     io.Writer
	items   []item
	// flushed says whether an envelope was written (JSON).
	flushed bool
	// failures counts every failure added, flushed or not.
	failures int
}

// add appends results.
func (r *report) add(rs ...result) {
	for _, res := range rs {
		r.items = append(r.items, item{res: res})
	}
}

// fail appends a failure.
func (r *report) fail(e pathError) {
	r.failures++
	r.items = append(r.items, item{err: &e})
}

// envelope is the JSON shape of every command's output.
type envelope struct {
	Command string      `json:"command"`
	Results []result    `json:"results"`
	Errors  []pathError `json:"errors"`
}

// flush prints what was collected since the last flush: text lines (a
// failure as an ERROR line), or one JSON envelope line. Once an envelope
// was written, an empty flush writes nothing.
func (r *report) flush() error {
	if !r.json {
		for _, it := range r.items {
			if it.err != nil {
				fmt.Fprintln(r.out, it.err.text())
				continue
			}
			it.res.text(r.out)
		}
		r.items = nil
		return nil
	}
	if r.flushed && len(r.items) == 0 {
		return nil
	}
	env := envelope{Command: r.command, Results: []result{}, Errors: []pathError{}}
	for _, it := range r.items {
		if it.err != nil {
			env.Errors = append(env.Errors, *it.err)
			continue
		}
		env.Results = append(env.Results, it.res)
	}
	r.items, r.flushed = nil, true
	b, err := json.Marshal(env)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(r.out, "%s\n", b)
	return err
}

// codes lists the USP error codes of the failures not yet flushed.
func (r *report) codes() []uint32 {
	var cs []uint32
	for _, it := range r.items {
		if it.err != nil && it.err.Code != 0 {
			cs = append(cs, it.err.Code)
		}
	}
	return cs
}

// requestFailure turns a failed request into failures: an Agent's Error
// message gives one per param_errs entry (path and code), or one with its
// own code and the request's path when there was one; any other error (no
// answer, the MTP) one with its message. header is the line text output
// prints before an Error message's param_errs when its own code differs
// from theirs, or "".
func requestFailure(err error, paths []string) (fails []pathError, header string) {
	var re *usp.ResponseError
	if !errors.As(err, &re) {
		return []pathError{{Message: err.Error()}}, ""
	}
	if len(re.ParamErrs) == 0 {
		e := pathError{Code: uint32(re.Code), Message: re.Msg}
		if len(paths) == 1 {
			e.Path = paths[0]
		}
		return []pathError{e}, ""
	}
	same := true
	for _, p := range re.ParamErrs {
		fails = append(fails, pathError{Path: p.Path, Code: uint32(p.Code), Message: p.Msg})
		same = same && p.Code == re.Code
	}
	if same {
		return fails, ""
	}
	return fails, fmt.Sprintf("the Agent refused the request (%d %s):", uint32(re.Code), re.Code)
}
