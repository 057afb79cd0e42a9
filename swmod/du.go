package swmod

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// InstallRequest is InstallDU()'s input.
type InstallRequest struct {
	// URL of the bundle archive; a "#sha256=<hex>" fragment names its checksum.
	URL string
	// SHA256 names the checksum when the URL has no fragment; one of the
	// two is required, and they must agree when both are given.
	SHA256 string
	// UUID identifies the DU for its owner; a random one when empty.
	UUID string
	// Owner is the installing Controller's Endpoint ID.
	Owner string
	// AutoStart starts the EU now and restarts it when it dies.
	AutoStart bool
}

// Install fetches, verifies and unpacks a DU, and records it and its EU
// (Idle, or Active when AutoStart). On failure nothing of it is left on
// disk; the error is a *Fault.
func (e *Env) Install(ctx context.Context, req InstallRequest) (DU, error) {
	e.opMu.Lock()
	defer e.opMu.Unlock()
	start := time.Now()
	du := DU{DUID: newID(), UUID: req.UUID, URL: req.URL, Owner: req.Owner, Status: DUInstalling}
	if du.UUID == "" {
		du.UUID = newUUID()
	}
	e.mu.Lock()
	for _, d := range e.st.DUs {
		if d.UUID == du.UUID && d.Owner == du.Owner {
			e.mu.Unlock()
			f := fault(FaultDuplicate, "DU %s of %q is installed as %s", d.UUID, d.Owner, d.DUID)
			e.emit(Event{Op: OpInstall, DU: du, Start: start, Complete: time.Now(), Fault: f})
			return du, f
		}
	}
	e.mu.Unlock()
	dir, m, sum, used, err := e.fetchUnpack(ctx, req.URL, req.SHA256, 0)
	if err == nil {
		err = e.place(dir, du.DUID, 1)
	}
	if err != nil {
		f := asFault(err)
		du.Status = DUUninstalled
		e.emit(Event{Op: OpInstall, DU: du, Start: start, Complete: time.Now(), Fault: f})
		return du, f
	}
	du.Name, du.Vendor, du.Version, du.SHA256, du.Gen, du.DiskUsed = m.Name, m.Vendor, m.Version, sum, 1, used
	du.Status, du.Resolved = DUInstalled, true
	eu := EU{EUID: newID(), DUID: du.DUID, Name: m.Name, Status: EUIdle, RequestedState: WantIdle,
		AutoStart: req.AutoStart, FaultCode: NoFault, Limits: e.cfg.Limits.min(m.Limits)}
	if req.AutoStart {
		eu.RequestedState = WantActive
	}
	du.EUIDs = []string{eu.EUID}
	e.mu.Lock()
	e.st.DUs = append(e.st.DUs, du)
	e.st.EUs = append(e.st.EUs, eu)
	err = e.save()
	if err != nil {
		e.st.DUs, e.st.EUs = e.st.DUs[:len(e.st.DUs)-1], e.st.EUs[:len(e.st.EUs)-1]
	} else {
		e.startRunner(eu.EUID)
	}
	e.mu.Unlock()
	if err != nil {
		os.RemoveAll(e.path(du.DUID))
		du.Status = DUUninstalled
		f := asFault(err)
		e.emit(Event{Op: OpInstall, DU: du, Start: start, Complete: time.Now(), Fault: f})
		return du, f
	}
	e.log.Info("installed DU", "duid", du.DUID, "name", du.Name, "version", du.Version, "owner", du.Owner)
	e.emit(Event{Op: OpInstall, DU: du, Start: start, Complete: time.Now()})
	return du, nil
}

func asFault(err error) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	return &Fault{Kind: FaultInternal, Err: err}
}

