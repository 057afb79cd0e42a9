package history

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net"
	"time"
)

// Frame payload types.
const (
	frameDefine = 'D' // u16 index, u8 length, bytes
	frameSample = 'S' // u32 time, u8 radios, u8 clients, records
	frameEvent  = 'E' // u32 time, u8 code, u16 radio, u8 channel, u16 subject
)

const (
	frameOverhead = 2 + 4 // length prefix and CRC
	recordBytes   = 7     // one radio or client record in a sample
	noIndex       = 0xFFFF
	maxDict       = noIndex - 1
	maxPerSample  = 255
	maxString     = 255
)

// errDictFull: the chunk or segment's dictionary has no room; the
// caller starts a new one.
var errDictFull = errors.New("history: dictionary full")

// encoder appends frames to one chunk or segment, defining each string
// the first time it is used there.
type encoder struct {
	dict  map[string]uint16
	added []string // defined since mark, for rollback
}

func newEncoder() *encoder { return &encoder{dict: map[string]uint16{}} }

// mark starts a frame that may be rolled back.
func (e *encoder) mark() { e.added = e.added[:0] }

// rollback forgets the definitions since mark.
func (e *encoder) rollback() {
	for _, s := range e.added {
		delete(e.dict, s)
	}
	e.added = e.added[:0]
}

// ref returns the index of s, appending its definition to buf if new.
func (e *encoder) ref(buf []byte, s string) ([]byte, uint16, error) {
	if s == "" {
		return buf, noIndex, nil
	}
	if len(s) > maxString {
		s = s[:maxString]
	}
	if i, ok := e.dict[s]; ok {
		return buf, i, nil
	}
	if len(e.dict) >= maxDict {
		return buf, 0, errDictFull
	}
	i := uint16(len(e.dict))
	e.dict[s] = i
	e.added = append(e.added, s)
	p := make([]byte, 0, 4+len(s))
	p = append(p, frameDefine)
	p = binary.BigEndian.AppendUint16(p, i)
	p = append(p, byte(len(s)))
	p = append(p, s...)
	return appendFrame(buf, p), i, nil
}

// appendFrame appends one framed payload.
func appendFrame(buf, payload []byte) []byte {
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(payload)))
	buf = append(buf, payload...)
	return binary.BigEndian.AppendUint32(buf, crc32.ChecksumIEEE(payload))
}

func unixSeconds(t time.Time) uint32 { return uint32(min(max(t.Unix(), 0), 1<<32-1)) }

// appendSample appends s (and any definitions it needs) to buf. At most
// 255 radios and 255 clients are kept.
func (e *encoder) appendSample(buf []byte, s Sample) ([]byte, error) {
	radios, clients := s.Radios[:min(len(s.Radios), maxPerSample)], s.Clients[:min(len(s.Clients), maxPerSample)]
	p := make([]byte, 0, 7+recordBytes*(len(radios)+len(clients)))
	p = append(p, frameSample)
	p = binary.BigEndian.AppendUint32(p, unixSeconds(s.Time))
	p = append(p, byte(len(radios)), byte(len(clients)))
	ord := map[string]uint8{}
	var err error
	var idx uint16
	for i, r := range radios {
		if buf, idx, err = e.ref(buf, r.Radio); err != nil {
			return buf, err
		}
		ord[r.Radio] = uint8(i)
		p = binary.BigEndian.AppendUint16(p, idx)
		p = append(p, chan8(r.Channel), pct(r.BusyPct), pct(r.OwnPct), dbm8(r.NoiseDBm), count8(r.Clients))
	}
	for _, c := range clients {
		if buf, idx, err = e.ref(buf, string(c.MAC)); err != nil {
			return buf, err
		}
		o, ok := ord[c.Radio]
		if !ok {
			o = 0xFF
		}
		p = append(p, o)
		p = binary.BigEndian.AppendUint16(p, idx)
		p = append(p, dbm8(c.RSSI), rateCode(c.TxRateMbps), rateCode(c.RxRateMbps), pct(c.RetryPct))
	}
	return appendFrame(buf, p), nil
}

// appendEvent appends ev (and its definitions) to buf.
func (e *encoder) appendEvent(buf []byte, ev Event) ([]byte, error) {
	buf, ri, err := e.ref(buf, ev.Radio)
	if err != nil {
		return buf, err
	}
	buf, si, err := e.ref(buf, ev.Subject)
	if err != nil {
		return buf, err
	}
	p := make([]byte, 0, 11)
	p = append(p, frameEvent)
	p = binary.BigEndian.AppendUint32(p, unixSeconds(ev.Time))
	p = append(p, eventCode(ev.Kind))
	p = binary.BigEndian.AppendUint16(p, ri)
	p = append(p, chan8(ev.Channel))
	p = binary.BigEndian.AppendUint16(p, si)
	return appendFrame(buf, p), nil
}

