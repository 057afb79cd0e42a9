package history

import "testing"

// FuzzDecode: no segment makes the decoder panic; whatever decodes
// re-encodes and decodes to the same entries.
func FuzzDecode(f *testing.F) {
	enc := newEncoder()
	seed := append([]byte{}, magic...)
	seed, _ = enc.appendSample(seed, node5x20(t0, 1))
	seed, _ = enc.appendEvent(seed, Event{Time: t0, Kind: EventRadar, Radio: "radio1", Channel: 52, Subject: "x"})
	f.Add(seed)
	f.Add(seed[:len(seed)-5])
	f.Add(magic)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		ens, err := decodeSegment(data)
		if err == nil && len(data) < len(magic) {
			t.Fatal("short data decoded without error")
		}
		e := newEncoder()
		buf := append([]byte{}, magic...)
		for _, en := range ens {
			var err error
			if buf, err = encodeEntry(e, buf, en); err != nil {
				t.Fatalf("re-encode: %v", err)
			}
		}
		again, err := decodeSegment(buf)
		if err != nil || len(again) != len(ens) {
			t.Fatalf("re-decoded %d of %d entries: %v", len(again), len(ens), err)
		}
		for i := range ens {
			if !again[i].time().Equal(ens[i].time()) || (again[i].sample == nil) != (ens[i].sample == nil) {
				t.Fatalf("entry %d changed", i)
			}
		}
	})
}
