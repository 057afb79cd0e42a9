package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/uspmesh/uspmesh/datamodel"
)

// bootFile carries the cause of a restart the node asked for into the
// next start, which reports it in its Boot! event and removes the file.
const bootFile = "boot.json"

// restartDelay leaves the Operate response time to leave before the
// node closes.
const restartDelay = 500 * time.Millisecond

// bootRecord is bootFile's content: Boot!'s Cause and Reason.
type bootRecord struct {
	Cause  string `json:"cause"`
	Reason string `json:"reason"`
}

// restartCommand returns the handler of Device.Reboot() (factoryReset
// false) or Device.FactoryReset(), or nil without Deps.Restart. It
// records the cause for the next Boot! and asks for the restart once the
// response is on its way; a second request while one is under way fails.
func (n *Node) restartCommand(factoryReset bool) func(context.Context) error {
	if n.deps.Restart == nil {
		return nil
	}
	return func(context.Context) error {
		if !n.restarting.CompareAndSwap(false, true) {
			return errors.New("a reboot or factory reset is already under way")
		}
		rec := bootRecord{Cause: "RemoteReboot", Reason: "Device.Reboot()"}
		if factoryReset {
			rec = bootRecord{Cause: "RemoteFactoryReset", Reason: "Device.FactoryReset()"}
		}
		doc, _ := json.Marshal(rec)
		if err := datamodel.WriteFileAtomic(filepath.Join(n.cfg.StateDir, bootFile), doc, 0o600); err != nil {
			n.restarting.Store(false)
			return fmt.Errorf("record the boot cause: %w", err)
		}
		n.log.Info("restart requested", "cause", rec.Cause)
		n.deps.Clock.AfterFunc(restartDelay, func() { n.deps.Restart(factoryReset) })
		return nil
	}
}

// raiseBoot raises Device.Boot! once the node serves: the cause recorded
// by the command that restarted it, else LocalReboot (a power cycle or a
// service restart).
func (n *Node) raiseBoot(ctx context.Context) {
	name := filepath.Join(n.cfg.StateDir, bootFile)
	rec := bootRecord{Cause: "LocalReboot", Reason: "meshd started"}
	if b, err := os.ReadFile(name); err == nil {
		var r bootRecord
		if json.Unmarshal(b, &r) == nil && r.Cause != "" {
			rec = r
		}
		if err := os.Remove(name); err != nil {
			n.log.Warn("boot cause file", "err", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		n.log.Warn("boot cause file", "err", err)
	}
	args := map[string]string{"CommandKey": "", "Cause": rec.Cause, "Reason": rec.Reason,
		"FirmwareUpdated": "false", "ParameterMap": "{}"}
	if err := n.model.Raise(ctx, "Device.", "Boot", args); err != nil {
		n.log.Warn("Boot! event", "err", err)
	}
}

// historyDir is the history's directory under the state dir.
const historyDir = "history"

// ResetState wipes what a factory reset forgets from a state dir: the
// data model (settings, Controllers and subscriptions added over USP),
// the owner's radio settings (pinned channels, fixed powers),
// the record of configured Controllers, the history (it names the
// home's clients) and the installed applications (<state dir>/swmod;
// meshd calls it after the node closed, which stopped them). The identity (the Endpoint ID),
// the leader-term fence and the election's state stay: a reset device
// keeps its name and must not accept a stale leader.
func ResetState(stateDir string) error {
	for _, f := range []string{"datamodel.json", configuredFile, ownerFile} {
		if err := os.Remove(filepath.Join(stateDir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("factory reset: %w", err)
		}
	}
	for _, d := range []string{historyDir, appsDir} {
		if err := os.RemoveAll(filepath.Join(stateDir, d)); err != nil {
			return fmt.Errorf("factory reset: %w", err)
		}
	}
	return nil
}

// StateDir is the node's state directory.
func (n *Node) StateDir() string { return n.cfg.StateDir }
