package steer

import (
	"fmt"
	"math"
	"net"
)

// InputError says why one row of the Input was ignored.
type InputError struct {
	Kind   string // "bss", "client", "observation" or "response"
	ID     string // the row's BSSID or MAC as given
	Reason string
}

// Error implements error.
func (e *InputError) Error() string {
	return fmt.Sprintf("steer: %s %q ignored: %s", e.Kind, e.ID, e.Reason)
}

func problem(kind, id, format string, args ...any) error {
	return &InputError{Kind: kind, ID: id, Reason: fmt.Sprintf(format, args...)}
}

// normMAC returns an EUI-48 in lower-case colon form.
func normMAC(s string) (string, bool) {
	if len(s) != 17 {
		return "", false
	}
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return "", false
	}
	return hw.String(), true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// validSignal reports whether a signal is usable in principle (a dBm
// value a Wi-Fi receiver can report and a non-negative age).
func validSignal(s Signal) bool {
	return finite(s.DBm) && s.DBm >= -120 && s.DBm <= 0 && s.Age >= 0
}

// checkBSS returns why b is malformed, or "".
func checkBSS(b BSS) string {
	switch {
	case !b.Band.valid():
		return fmt.Sprintf("band %d", int(b.Band))
	case b.WidthMHz != 20 && b.WidthMHz != 40 && b.WidthMHz != 80 && b.WidthMHz != 160:
		return fmt.Sprintf("width %d MHz", b.WidthMHz)
	case !finite(b.Load) || b.Load < 0 || b.Load > 1:
		return fmt.Sprintf("load %v not in [0, 1]", b.Load)
	case b.Clients < 0 || b.Active < 0 || b.Active > b.Clients:
		return fmt.Sprintf("clients %d, active %d", b.Clients, b.Active)
	case b.Streams < 0 || b.Streams > 8:
		return fmt.Sprintf("streams %d", b.Streams)
	case b.Standard < UnknownStandard || b.Standard > HE:
		return fmt.Sprintf("standard %d", int(b.Standard))
	case !finite(b.BackhaulMbps) || b.BackhaulMbps < 0:
		return fmt.Sprintf("backhaul %v Mb/s", b.BackhaulMbps)
	}
	return ""
}

// checkClient returns why c is malformed (apart from its MAC and BSSID),
// or "".
func checkClient(c Client) string {
	switch {
	case !validSignal(c.Signal):
		return fmt.Sprintf("signal %v dBm, age %v", c.Signal.DBm, c.Signal.Age)
	case !finite(c.Airtime) || c.Airtime < 0 || c.Airtime > 1:
		return fmt.Sprintf("airtime %v not in [0, 1]", c.Airtime)
	case c.ConnectedFor < 0:
		return fmt.Sprintf("connected for %v", c.ConnectedFor)
	case c.Caps.Streams < 0 || c.Caps.Streams > 8:
		return fmt.Sprintf("streams %d", c.Caps.Streams)
	case c.Caps.Standard < UnknownStandard || c.Caps.Standard > HE:
		return fmt.Sprintf("standard %d", int(c.Caps.Standard))
	case c.Caps.MaxWidthMHz < 0:
		return fmt.Sprintf("max width %d MHz", c.Caps.MaxWidthMHz)
	}
	return ""
}
