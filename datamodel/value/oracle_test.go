package value

import (
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The oracle tests check parsing, canonical forms and ordering against
// independent standard-library implementations on random values.

func TestDateTimeOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func() (string, time.Time) {
		utc := time.Unix(minUnix+r.Int64N(maxUnix-minUnix+1), int64(r.IntN(4))*250_000_000).UTC()
		zone := time.FixedZone("", (r.IntN(57)-28)*15*60) // -14:00 … +14:00
		local := utc.In(zone)
		if local.Year() < 1 || local.Year() > 9999 {
			local = utc
		}
		return local.Format("2006-01-02T15:04:05.999999999Z07:00"), utc
	}
	for range 5000 {
		a, ta := random()
		b, tb := random()
		got, err := Validate(DateTime, nil, a)
		if want := ta.Format("2006-01-02T15:04:05.999999999Z"); err != nil || got != want {
			t.Fatalf("Validate(%q) = %q, %v; want %q", a, got, err, want)
		}
		c, err := Compare(DateTime, got, b)
		if want := ta.Compare(tb); err != nil || c != want {
			t.Fatalf("Compare(%q, %q) = %d, %v; want %d", got, b, c, err, want)
		}
	}
}

func TestIntOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	random := func() (string, int64) {
		n := r.Int64() >> r.IntN(64)
		s := strconv.FormatInt(n, 10)
		if r.IntN(3) == 0 { // non-canonical spelling
			digits := strings.TrimPrefix(s, "-")
			sign := map[bool]string{true: "-", false: "+"}[n < 0]
			s = sign + strings.Repeat("0", r.IntN(3)) + digits
		}
		return s, n
	}
	for range 5000 {
		a, na := random()
		b, nb := random()
		got, err := Validate(Long, nil, a)
		if want := strconv.FormatInt(na, 10); err != nil || got != want {
			t.Fatalf("Validate(%q) = %q, %v; want %q", a, got, err, want)
		}
		c, err := Compare(Long, a, b)
		want := 0
		if na < nb {
			want = -1
		} else if na > nb {
			want = 1
		}
		if err != nil || c != want {
			t.Fatalf("Compare(%q, %q) = %d, %v; want %d", a, b, c, err, want)
		}
	}
}

func TestDecimalOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	random := func() string {
		s := []string{"", "+", "-"}[r.IntN(3)] + digits(r.IntN(4))
		if r.IntN(2) == 0 || s == "" || s == "+" || s == "-" {
			s += "." + digits(1+r.IntN(4))
		}
		return s
	}
	rat := func(s string) *big.Rat {
		x, ok := new(big.Rat).SetString(strings.TrimPrefix(s, "+"))
		if !ok {
			t.Fatalf("big.Rat cannot parse %q", s)
		}
		return x
	}
	for range 5000 {
		a, b := random(), random()
		got, err := Validate(Decimal, nil, a)
		if err != nil || rat(got).Cmp(rat(a)) != 0 {
			t.Fatalf("Validate(%q) = %q, %v", a, got, err)
		}
		c, err := Compare(Decimal, a, b)
		if want := rat(a).Cmp(rat(b)); err != nil || c != want {
			t.Fatalf("Compare(%q, %q) = %d, %v; want %d", a, b, c, err, want)
		}
	}
}
