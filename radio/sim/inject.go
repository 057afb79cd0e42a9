package sim

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// injections acts on the files in this node's injection directory, in
// name (time) order, removing each one handled. A channel change that
// must wait for a switch under way stays, with everything after it.
func (b *Backend) injections() {
	dir := filepath.Join(b.air.Dir(), injectDir, b.cfg.Node)
	ents, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			b.log.Warn("injections unreadable", "err", err)
		}
		return
	}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		path := filepath.Join(dir, name)
		if !b.inject(path) {
			return
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			b.log.Warn("injection not removed", "file", path, "err", err)
		}
	}
}

// inject acts on one injection file and reports whether it is done with.
func (b *Backend) inject(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		b.log.Warn("injection unreadable", "file", path, "err", err)
		return true
	}
	in, err := DecodeInjection(data)
	if err != nil {
		b.log.Warn("skipping corrupt injection", "file", path, "err", err)
		return true
	}
	var r *Radio
	for _, x := range b.radios {
		if x.info.Name == in.Radio {
			r = x
		}
	}
	if r == nil {
		b.log.Warn("injection for an unknown radio", "file", path, "radio", in.Radio)
		return true
	}
	switch in.Kind {
	case InjectRadar:
		if !r.radar(in.Channel) {
			b.log.Info("radar on a channel the radio does not use", "radio", in.Radio, "channel", in.Channel)
		}
		return true
	case InjectChannel:
		return r.external(in.Channel, in.Width)
	}
	return true
}

// DecodeInjection decodes and checks an injection file.
func DecodeInjection(data []byte) (Injection, error) {
	var in Injection
	if err := decodeStrict(data, &in); err != nil {
		return Injection{}, err
	}
	switch {
	case in.Kind != InjectRadar && in.Kind != InjectChannel:
		return Injection{}, errors.New("kind: want \"radar\" or \"channel\"")
	case in.Radio == "":
		return Injection{}, errors.New("radio: empty")
	case in.Channel <= 0:
		return Injection{}, errors.New("channel: not positive")
	case in.Width < 0:
		return Injection{}, errors.New("width: negative")
	}
	return in, nil
}
