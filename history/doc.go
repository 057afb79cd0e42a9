// Package history is a node's short memory of its own Wi-Fi: a bounded,
// compact record of what finding an intermittent problem needs, kept in
// memory and, at a low write rate, on flash.
//
// Data enters as a Sample (per radio: channel, busy and own airtime,
// noise, client count; per client: RSSI, rates, retry share) taken every
// few seconds, and as Events (leader changes, channel switches, radar,
// nodes lost and found). It leaves as Records from Query, by time range
// and kind, oldest first.
//
// # Compact records
//
// Values are quantised: percentages and channels as one byte, RSSI and
// noise as int8 dBm, rates as a logarithmic one-byte code (3.5 % steps,
// up to about 6.9 Gb/s), times as whole Unix seconds. Each sample is one
// frame holding all its radio and client records (7 bytes each), so the
// time is stored once per sample. Radio names, client MACs and event
// subjects are written once per chunk into a dictionary ("define" frames)
// and referred to by a two-byte index. A sample of 5 radios and 20
// clients is 188 bytes with its framing; a day of them at the default
// 10 s period is 1.56 MiB (TestDayFigures and BenchmarkDay measure it).
// Flash at the defaults takes about 11 KiB an hour.
//
// # Memory
//
// The memory ring is a list of chunks of Config.ChunkBytes; each chunk is
// self-contained (its own dictionary). When the ring would exceed
// Config.MemoryBytes, the oldest chunk is dropped whole. Memory held is
// therefore at most MemoryBytes plus one chunk's slack.
//
// # Flash
//
// Flash keeps a thinned copy: one sample per Config.FlashEvery (default
// a minute) and every event. Frames wait in memory and are appended to
// the current segment file when Config.FlushInterval has passed since the
// last write (default 5 min) or Config.FlushBytes are pending, and on
// Close. A segment (seg-<unix seconds>.hst) starts with an 8-byte magic
// and holds frames of
//
//	u16 payload length | payload | u32 CRC-32 (IEEE) of payload
//
// Flash bytes written are the frames appended (Stats.FlashWritten; about
// 11 KiB an hour at the defaults for a 5-radio, 20-client node). On a
// file system that rewrites whole pages, each flush may also rewrite the
// segment's last partial page: at most 12 flushes an hour, 48 KiB with
// 4 KiB pages, so under 64 KiB an hour in all even then.
//
// It is rotated when it reaches Config.SegmentBytes; at most
// Config.MaxSegments are kept. Every start opens a new segment, so a
// segment cut short by a power loss is never appended to. Open reads the
// segments back into the memory ring: a corrupt or truncated segment is
// read up to its last good frame and the rest is skipped with one warning
// naming the file and offset; nothing in a segment can make the decoder
// panic (FuzzDecode).
//
// The package starts no goroutines: the caller adds samples and events,
// and writes happen inside Add when due. Times come from the samples.
package history
