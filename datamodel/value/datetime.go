package value

import (
	"strings"
	"time"
)

// Limits of the dateTime values accepted: years 0001 to 9999, in Unix seconds.
const (
	minUnix int64 = -62135596800 // 0001-01-01T00:00:00Z, the unknown time
	maxUnix int64 = 253402300799 // 9999-12-31T23:59:59Z
)

// num2 reads the two decimal digits at s[i:i+2]; -1 if they are not digits.
func num2(s string, i int) int {
	a, b := s[i], s[i+1]
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return -1
	}
	return int(a-'0')*10 + int(b-'0')
}

// daysIn returns the number of days of month m (1–12) of year y.
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseDateTime parses YYYY-MM-DDThh:mm:ss[.f+][Z|(+|-)hh:mm]. On failure
// it returns a short reason.
func parseDateTime(s string) (scalar, string) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return scalar{}, "want YYYY-MM-DDThh:mm:ss with an optional fraction and zone"
	}
	hi, lo := num2(s, 0), num2(s, 2)
	mo, d, h, mi, sec := num2(s, 5), num2(s, 8), num2(s, 11), num2(s, 14), num2(s, 17)
	if hi < 0 || lo < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 {
		return scalar{}, "want YYYY-MM-DDThh:mm:ss with an optional fraction and zone"
	}
	y := hi*100 + lo
	switch {
	case y == 0:
		return scalar{}, "year 0000"
	case mo < 1 || mo > 12:
		return scalar{}, "month out of range"
	case d < 1 || d > daysIn(y, mo):
		return scalar{}, "day out of range"
	case h > 23 || mi > 59 || sec > 59:
		return scalar{}, "time of day out of range"
	}
	var v scalar
	rest := s[19:]
	rawFrac := ""
	if rest != "" && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return scalar{}, "empty fraction"
		}
		rawFrac, rest = rest[1:i], rest[i:]
		v.frac = strings.TrimRight(rawFrac, "0")
	}
	off, zoned, reason := parseZone(rest)
	if reason != "" {
		return scalar{}, reason
	}
	// Without a zone a year below 1000 is time since boot (TR-106); later
	// years are taken as UTC.
	v.zoned = zoned || y >= 1000
	v.sec = time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC).Unix() - off
	if v.sec < minUnix || v.sec > maxUnix {
		return scalar{}, "outside years 0001 to 9999 in UTC"
	}
	v.canon = zoned == v.zoned && (rest == "Z" || rest == "") && rawFrac == v.frac
	return v, ""
}

// parseZone parses "", "Z" or (+|-)hh:mm and returns the offset in seconds.
func parseZone(z string) (off int64, zoned bool, reason string) {
	switch {
	case z == "":
		return 0, false, ""
	case z == "Z":
		return 0, true, ""
	case len(z) != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':':
		return 0, false, "bad zone " + quote(z) + ", want Z or ±hh:mm"
	}
	h, m := num2(z, 1), num2(z, 4)
	if h < 0 || m < 0 || m > 59 || h*60+m > 14*60 {
		return 0, false, "zone offset " + quote(z) + " out of range"
	}
	off = int64(h*3600 + m*60)
	if z[0] == '-' {
		off = -off
	}
	return off, true, ""
}

// unknownTime reports whether v is the unknown time 0001-01-01T00:00:00Z.
func (v *scalar) unknownTime() bool {
	return v.zoned && v.sec == minUnix && v.frac == ""
}

func formatDateTime(v *scalar) string {
	t := time.Unix(v.sec, 0).UTC()
	b := make([]byte, 0, 21+len(v.frac))
	b = append4(b, t.Year())
	b = append(b, '-')
	b = append2(b, int(t.Month()))
	b = append(b, '-')
	b = append2(b, t.Day())
	b = append(b, 'T')
	b = append2(b, t.Hour())
	b = append(b, ':')
	b = append2(b, t.Minute())
	b = append(b, ':')
	b = append2(b, t.Second())
	if v.frac != "" {
		b = append(b, '.')
		b = append(b, v.frac...)
	}
	if v.zoned {
		b = append(b, 'Z')
	}
	return string(b)
}

func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

func append4(b []byte, n int) []byte {
	return append2(append2(b, n/100), n%100)
}

// cmpDateTime orders by instant, then fraction; at the same instant a time
// since boot sorts before an absolute time.
func cmpDateTime(a, b *scalar) int {
	switch {
	case a.sec != b.sec:
		if a.sec < b.sec {
			return -1
		}
		return 1
	case a.frac != b.frac:
		return strings.Compare(a.frac, b.frac)
	case a.zoned != b.zoned:
		if b.zoned {
			return -1
		}
		return 1
	}
	return 0
}
