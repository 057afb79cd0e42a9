package bulkdata

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/backoff"
	"github.com/uspmesh/uspmesh/datamodel/path"
)

// worker runs one enabled profile: it waits for each collection time
// (or ForceCollection()), collects, encodes and delivers.
type worker struct {
	r      *Runner
	p      Profile
	enc    Encoder
	phase  time.Duration
	force  chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// newWorker checks p and returns its worker, not yet running; the error
// is the profile's status message.
func (r *Runner) newWorker(p Profile) (*worker, error) {
	if p.Interval < r.cfg.MinInterval {
		return nil, fmt.Errorf("ReportingInterval %d is below MinReportingInterval %d", p.Interval/time.Second, r.cfg.MinInterval/time.Second)
	}
	enc, err := NewEncoder(&p)
	if err != nil {
		return nil, err
	}
	if !hasParams(p.Parameters) {
		return nil, errors.New("no Parameter to collect")
	}
	switch p.Protocol {
	case ProtoHTTP:
		if _, err := ReportURL(p.HTTP.URL, r.cfg.Identity, nil); err != nil {
			return nil, err
		}
		if (p.HTTP.Username != "" || p.HTTP.Password != "") && !strings.HasPrefix(p.HTTP.URL, "https:") {
			return nil, errors.New("HTTP.Username and Password need an https:// URL: they would travel in clear")
		}
		if p.HTTP.Method != "POST" && p.HTTP.Method != "PUT" {
			return nil, fmt.Errorf("HTTP.Method %q (POST or PUT)", p.HTTP.Method)
		}
	case ProtoMQTT:
		switch {
		case r.cfg.Publisher == nil:
			return nil, errors.New("MQTT reports are not available on this node (no MQTT client)")
		case p.MQTT.Reference == "":
			return nil, errors.New("MQTT.Reference names no Device.MQTT.Client")
		case p.MQTT.PublishTopic == "":
			return nil, errors.New("MQTT.PublishTopic is empty")
		}
	case ProtoUSPEvent:
		if p.Controller == "" {
			return nil, errors.New("USPEventNotif needs the profile's Controller")
		}
	default:
		return nil, fmt.Errorf("Protocol %q is not supported", p.Protocol)
	}
	ctx, cancel := context.WithCancel(r.ctx)
	return &worker{r: r, p: p, enc: enc, phase: Phase(r.cfg.Identity.EndpointID, p.Row, p.Interval),
		force: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}, nil
}

func hasParams(ps []Parameter) bool {
	for _, p := range ps {
		if !p.Exclude {
			return true
		}
	}
	return false
}

// stop ends the worker and waits for it.
func (w *worker) stop() {
	w.cancel()
	<-w.done
}

func (w *worker) run() {
	defer close(w.done)
	clk := w.r.cfg.Clock
	for {
		now := clk.Now()
		next := NextCollection(now, w.p.TimeReference, w.p.Interval, w.phase)
		deadline := next.Add(w.p.Interval)
		switch w.wait(next.Sub(now), true) {
		case waitCancelled:
			return
		case waitForced:
			deadline = next
		}
		w.collect(deadline)
	}
}

type waitResult int

const (
	waitElapsed waitResult = iota
	waitForced
	waitCancelled
)

// wait waits d on the clock, or for ForceCollection() when forceable.
func (w *worker) wait(d time.Duration, forceable bool) waitResult {
	tick := make(chan struct{}, 1)
	stop := w.r.cfg.Clock.AfterFunc(d, func() { tick <- struct{}{} })
	defer stop()
	force := w.force
	if !forceable {
		force = nil
	}
	select {
	case <-tick:
		return waitElapsed
	case <-force:
		return waitForced
	case <-w.ctx.Done():
		return waitCancelled
	}
}

// collect makes one report and delivers it with the retained ones,
// retrying (HTTP with RetryEnable) until deadline.
func (w *worker) collect(deadline time.Time) {
	r, p := w.r, &w.p
	ctx := w.ctx
	var reader Reader
	if r.cfg.Access != nil {
		var err error
		if reader, err = r.cfg.Access(ctx, p.Controller); err != nil {
			r.setState(p.Row, state{StatusError, "owner: " + err.Error()})
			return
		}
	}
	rep, refErrs, err := Collect(ctx, r.cfg.Model, reader, p.Parameters, r.cfg.Clock.Now())
	if err != nil {
		r.setState(p.Row, state{StatusError, err.Error()})
		return
	}
	q := r.keptFor(p.Row)
	r.mu.Lock()
	q.trim(p.Retain, r.cfg.MaxRetainedBytes)
	reports := q.with(rep)
	r.mu.Unlock()
	body, err := w.enc.Append(nil, reports)
	if err == nil && len(body) > r.cfg.MaxBodyBytes {
		err = fmt.Errorf("report of %d bytes is over the %d-byte limit", len(body), r.cfg.MaxBodyBytes)
	}
	if err == nil {
		err = w.deliver(ctx, reader, body, deadline)
	}
	if ctx.Err() != nil {
		return // stopped: the profile changed or the node closes
	}
	r.mu.Lock()
	if err != nil {
		if p.Protocol != ProtoUSPEvent {
			q.add(rep, p.Retain, r.cfg.MaxRetainedBytes)
			trimTotal(r.kept, r.cfg.MaxRetainedTotal)
		}
		msg := fmt.Sprintf("report of %s not delivered: %v; %d retained", rep.Time.UTC().Format(time.RFC3339), err, len(q.reports))
		r.mu.Unlock()
		r.setState(p.Row, state{StatusError, msg})
		r.log.Info("bulk data report not delivered", "profile", p.Row, "err", err)
		return
	}
	sent := len(reports)
	q.clear()
	r.mu.Unlock()
	st := state{StatusEnabled, fmt.Sprintf("report of %s delivered: %d parameters, %d report(s)",
		rep.Time.UTC().Format(time.RFC3339), len(rep.Items), sent)}
	if len(refErrs) > 0 {
		st = state{StatusError, fmt.Sprintf("%v (%d reference(s) not collected; the rest delivered)", refErrs[0], len(refErrs))}
	}
	r.setState(p.Row, st)
}

// deliver sends body by the profile's protocol.
func (w *worker) deliver(ctx context.Context, reader Reader, body []byte, deadline time.Time) error {
	r, p := w.r, &w.p
	switch p.Protocol {
	case ProtoMQTT:
		actx, cancel := context.WithTimeout(ctx, r.cfg.AttemptTimeout)
		defer cancel()
		return r.cfg.Publisher.Publish(actx, p.MQTT.Reference, p.MQTT.PublishTopic, p.MQTT.PublishQoS, body)
	case ProtoUSPEvent:
		return r.cfg.Model.Raise(ctx, p.Row, "Push", map[string]string{"Data": string(body)})
	}
	u, err := ReportURL(p.HTTP.URL, r.cfg.Identity, w.uriParams(ctx, reader))
	if err != nil {
		return err
	}
	req := &httpRequest{url: u, method: p.HTTP.Method, user: p.HTTP.Username, password: p.HTTP.Password,
		gzip: p.HTTP.Compression == "GZIP", contentType: w.enc.ContentType(), fmt: w.enc.Format(), body: body}
	for attempt := 1; ; attempt++ {
		if p.HTTP.UseDateHeader {
			req.date = r.cfg.Clock.Now()
		}
		actx, cancel := context.WithTimeout(ctx, r.cfg.AttemptTimeout)
		err = req.send(actx, r.cfg.HTTPClient)
		cancel()
		if err == nil || !p.HTTP.RetryEnable || ctx.Err() != nil {
			return err
		}
		m := p.HTTP.RetryMinimumWait
		k := float64(max(p.HTTP.RetryIntervalMultiplier, 1000)) / 1000
		wait := backoff.Wait(m, k, min(attempt, 10), r.cfg.Rand(), 0)
		if !r.cfg.Clock.Now().Add(wait).Before(deadline) {
			return err // the next collection takes over
		}
		r.setState(p.Row, state{StatusError, fmt.Sprintf("attempt %d failed: %v; retrying in %v", attempt, err, wait.Round(time.Second))})
		if w.wait(wait, false) == waitCancelled {
			return ctx.Err()
		}
	}
}

// uriParams reads the RequestURIParameters' values as the owner may.
func (w *worker) uriParams(ctx context.Context, reader Reader) [][2]string {
	var out [][2]string
	for _, up := range w.p.HTTP.URIParameters {
		v := ""
		if p, err := path.Parse(up.Reference); err == nil && p.Kind == path.Param && reader != nil {
			res, err := w.r.cfg.Model.Get(ctx, p, 0, reader.ReadParam)
			if err == nil && len(res) == 1 && len(res[0].Params) == 1 && !res[0].Params[0].Secured {
				v = res[0].Params[0].Value
			}
		}
		name := up.Name
		if name == "" {
			name = up.Reference[strings.LastIndexByte(up.Reference, '.')+1:]
		}
		out = append(out, [2]string{name, v})
	}
	return out
}