// entry is one decoded sample or event.
type entry struct {
	sample *Sample
	event  *Event
}

func (en entry) time() time.Time {
	if en.sample != nil {
		return en.sample.Time
	}
	return en.event.Time
}

// CorruptError says where a chunk or segment stops making sense.
type CorruptError struct {
	Offset int // of the first frame not decoded
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("history: corrupt at byte %d: %s", e.Offset, e.Reason)
}

// decode reads the frames of data (a chunk, or a segment without its
// magic) and returns the entries up to the first frame that is
// truncated, fails its checksum or does not parse, with a *CorruptError
// for it.
func decode(data []byte) ([]entry, error) {
	var out []entry
	var dict []string
	for off := 0; off < len(data); {
		if len(data)-off < frameOverhead {
			return out, &CorruptError{off, "truncated frame header"}
		}
		n := int(binary.BigEndian.Uint16(data[off:]))
		if len(data)-off < frameOverhead+n {
			return out, &CorruptError{off, "truncated frame"}
		}
		p := data[off+2 : off+2+n]
		if crc32.ChecksumIEEE(p) != binary.BigEndian.Uint32(data[off+2+n:]) {
			return out, &CorruptError{off, "checksum mismatch"}
		}
		en, def, err := decodePayload(p, dict)
		if err != nil {
			return out, &CorruptError{off, err.Error()}
		}
		if def != nil {
			dict = append(dict, *def)
		} else {
			out = append(out, en)
		}
		off += frameOverhead + n
	}
	return out, nil
}

// decodePayload decodes one payload: an entry, or a definition (which
// must be the dictionary's next index).
func decodePayload(p []byte, dict []string) (entry, *string, error) {
	if len(p) == 0 {
		return entry{}, nil, errors.New("empty frame")
	}
	look := func(i uint16) (string, error) {
		switch {
		case i == noIndex:
			return "", nil
		case int(i) < len(dict):
			return dict[i], nil
		}
		return "", fmt.Errorf("undefined index %d", i)
	}
	switch p[0] {
	case frameDefine:
		if len(p) < 4 || len(p) != 4+int(p[3]) {
			return entry{}, nil, errors.New("bad definition length")
		}
		if int(binary.BigEndian.Uint16(p[1:])) != len(dict) {
			return entry{}, nil, errors.New("definition out of order")
		}
		s := string(p[4:])
		return entry{}, &s, nil
	case frameSample:
		return decodeSample(p, look)
	case frameEvent:
		if len(p) != 11 {
			return entry{}, nil, errors.New("bad event length")
		}
		radio, err := look(binary.BigEndian.Uint16(p[6:]))
		if err != nil {
			return entry{}, nil, err
		}
		subj, err := look(binary.BigEndian.Uint16(p[9:]))
		if err != nil {
			return entry{}, nil, err
		}
		return entry{event: &Event{Time: time.Unix(int64(binary.BigEndian.Uint32(p[1:])), 0).UTC(), Kind: eventKind(p[5]),
			Radio: radio, Channel: int(p[8]), Subject: subj}}, nil, nil
	}
	return entry{}, nil, fmt.Errorf("unknown frame type %#x", p[0])
}

func decodeSample(p []byte, look func(uint16) (string, error)) (entry, *string, error) {
	if len(p) < 7 || len(p) != 7+recordBytes*(int(p[5])+int(p[6])) {
		return entry{}, nil, errors.New("bad sample length")
	}
	s := &Sample{Time: time.Unix(int64(binary.BigEndian.Uint32(p[1:])), 0).UTC()}
	nr, nc := int(p[5]), int(p[6])
	r := p[7:]
	for range nr {
		name, err := look(binary.BigEndian.Uint16(r))
		if err != nil {
			return entry{}, nil, err
		}
		s.Radios = append(s.Radios, RadioSample{Radio: name, Channel: int(r[2]), BusyPct: int(r[3]), OwnPct: int(r[4]),
			NoiseDBm: int(int8(r[5])), Clients: int(r[6])})
		r = r[recordBytes:]
	}
	for range nc {
		mac, err := look(binary.BigEndian.Uint16(r[1:]))
		if err != nil {
			return entry{}, nil, err
		}
		radio := ""
		if int(r[0]) < nr {
			radio = s.Radios[r[0]].Radio
		}
		s.Clients = append(s.Clients, ClientSample{Radio: radio, MAC: net.HardwareAddr(mac), RSSI: int(int8(r[3])),
			TxRateMbps: rateMbps(r[4]), RxRateMbps: rateMbps(r[5]), RetryPct: int(r[6])})
		r = r[recordBytes:]
	}
	return entry{sample: s}, nil, nil
}
