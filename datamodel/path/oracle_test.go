package path

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// An independent statement of the grammar as regular expressions, used as
// an oracle: the parser must accept exactly the strings these match.
var (
	reName = `[A-Za-z_][A-Za-z0-9_-]*`
	// reInst is 1..4294967295 without leading zeros.
	reInst = `(?:[1-9][0-9]{0,8}|[1-3][0-9]{9}|4[01][0-9]{8}|42[0-8][0-9]{7}|429[0-3][0-9]{6}|` +
		`4294[0-8][0-9]{5}|42949[0-5][0-9]{4}|429496[0-6][0-9]{3}|4294967[01][0-9]{2}|` +
		`42949672[0-8][0-9]|429496729[0-5])`
	// reRefIdx is 1..2147483647 without leading zeros.
	reRefIdx = `(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|` +
		`2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|` +
		`21474836[0-3][0-9]|214748364[0-7])`
	reRef   = `(?:#(?:` + reRefIdx + `|\*))?\+`
	reWS    = `[ \t]*`
	reRel   = reName + `(?:(?:` + reRef + `)?\.` + reName + `)*`
	reOp    = `(?:==|!=|~=|<=|>=|<|>)`
	reValue = `(?:"(?:[^"%]|%[0-9A-Fa-f]{2})*"|true|false|-?[0-9]+(?:\.[0-9]+)?)`
	reComp  = reRel + reWS + reOp + reWS + reValue
	reExpr  = `\[` + reWS + reComp + `(?:` + reWS + `&&` + reWS + reComp + `)*` + reWS + `\]`
	reLeaf  = `(?:` + reName + `(?:\(\)|!)?)?`

	reSel     = `(?:` + reInst + `|\*|` + reExpr + `)`
	oracleRE  = regexp.MustCompile(`^` + reName + `\.(?:` + reSel + `\.)?(?:` + reName + `\.(?:` + reSel + `\.)?|` + reName + reRef + `\.)*` + reLeaf + `$`)
	reSSel    = `(?:` + reInst + `|\{i\})`
	oracleSRE = regexp.MustCompile(`^` + reName + `\.(?:` + reSSel + `\.)?(?:` + reName + `\.(?:` + reSSel + `\.)?)*` + reLeaf + `$`)
)

// checkOracle asserts that parse accepts s exactly when re matches it.
func checkOracle(t *testing.T, s string, re *regexp.Regexp, parse func(string) (*Path, error)) {
	t.Helper()
	_, err := parse(s)
	if want := re.MatchString(s); want != (err == nil) {
		t.Fatalf("parse(%q): err = %v; the grammar says valid = %v", s, err, want)
	}
}

func TestOracle(t *testing.T) {
	var all []string
	for _, tc := range validCases {
		all = append(all, tc.in)
	}
	for _, tc := range invalidCases {
		all = append(all, tc.in)
	}
	for _, tc := range supportedValidCases {
		all = append(all, tc.in)
	}
	for _, tc := range supportedInvalidCases {
		all = append(all, tc.in)
	}
	all = append(all, "Device.X.4294967295.", "Device.X.R#2147483647+.", strings.Repeat("A.", 1000))
	for _, s := range all {
		checkOracle(t, s, oracleRE, Parse)
		checkOracle(t, s, oracleSRE, ParseSupported)
	}
}

// fragments are the pieces TestOracleRandom builds paths from: enough of
// every token, and of near misses, to reach each rule of the grammar.
var fragments = []string{
	"Device", "WiFi", "X_A-B", "_x", "A", "true", "false", ".", ".", ".", ".",
	"1", "0", "01", "4294967295", "4294967296", "2147483647", "2147483648", "-", "-7", "1.5", "1.",
	"*", "*", "[", "]", "[", "]", "{i}", "{", "}", "(", ")", "()", "!",
	"+", "#", "#1+", "#*+", "#0+", "==", "!=", "~=", "<", ">", "<=", ">=", "=", "&&", "&", "||",
	`"`, `"x"`, `"a%22b%25"`, "%", "%4", "%41", "%zz", " ", "\t", "\n", "\xff", "é",
}

// TestOracleRandom compares Parse and ParseSupported with the grammar's
// regular expressions on random strings: paths generated from the grammar,
// some then mutated with grammar fragments. Every accepted one must also
// round-trip.
func TestOracleRandom(t *testing.T) {
	n := 100000
	if testing.Short() {
		n = 5000
	}
	g := gen{rng: rand.New(rand.NewPCG(1, 2))}
	var valid, validS, search int
	for range n {
		g.b.Reset()
		g.path()
		s := g.mutate(g.b.String())
		checkOracle(t, s, oracleRE, Parse)
		checkOracle(t, s, oracleSRE, ParseSupported)
		checkRoundTrip(t, s, Parse)
		checkRoundTrip(t, s, ParseSupported)
		if oracleRE.MatchString(s) {
			valid++
			if strings.Contains(s, "[") {
				search++
			}
		}
		if oracleSRE.MatchString(s) {
			validS++
		}
	}
	t.Logf("%d strings: %d valid paths (%d with brackets), %d valid supported-DM paths", n, valid, search, validS)
}

// gen writes random paths that mostly follow the grammar.
type gen struct {
	rng *rand.Rand
	b   strings.Builder
}

func (g *gen) pick(xs ...string) { g.b.WriteString(xs[g.rng.IntN(len(xs))]) }

func (g *gen) path() {
	g.pick("Device", "WiFi", "X_A-B", "_x")
	g.b.WriteByte('.')
	for k := g.rng.IntN(5); k > 0; k-- {
		g.pick("SSID", "AP", "Stats", "Ref", "LowerLayers")
		switch g.rng.IntN(8) {
		case 0:
			g.pick("+", "#1+", "#*+", "#2147483647+")
		case 1, 2:
			g.b.WriteByte('.')
			g.pick("1", "42", "4294967295", "*", "{i}")
		case 3, 4:
			g.b.WriteByte('.')
			g.filter()
		}
		g.b.WriteByte('.')
	}
	switch g.rng.IntN(4) {
	case 1:
		g.pick("Name", "Status")
	case 2:
		g.pick("Reset()", "Boot!")
	}
}

func (g *gen) filter() {
	g.b.WriteByte('[')
	for k := 1 + g.rng.IntN(3); k > 0; k-- {
		g.pick("", " ")
		g.pick("A", "Stats.B", "Ref+.C", "Ref#2+.D.E", "L#*+.F")
		g.pick("", " ", "\t")
		g.pick("==", "!=", "~=", "<", ">", "<=", ">=")
		g.pick("", " ")
		g.pick(`"x"`, `""`, `"a%22b%25c"`, `"%7e ]. [&&"`, "true", "false", "0", "-70", "1.25", "0123")
		g.pick("", " ")
		if k > 1 {
			g.b.WriteString("&&")
		}
	}
	g.b.WriteByte(']')
}

// mutate leaves s alone a third of the time; otherwise it inserts a
// fragment or deletes a byte range at a random place, once or twice.
func (g *gen) mutate(s string) string {
	for k := g.rng.IntN(3); k > 0 && len(s) > 0; k-- {
		i := g.rng.IntN(len(s) + 1)
		if g.rng.IntN(2) == 0 {
			s = s[:i] + fragments[g.rng.IntN(len(fragments))] + s[i:]
		} else {
			j := min(len(s), i+1+g.rng.IntN(3))
			s = s[:i] + s[j:]
		}
	}
	return s
}
