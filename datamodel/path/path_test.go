package path

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// AST builders for the expectations.
func nm(name string) Segment           { return Segment{Kind: Name, Name: name} }
func inst(n uint32) Segment            { return Segment{Kind: Instance, Instance: n} }
func ref(name string, idx int) Segment { return Segment{Kind: Reference, Name: name, RefIndex: idx} }
func flt(c ...Condition) Segment       { return Segment{Kind: Filter, Filter: c} }

var (
	wild = Segment{Kind: Wildcard}
	ph   = Segment{Kind: Placeholder}
)

// q is a condition on a quoted value, u one on an unquoted value.
func q(op Op, v string, rel ...Segment) Condition {
	return Condition{Rel: rel, Op: op, Value: v, Quoted: true}
}

func u(op Op, v string, rel ...Segment) Condition {
	return Condition{Rel: rel, Op: op, Value: v}
}

func obj(segs ...Segment) *Path { return &Path{Segs: segs, Kind: Object} }
func prm(leaf string, segs ...Segment) *Path {
	return &Path{Segs: segs, Leaf: leaf, Kind: Param}
}
func cmd(leaf string, segs ...Segment) *Path {
	return &Path{Segs: segs, Leaf: leaf, Kind: Command}
}
func evt(leaf string, segs ...Segment) *Path {
	return &Path{Segs: segs, Leaf: leaf, Kind: Event}
}

type validCase struct {
	name  string
	in    string
	want  *Path
	canon string // String() of the result; "" means in itself
}

var dev, wifi = nm("Device"), nm("WiFi")