// fetchUnpack downloads and unpacks into a new directory under .tmp,
// removed again on any error. reserved is disk already counted for a DU
// being replaced.
func (e *Env) fetchUnpack(ctx context.Context, rawURL, sha string, reserved int64) (string, Manifest, string, int64, error) {
	src, want, err := splitChecksum(rawURL)
	if err != nil {
		return "", Manifest{}, "", 0, err
	}
	if sha != "" {
		if want != "" && want != sha {
			return "", Manifest{}, "", 0, fault(FaultInvalidRequest, "checksum %s in the URL and %s given differ", want, sha)
		}
		want = sha
	}
	if want == "" {
		return "", Manifest{}, "", 0, fault(FaultChecksum, "no sha256 given (URL fragment #sha256=<hex> or the request)")
	}
	fctx, cancel := context.WithTimeout(ctx, e.cfg.FetchTimeout)
	defer cancel()
	f, got, err := fetch(fctx, e.cfg.HTTPClient, src, e.path(".tmp"), e.cfg.MaxDownload)
	if err != nil {
		return "", Manifest{}, "", 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if got != want {
		return "", Manifest{}, "", 0, fault(FaultChecksum, "sha256 of %s is %s, want %s", src, got, want)
	}
	dir, err := os.MkdirTemp(e.path(".tmp"), "du-*")
	if err != nil {
		return "", Manifest{}, "", 0, diskFault("unpack", err)
	}
	budget := e.cfg.DiskBudget - e.DiskUsed() + reserved
	m, used, err := unpack(f, dir, budget)
	if err != nil {
		os.RemoveAll(dir)
		return "", Manifest{}, "", 0, err
	}
	return dir, m, got, used, nil
}

// place moves an unpacked tree to <duid>/v<gen>.
func (e *Env) place(tmp, duid string, gen int) error {
	if err := os.MkdirAll(e.path(duid), 0o755); err != nil {
		os.RemoveAll(tmp)
		return diskFault("install", err)
	}
	if err := os.Rename(tmp, e.versionDir(duid, gen)); err != nil {
		os.RemoveAll(tmp)
		if gen == 1 {
			os.RemoveAll(e.path(duid))
		}
		return diskFault("install", err)
	}
	return nil
}

func (e *Env) versionDir(duid string, gen int) string {
	return e.path(duid, fmt.Sprintf("v%d", gen))
}

// Update replaces a DU's bundle with the one at rawURL (the DU's own URL
// when empty): the new version is unpacked beside the old, the EU is
// stopped, the DU switched to the new version, the old removed, and the
// EU started again if it was Active. On failure the old version stays.
func (e *Env) Update(ctx context.Context, duid, rawURL, sha string) (DU, error) {
	e.opMu.Lock()
	defer e.opMu.Unlock()
	start := time.Now()
	e.mu.Lock()
	i := e.duIndex(duid)
	if i < 0 {
		e.mu.Unlock()
		return DU{}, fault(FaultUnknownDU, "no DU %q", duid)
	}
	old := e.st.DUs[i]
	if rawURL == "" {
		rawURL = old.URL
	}
	e.st.DUs[i].Status = DUUpdating
	e.save()
	e.mu.Unlock()
	dir, m, sum, used, err := e.fetchUnpack(ctx, rawURL, sha, old.DiskUsed)
	if err == nil && m.Name != old.Name {
		os.RemoveAll(dir)
		err = fault(FaultArchive, "update of %q brings %q", old.Name, m.Name)
	}
	if err == nil {
		err = e.place(dir, duid, old.Gen+1)
	}
	if err != nil {
		e.mu.Lock()
		if i := e.duIndex(duid); i >= 0 {
			e.st.DUs[i].Status = DUInstalled
		}
		e.save()
		e.mu.Unlock()
		f := asFault(err)
		e.emit(Event{Op: OpUpdate, DU: old, Start: start, Complete: time.Now(), Fault: f})
		return old, f
	}
	// Stop the EUs on the old version, switch, and let them start again.
	e.pauseEUs(ctx, old.EUIDs)
	e.mu.Lock()
	i = e.duIndex(duid)
	du := &e.st.DUs[i]
	du.URL, du.Vendor, du.Version, du.SHA256, du.DiskUsed = rawURL, m.Vendor, m.Version, sum, used
	du.Gen, du.Status = old.Gen+1, DUInstalled
	for _, euid := range du.EUIDs {
		if j := e.euIndex(euid); j >= 0 {
			e.st.EUs[j].Limits = e.cfg.Limits.min(m.Limits)
		}
	}
	err = e.save()
	out := *du
	e.mu.Unlock()
	os.RemoveAll(e.versionDir(duid, old.Gen))
	e.resumeEUs(old.EUIDs)
	if err != nil {
		f := asFault(err)
		e.emit(Event{Op: OpUpdate, DU: out, Start: start, Complete: time.Now(), Fault: f})
		return out, f
	}
	e.log.Info("updated DU", "duid", duid, "from", old.Version, "to", out.Version)
	e.emit(Event{Op: OpUpdate, DU: out, Start: start, Complete: time.Now()})
	return out, nil
}

// Uninstall stops a DU's EUs, deletes them and removes the DU's directory.
func (e *Env) Uninstall(ctx context.Context, duid string) error {
	e.opMu.Lock()
	defer e.opMu.Unlock()
	start := time.Now()
	e.mu.Lock()
	i := e.duIndex(duid)
	if i < 0 {
		e.mu.Unlock()
		return fault(FaultUnknownDU, "no DU %q", duid)
	}
	e.st.DUs[i].Status = DUUninstalling
	e.save()
	du := e.st.DUs[i]
	runs := []*runner{}
	for _, euid := range du.EUIDs {
		if r := e.runs[euid]; r != nil {
			runs = append(runs, r)
			delete(e.runs, euid)
		}
	}
	e.mu.Unlock()
	for _, r := range runs {
		r.end()
	}
	e.mu.Lock()
	for _, euid := range du.EUIDs {
		if j := e.euIndex(euid); j >= 0 {
			e.st.EUs = append(e.st.EUs[:j], e.st.EUs[j+1:]...)
		}
		os.RemoveAll(e.path("run", euid))
		os.Remove(e.path("logs", euid+".log"))
	}
	os.RemoveAll(e.path(duid))
	e.st.DUs = append(e.st.DUs[:e.duIndex(duid)], e.st.DUs[e.duIndex(duid)+1:]...)
	err := e.save()
	e.mu.Unlock()
	du.Status = DUUninstalled
	if err != nil {
		f := asFault(err)
		e.emit(Event{Op: OpUninstall, DU: du, Start: start, Complete: time.Now(), Fault: f})
		return f
	}
	e.log.Info("uninstalled DU", "duid", duid, "name", du.Name)
	e.emit(Event{Op: OpUninstall, DU: du, Start: start, Complete: time.Now()})
	return nil
}
