package path

import "testing"

func TestPredicates(t *testing.T) {
	tests := []struct {
		in               string
		search, hasInsts bool
	}{
		{"Device.WiFi.SSID.1.SSID", false, true},
		{"Device.WiFi.", false, false},
		{"Device.WiFi.SSID.*.", true, false},
		{"Device.X.[A==1].", true, false},
		{"Device.X.1.Ref+.Name", true, true},
	}
	for _, tc := range tests {
		p, err := Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if p.IsSearch() != tc.search || p.HasInstances() != tc.hasInsts {
			t.Errorf("%q: IsSearch %v HasInstances %v", tc.in, p.IsSearch(), p.HasInstances())
		}
	}
}

func TestStrings(t *testing.T) {
	ops := map[Op]string{Eq: "==", Ne: "!=", Contains: "~=", Lt: "<", Gt: ">", Le: "<=", Ge: ">=", 0: "Op(0)", 99: "Op(99)"}
	for op, want := range ops {
		if got := op.String(); got != want {
			t.Errorf("Op(%d).String() = %q, want %q", op, got, want)
		}
	}
	kinds := map[Kind]string{Object: "Object", Param: "Param", Command: "Command", Event: "Event", 0: "Kind(0)"}
	for k, want := range kinds {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
	c := q(Eq, `50% "off"`, ref("Ref", 3), nm("Name"))
	if got, want := c.String(), `Ref#3+.Name=="50%25 %22off%22"`; got != want {
		t.Errorf("Condition.String() = %q, want %q", got, want)
	}
	if got := (*Path)(nil).String(); got != "" {
		t.Errorf("nil Path prints %q", got)
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, v := range []string{"", "plain", "os::00256D-a%41b", `say "hi"`, "100%"} {
		p, err := Parse(`Device.X.[Y==` + Quote(v) + `].`)
		if err != nil {
			t.Fatalf("Quote(%q): %v", v, err)
		}
		if c := p.Segs[len(p.Segs)-1].Filter[0]; c.Value != v || !c.Quoted {
			t.Fatalf("Quote(%q) parsed back as %q", v, c.Value)
		}
	}
}