var validCases = []validCase{
	// usp-facts.md §5 examples.
	{"spec/param", "Device.LocalAgent.EndpointID", prm("EndpointID", dev, nm("LocalAgent")), ""},
	{"spec/wildcard", "Device.WiFi.SSID.*.Status", prm("Status", dev, wifi, nm("SSID"), wild), ""},
	{"spec/unique key two params",
		`Device.LocalAgent.Subscription.[ID=="s1"&&Recipient=="Device.LocalAgent.Controller.1"].`,
		obj(dev, nm("LocalAgent"), nm("Subscription"), flt(
			q(Eq, "s1", nm("ID")),
			q(Eq, "Device.LocalAgent.Controller.1", nm("Recipient")))), ""},
	{"spec/bool search", "Device.LocalAgent.Subscription.[Enable==true].ID",
		prm("ID", dev, nm("LocalAgent"), nm("Subscription"), flt(u(Eq, "true", nm("Enable")))), ""},
	{"spec/negative number", "Device.WiFi.AccessPoint.*.AssociatedDevice.[SignalStrength<-70].MACAddress",
		prm("MACAddress", dev, wifi, nm("AccessPoint"), wild, nm("AssociatedDevice"),
			flt(u(Lt, "-70", nm("SignalStrength")))), ""},
	{"spec/string search", `Device.WiFi.Radio.[OperatingFrequencyBand=="5GHz"].Channel`,
		prm("Channel", dev, wifi, nm("Radio"), flt(q(Eq, "5GHz", nm("OperatingFrequencyBand")))), ""},
	{"spec/reference in filter", `Device.WiFi.AccessPoint.[SSIDReference+.SSID=="Home"].AssociatedDevice.*.`,
		obj(dev, wifi, nm("AccessPoint"), flt(q(Eq, "Home", ref("SSIDReference", 0), nm("SSID"))),
			nm("AssociatedDevice"), wild), ""},
	{"spec/list reference", "Device.WiFi.SSID.1.LowerLayers#1+.Name",
		prm("Name", dev, wifi, nm("SSID"), inst(1), ref("LowerLayers", 1)), ""},
	{"spec/command", "Device.WiFi.NeighboringWiFiDiagnostic()", cmd("NeighboringWiFiDiagnostic", dev, wifi), ""},
	{"spec/event", "Device.Boot!", evt("Boot", dev), ""},

	// Object, row and leaf forms.
	{"root object", "Device.", obj(dev), ""},
	{"object", "Device.WiFi.", obj(dev, wifi), ""},
	{"row", "Device.WiFi.SSID.1.", obj(dev, wifi, nm("SSID"), inst(1)), ""},
	{"row param", "Device.WiFi.SSID.1.SSID", prm("SSID", dev, wifi, nm("SSID"), inst(1)), ""},
	{"nested rows", "Device.WiFi.AccessPoint.1.AssociatedDevice.2.Stats.",
		obj(dev, wifi, nm("AccessPoint"), inst(1), nm("AssociatedDevice"), inst(2), nm("Stats")), ""},
	{"max instance", "Device.X.4294967295.", obj(dev, nm("X"), inst(4294967295)), ""},
	{"instance under root", "Device.1.", obj(dev, inst(1)), ""},
	{"wildcard row", "Device.WiFi.SSID.*.", obj(dev, wifi, nm("SSID"), wild), ""},
	{"command on row", "Device.X.1.Reset()", cmd("Reset", dev, nm("X"), inst(1)), ""},
	{"command on wildcard", "Device.X.*.Reset()", cmd("Reset", dev, nm("X"), wild), ""},
	{"event on filter", "Device.X.[A==1].Changed!", evt("Changed", dev, nm("X"), flt(u(Eq, "1", nm("A")))), ""},
	{"vendor name with dash", "Device.X_ACME-COM_Foo.Bar_2", prm("Bar_2", dev, nm("X_ACME-COM_Foo")), ""},
	{"underscore name", "Device._x.y-", prm("y-", dev, nm("_x")), ""},
	{"two filters", `Device.A.[x==1].B.[y=="2"].`,
		obj(dev, nm("A"), flt(u(Eq, "1", nm("x"))), nm("B"), flt(q(Eq, "2", nm("y")))), ""},

	// References.
	{"plain reference", "Device.X.1.Ref+.Name", prm("Name", dev, nm("X"), inst(1), ref("Ref", 0)), ""},
	{"reference all", "Device.X.1.LowerLayers#*+.Name",
		prm("Name", dev, nm("X"), inst(1), ref("LowerLayers", RefAll)), ""},
	{"reference index 12", "Device.X.1.L#12+.", obj(dev, nm("X"), inst(1), ref("L", 12)), ""},
	{"reference ends object path", "Device.X.1.Ref+.", obj(dev, nm("X"), inst(1), ref("Ref", 0)), ""},
	{"reference then sub-object", "Device.X.1.Ref+.Stats.BytesSent",
		prm("BytesSent", dev, nm("X"), inst(1), ref("Ref", 0), nm("Stats")), ""},
	{"reference then table row", "Device.X.1.Ref+.Sub.2.",
		obj(dev, nm("X"), inst(1), ref("Ref", 0), nm("Sub"), inst(2)), ""},
	{"reference then command", "Device.X.Ref+.Reset()", cmd("Reset", dev, nm("X"), ref("Ref", 0)), ""},
	{"reference then event", "Device.X.Ref#2+.Boot!", evt("Boot", dev, nm("X"), ref("Ref", 2)), ""},
	{"chained references", "Device.X.A+.B#*+.C", prm("C", dev, nm("X"), ref("A", 0), ref("B", RefAll)), ""},
	{"filter reference index", `Device.X.[Ref#2+.Name=="x"].`,
		obj(dev, nm("X"), flt(q(Eq, "x", ref("Ref", 2), nm("Name")))), ""},
	{"filter reference all", `Device.X.[Ref#*+.Name=="x"].`,
		obj(dev, nm("X"), flt(q(Eq, "x", ref("Ref", RefAll), nm("Name")))), ""},

	// Operators.
	{"op ==", "Device.X.[A==1].", obj(dev, nm("X"), flt(u(Eq, "1", nm("A")))), ""},
	{"op !=", "Device.X.[A!=1].", obj(dev, nm("X"), flt(u(Ne, "1", nm("A")))), ""},
	{"op ~=", `Device.X.[A~="b"].`, obj(dev, nm("X"), flt(q(Contains, "b", nm("A")))), ""},
	{"op <", "Device.X.[A<1].", obj(dev, nm("X"), flt(u(Lt, "1", nm("A")))), ""},
	{"op >", "Device.X.[A>1].", obj(dev, nm("X"), flt(u(Gt, "1", nm("A")))), ""},
	{"op <=", "Device.X.[A<=1].", obj(dev, nm("X"), flt(u(Le, "1", nm("A")))), ""},
	{"op >=", "Device.X.[A>=1].", obj(dev, nm("X"), flt(u(Ge, "1", nm("A")))), ""},
	{"op < negative", "Device.X.[A<-1].", obj(dev, nm("X"), flt(u(Lt, "-1", nm("A")))), ""},
	{"op <= negative", "Device.X.[A<=-1].", obj(dev, nm("X"), flt(u(Le, "-1", nm("A")))), ""},

	// Relative paths and values.
	{"sub-object rel", "Device.X.[Stats.ErrorsSent>=3].",
		obj(dev, nm("X"), flt(u(Ge, "3", nm("Stats"), nm("ErrorsSent")))), ""},
	{"deep rel", "Device.X.[A.B.C==1].", obj(dev, nm("X"), flt(u(Eq, "1", nm("A"), nm("B"), nm("C")))), ""},
	{"false", "Device.X.[Enable==false].", obj(dev, nm("X"), flt(u(Eq, "false", nm("Enable")))), ""},
	{"zero", "Device.X.[A==0].", obj(dev, nm("X"), flt(u(Eq, "0", nm("A")))), ""},
	{"leading zeros kept", "Device.X.[A==0123].", obj(dev, nm("X"), flt(u(Eq, "0123", nm("A")))), ""},
	{"decimal", "Device.X.[A>1.5].", obj(dev, nm("X"), flt(u(Gt, "1.5", nm("A")))), ""},
	{"negative decimal", "Device.X.[A>-0.25].", obj(dev, nm("X"), flt(u(Gt, "-0.25", nm("A")))), ""},
	{"empty string", `Device.X.[Alias==""].`, obj(dev, nm("X"), flt(q(Eq, "", nm("Alias")))), ""},
	{"string with syntax inside", `Device.X.[N=="a ]. b&&c[*]"].`,
		obj(dev, nm("X"), flt(q(Eq, "a ]. b&&c[*]", nm("N")))), ""},
	{"escapes %22 %25", `Device.X.[N=="a%22b%25c"].`, obj(dev, nm("X"), flt(q(Eq, `a"b%c`, nm("N")))), ""},
	{"escape %41 decoded", `Device.X.[N=="%41%2f%2F"].`,
		obj(dev, nm("X"), flt(q(Eq, "A//", nm("N")))), `Device.X.[N=="A//"].`},
	{"escaped %2522", `Device.X.[N=="%2522"].`, obj(dev, nm("X"), flt(q(Eq, "%22", nm("N")))), ""},
	{"three components", `Device.X.[A==1&&B!="x"&&C.D<=2].`,
		obj(dev, nm("X"), flt(u(Eq, "1", nm("A")), q(Ne, "x", nm("B")), u(Le, "2", nm("C"), nm("D")))), ""},
	{"unique key reversed order", `Device.X.[Recipient=="r"&&ID=="s1"].ID`,
		prm("ID", dev, nm("X"), flt(q(Eq, "r", nm("Recipient")), q(Eq, "s1", nm("ID")))), ""},

	// Whitespace tolerance and canonical printing.
	{"spaces around op", "Device.X.[A == 1].", obj(dev, nm("X"), flt(u(Eq, "1", nm("A")))), "Device.X.[A==1]."},
	{"spaces inside brackets", "Device.X.[  A==1 ].", obj(dev, nm("X"), flt(u(Eq, "1", nm("A")))), "Device.X.[A==1]."},
	{"spaces around &&", `Device.X.[A==1 &&  B=="b"].`,
		obj(dev, nm("X"), flt(u(Eq, "1", nm("A")), q(Eq, "b", nm("B")))), `Device.X.[A==1&&B=="b"].`},
	{"tabs", "Device.X.[\tA\t<=\t-3\t].", obj(dev, nm("X"), flt(u(Le, "-3", nm("A")))), "Device.X.[A<=-3]."},
	{"spaces everywhere allowed", `Device.X.[ Ref#*+.Name ~= "a b" && Stats.N > 0 ].Y`,
		prm("Y", dev, nm("X"), flt(q(Contains, "a b", ref("Ref", RefAll), nm("Name")), u(Gt, "0", nm("Stats"), nm("N")))),
		`Device.X.[Ref#*+.Name~="a b"&&Stats.N>0].Y`},
	{"spaces in string kept", `Device.X.[ N == " x " ].`, obj(dev, nm("X"), flt(q(Eq, " x ", nm("N")))),
		`Device.X.[N==" x "].`},
}

