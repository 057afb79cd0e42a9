package wifieval

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// OutputError is a malformed line in the judge's output.
type OutputError struct {
	Line int // 1-based; 0 when the output ended early
	Msg  string
}

func (e *OutputError) Error() string {
	if e.Line == 0 {
		return "wifieval: judge output: " + e.Msg
	}
	return fmt.Sprintf("wifieval: judge output line %d: %s", e.Line, e.Msg)
}

// ParseOutput reads the judge's stdout for a scenario of flows flows:
// "flow K MBPS" for K = 0, 1, ..., flows-1 in order, then "end FLOWS";
// blank lines are ignored and nothing may follow. It returns the
// delivered Mbps per flow.
func ParseOutput(r io.Reader, flows int) ([]float64, error) {
	sc := bufio.NewScanner(r)
	out := make([]float64, 0, flows)
	line, ended := 0, false
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		bad := func(format string, args ...any) error {
			return &OutputError{Line: line, Msg: fmt.Sprintf(format, args...)}
		}
		if ended {
			return nil, bad("text after end: %.40q", sc.Text())
		}
		switch {
		case f[0] == "flow" && len(f) == 3:
			k, err := strconv.Atoi(f[1])
			if err != nil || k != len(out) {
				return nil, bad("flow %q out of order, want %d", f[1], len(out))
			}
			if k >= flows {
				return nil, bad("flow %d beyond the %d in the scenario", k, flows)
			}
			v, err := strconv.ParseFloat(f[2], 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return nil, bad("flow %d: bad throughput %q", k, f[2])
			}
			out = append(out, v)
		case f[0] == "end" && len(f) == 2:
			n, err := strconv.Atoi(f[1])
			if err != nil || n != flows || len(out) != flows {
				return nil, bad("end %q after %d flows, want %d", f[1], len(out), flows)
			}
			ended = true
		default:
			return nil, bad("unexpected %.40q", sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("wifieval: reading judge output: %w", err)
	}
	if !ended {
		return nil, &OutputError{Msg: fmt.Sprintf("no end line after %d of %d flows", len(out), flows)}
	}
	return out, nil
}
