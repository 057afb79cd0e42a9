package election

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"log/slog"

	"github.com/hashicorp/memberlist"
)

// bindAttempts is how many times a free port is looked for when BindPort
// is zero: the kernel picks a free TCP port, and the UDP port of the same
// number may be taken.
const bindAttempts = 10

// listen binds memberlist's UDP and TCP listeners on addr:port. With port
// zero the kernel picks the port; the port actually bound is returned.
//
// Memberlist, given BindPort 0 and no Transport, binds a port itself and
// advertises it; but given a Transport (ours, so that it can be wrapped) it
// advertises AdvertisePort as configured, and resolves port-less join
// addresses with BindPort. So the port is bound here first and both are
// set to it explicitly.
func listen(addr string, port int, logger *log.Logger) (*memberlist.NetTransport, int, error) {
	attempts := 1
	if port == 0 {
		attempts = bindAttempts
	}
	var err error
	for range attempts {
		var nt *memberlist.NetTransport
		nt, err = memberlist.NewNetTransport(&memberlist.NetTransportConfig{
			BindAddrs: []string{addr},
			BindPort:  port,
			Logger:    logger,
		})
		if err == nil {
			return nt, nt.GetAutoBindPort(), nil
		}
	}
	return nil, 0, fmt.Errorf("election: listen on %s port %d: %w", addr, port, err)
}

// slogWriter turns memberlist's log lines ("[WARN] memberlist: ...") into
// slog records at the matching level.
type slogWriter struct {
	log *slog.Logger
}

// newMemberlistLogger returns a *log.Logger for memberlist that writes
// through l.
func newMemberlistLogger(l *slog.Logger) *log.Logger {
	return log.New(slogWriter{log: l}, "", 0)
}

// Write logs one line.
func (w slogWriter) Write(p []byte) (int, error) {
	line := bytes.TrimSpace(p)
	level := slog.LevelInfo
	for _, l := range []struct {
		tag   string
		level slog.Level
	}{
		{"[DEBUG]", slog.LevelDebug},
		{"[INFO]", slog.LevelInfo},
		{"[WARN]", slog.LevelWarn},
		{"[ERR]", slog.LevelError},
		{"[ERROR]", slog.LevelError},
	} {
		if rest, ok := bytes.CutPrefix(line, []byte(l.tag)); ok {
			level, line = l.level, bytes.TrimSpace(rest)
			break
		}
	}
	line = bytes.TrimPrefix(line, []byte("memberlist: "))
	if w.log.Enabled(context.Background(), level) {
		w.log.Log(context.Background(), level, string(line))
	}
	return len(p), nil
}