type invalidCase struct {
	name string
	in   string
	pos  int // expected SyntaxError.Pos; -1 to skip the check
}

var invalidCases = []invalidCase{
	// Structure.
	{"empty", "", 0},
	{"dot", ".", 0},
	{"leading dot", ".Device.", 0},
	{"bare name", "Device", 0},
	{"double dot", "Device..WiFi.", 7},
	{"trailing double dot", "Device.WiFi..", 12},
	{"instance after instance", "Device.1.1.", 9},
	{"wildcard after wildcard", "Device.X.*.*.", 11},
	{"wildcard after instance", "Device.X.1.*.", 11},
	{"filter after wildcard", "Device.X.*.[A==1].", 11},
	{"instance first", "1.Device.", 0},
	{"wildcard first", "*.X.", 0},
	{"filter first", "[A==1].", 0},
	{"reference first", "Ref+.X.", 0},
	{"instance after reference", "Device.X.Ref+.1.", 14},
	{"space in path", "Device .X.", 6},
	{"space before name", "Device. X.", 7},
	{"bad name char", "Device.X$.", 8},
	{"name starts with dash", "Device.-X.", 7},
	{"invalid utf-8", "Device.X.\xff.", 9},
	{"non-ascii name", "Device.Wi\u00dfi.", 9},
	{"newline", "Device.\n", 7},
	{"empty command name", "Device.()", 7},

	// Instance numbers.
	{"instance 0", "Device.X.0.", 9},
	{"leading zero", "Device.X.01.", 9},
	{"uint32 overflow", "Device.X.4294967296.", 9},
	{"huge instance", "Device.X.99999999999999999999999999.", 9},
	{"negative instance", "Device.X.-1.", 9},
	{"instance with letters", "Device.X.1a.", 10},
	{"instance without dot", "Device.X.1", 10},
	{"wildcard without dot", "Device.X.*", 10},
	{"filter without dot", "Device.X.[A==1]", 15},
	{"text after filter", "Device.X.[A==1]b.", 15},
	{"space after filter", "Device.X.[A==1] .", 15},
	{"placeholder in Parse", "Device.X.{i}.", 9},

	// Leaves.
	{"dot after command", "Device.Reboot().", 15},
	{"text after command", "Device.Reboot()X", 15},
	{"argument in command", "Device.Reboot(x)", 14},
	{"open paren", "Device.Reboot(", 14},
	{"dot after event", "Device.Boot!.", 12},
	{"double bang", "Device.Boot!!", 12},

	// References.
	{"ref index 0", "Device.X.Ref#0+.Y", 13},
	{"ref index leading zero", "Device.X.Ref#01+.Y", 13},
	{"ref index missing", "Device.X.Ref#+.Y", 13},
	{"ref index overflow", "Device.X.Ref#2147483648+.Y", 13},
	{"ref without plus", "Device.X.Ref#1.Y", 14},
	{"ref at end", "Device.X.Ref+", 13},
	{"ref glued to name", "Device.X.Ref+Y", 13},
	{"ref hash star without plus", "Device.X.Ref#*.", 14},

	// Bracket expressions.
	{"empty brackets", "Device.X.[].", 9},
	{"blank brackets", "Device.X.[ ].", 9},
	{"unterminated bracket", "Device.X.[", 10},
	{"unterminated after value", `Device.X.[A=="x"`, 16},
	{"unterminated after op", "Device.X.[A==", 13},
	{"unterminated string", `Device.X.[A=="x].`, 17},
	{"trailing &&", "Device.X.[A==1&&].", 16},
	{"leading &&", "Device.X.[&&A==1].", 10},
	{"double &&", "Device.X.[A==1&&&&B==2].", 16},
	{"or", "Device.X.[A==1||B==2].", 14},
	{"single &", "Device.X.[A==1&B==2].", 14},
	{"nested brackets", "Device.X.[[A==1]].", 10},
	{"bracket value", "Device.X.[A==[1]].", 13},
	{"braces value", "Device.X.[A=={i}].", 13},
	{"single =", "Device.X.[A=1].", 11},
	{"triple =", "Device.X.[A===1].", 13},
	{"<>", "Device.X.[A<>1].", 12},
	{"=<", "Device.X.[A=<1].", 11},
	{"no operator", "Device.X.[A].", 11},
	{"no rel", "Device.X.[==1].", 10},
	{"space inside op", "Device.X.[A= =1].", 11},
	{"space in rel", "Device.X.[A. B==1].", 12},
	{"space before rel dot", "Device.X.[A .B==1].", 12},
	{"newline in brackets", "Device.X.[A==1\n].", 14},
	{"unquoted string", "Device.X.[A==abc].", 13},
	{"capital True", "Device.X.[A==True].", 13},
	{"truex", "Device.X.[A==truex].", 13},
	{"number with letters", "Device.X.[A==12ab].", 13},
	{"trailing decimal point", "Device.X.[A==1.].", 13},
	{"leading decimal point", "Device.X.[A==.5].", 13},
	{"exponent", "Device.X.[A==1e5].", 13},
	{"double minus", "Device.X.[A==--1].", 13},
	{"plus sign", "Device.X.[A==+1].", 13},
	{"two decimal points", "Device.X.[A==1.2.3].", 16},
	{"two strings", `Device.X.[A=="x""y"].`, 16},
	{"bare percent", `Device.X.[A=="50%"].`, 16},
	{"short escape", `Device.X.[A=="%2"].`, 14},
	{"bad hex escape", `Device.X.[A=="%zz"].`, 14},
	{"instance in rel", "Device.X.[A.1.B==1].", 12},
	{"wildcard in rel", "Device.X.[A.*.B==1].", 12},
	{"rel ends with reference", `Device.X.[A+=="x"].`, 12},
	{"rel ends with dot", "Device.X.[A.==1].", 12},
	{"placeholder in rel", "Device.X.[{i}.A==1].", 10},
	{"value missing", "Device.X.[A==].", 13},
	{"value missing before &&", "Device.X.[A==&&B==1].", 13},
}

