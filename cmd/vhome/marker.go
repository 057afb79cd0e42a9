//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// markerDir holds one marker per run, <prefix>.json.
const markerDir = "/run/uspmesh-vhome"

// runMarker records what a run creates, before it creates it, so that
// `vhome clean` can remove it (and nothing else) when the harness died
// without tearing down. Creating the marker (O_EXCL) also reserves the
// prefix.
type runMarker struct {
	Prefix string `json:"prefix"`
	// PID and PIDStart (field 22 of /proc/PID/stat) identify the
	// harness, so that a live run is not cleaned and a reused PID is not
	// taken for one.
	PID      int    `json:"pid"`
	PIDStart string `json:"pid_start"`
	// Namespaces are the run's network namespaces.
	Namespaces []string `json:"namespaces"`
	// RunDir is removed too when RemoveRunDir.
	RunDir       string    `json:"run_dir"`
	RemoveRunDir bool      `json:"remove_run_dir"`
	Created      time.Time `json:"created"`
}

func newMarker(prefix string, namespaces []string, runDir string, removeRunDir bool) runMarker {
	return runMarker{Prefix: prefix, PID: os.Getpid(), PIDStart: procStart(os.Getpid()), Namespaces: namespaces,
		RunDir: runDir, RemoveRunDir: removeRunDir, Created: time.Now().UTC()}
}

// writeMarker creates dir/<prefix>.json; it fails when the prefix is
// taken.
func writeMarker(dir string, m runMarker) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("vhome: marker: %w", err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", fmt.Errorf("vhome: marker: %w", err)
	}
	path := filepath.Join(dir, m.Prefix+".json")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return "", fmt.Errorf("vhome: prefix %s in use? marker: %w", m.Prefix, err)
	}
	_, err = f.Write(append(b, '\n'))
	return path, errors.Join(err, f.Close())
}

func removeMarker(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("vhome: marker: %w", err)
	}
	return nil
}

// owned lists the marker's namespaces that clean may delete: only names
// of the form <prefix>-<something> for a well-formed "uh" prefix.
func (m runMarker) owned() []string {
	if !validPrefix.MatchString(m.Prefix) {
		return nil
	}
	var out []string
	for _, ns := range m.Namespaces {
		if rest, ok := strings.CutPrefix(ns, m.Prefix+"-"); ok && rest != "" && !strings.ContainsAny(rest, "/ ") {
			out = append(out, ns)
		}
	}
	return out
}

// cleanableDir reports whether clean may remove the marker's run dir:
// only a temporary directory vhome made for that run.
func (m runMarker) cleanableDir() bool {
	base := filepath.Base(m.RunDir)
	return m.RemoveRunDir && filepath.Dir(m.RunDir) == filepath.Clean(os.TempDir()) &&
		strings.HasPrefix(base, "vhome-"+m.Prefix+"-")
}

// alive reports whether the run's harness still runs.
func (m runMarker) alive() bool {
	return m.PID > 0 && m.PIDStart != "" && procStart(m.PID) == m.PIDStart
}

// procStart returns the start time of process pid (in clock ticks since
// boot), or "" when there is no such process.
func procStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name (field 2) may hold spaces; fields restart after ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19] // field 22
}

// clean removes the leftovers of dead runs recorded in dir: their
// processes and namespaces, their temporary run dirs, their markers.
// Runs whose harness is alive are skipped unless force.
func clean(ctx context.Context, dir string, force bool, out io.Writer) error {
	paths, err := filepath.Glob(filepath.Join(dir, "uh*.json"))
	if err != nil {
		return fmt.Errorf("vhome: clean: %w", err)
	}
	var errs []error
	for _, path := range paths {
		b, err := os.ReadFile(path)
		var m runMarker
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		if err != nil || filepath.Base(path) != m.Prefix+".json" {
			errs = append(errs, fmt.Errorf("vhome: clean: %s: unreadable or misnamed marker (left alone): %v", path, err))
			continue
		}
		if m.alive() && !force {
			fmt.Fprintf(out, "%s: in use by pid %d (left alone; -force to clean anyway)\n", m.Prefix, m.PID)
			continue
		}
		ns := m.owned()
		if err := destroyNamespaces(ctx, ns); err != nil {
			errs = append(errs, err)
			continue
		}
		if m.cleanableDir() {
			errs = append(errs, os.RemoveAll(m.RunDir))
		}
		errs = append(errs, removeMarker(path))
		fmt.Fprintf(out, "%s: removed namespaces %s\n", m.Prefix, strings.Join(ns, " "))
	}
	if len(paths) == 0 {
		fmt.Fprintln(out, "nothing to clean")
	}
	return errors.Join(errs...)
}