func TestParseValid(t *testing.T) {
	for _, tc := range validCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse(%q)\n got %#v\nwant %#v", tc.in, got, tc.want)
			}
			want := tc.canon
			if want == "" {
				want = tc.in
			}
			if s := got.String(); s != want {
				t.Errorf("String() = %q, want %q", s, want)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			checkSyntaxError(t, tc.in, tc.pos, Parse)
		})
	}
}

func checkSyntaxError(t *testing.T, in string, pos int, parse func(string) (*Path, error)) {
	t.Helper()
	p, err := parse(in)
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("parse(%q) = %v, %v; want *SyntaxError", in, p, err)
	}
	if p != nil {
		t.Errorf("parse(%q) returned a path with its error", in)
	}
	if se.Path != in || se.Reason == "" {
		t.Errorf("SyntaxError = %+v", se)
	}
	if pos >= 0 && se.Pos != pos {
		t.Errorf("parse(%q): Pos = %d, want %d (%s)", in, se.Pos, pos, se.Reason)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range validCases {
		t.Run(tc.name, func(t *testing.T) { checkRoundTrip(t, tc.in, Parse) })
	}
	for _, tc := range supportedValidCases {
		t.Run("supported/"+tc.name, func(t *testing.T) { checkRoundTrip(t, tc.in, ParseSupported) })
	}
}

// checkRoundTrip asserts, for an input that parses, that its canonical form
// parses to the same Path and prints identically.
func checkRoundTrip(t *testing.T, in string, parse func(string) (*Path, error)) {
	t.Helper()
	p1, err := parse(in)
	if err != nil {
		return
	}
	s1 := p1.String()
	p2, err := parse(s1)
	if err != nil {
		t.Fatalf("parse(%q) ok, but its String %q fails: %v", in, s1, err)
	}
	if !reflect.DeepEqual(p1, p2) {
		t.Fatalf("parse(%q) = %#v\nparse(%q) = %#v", in, p1, s1, p2)
	}
	if s2 := p2.String(); s2 != s1 {
		t.Fatalf("String not stable: %q then %q", s1, s2)
	}
}

func TestSyntaxError(t *testing.T) {
	_, err := Parse("Device.X.[")
	want := `path: invalid syntax at byte 10 in "Device.X.[": unterminated search expression`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	var coder interface{ USPErrorCode() uint32 }
	if !errors.As(err, &coder) || coder.USPErrorCode() != 7008 {
		t.Errorf("error %v has no USPErrorCode 7008", err)
	}
	long := "Device." + strings.Repeat("X.", 1000) + "$"
	_, err = Parse(long)
	if n := len(err.Error()); n > 400 {
		t.Errorf("error for a long path is %d bytes long", n)
	}
}
