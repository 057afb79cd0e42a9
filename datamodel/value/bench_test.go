package value

import "testing"

func BenchmarkValidateUnsignedIntRange(b *testing.B) {
	c := &Constraint{Ranges: []Range{{Min: "1", Max: "14"}, {Min: "36", Max: "165"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Validate(UnsignedInt, c, "149"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateUnsignedIntRangeLeadingZero(b *testing.B) {
	c := &Constraint{Ranges: []Range{{Min: "1", Max: "14"}, {Min: "36", Max: "165"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Validate(UnsignedInt, c, "0149"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateStringEnum(b *testing.B) {
	c := &Constraint{Enum: []string{"Disabled", "Enabled", "Error_Misconfigured", "Error"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Validate(String, c, "Error"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateDateTime(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Validate(DateTime, nil, "2025-06-01T12:00:00Z"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateList(b *testing.B) {
	c := &Constraint{List: true, Ranges: []Range{{Min: "1", Max: "165"}}, MaxItems: 32}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Validate(UnsignedInt, c, "1,6,11,36,40,44,48,149,153,157,161,165"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompareInt(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(Int, "-70", "-0069"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompareDateTime(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(DateTime, "2025-01-01T00:00:00Z", "2025-01-01T02:00:00+02:00"); err != nil {
			b.Fatal(err)
		}
	}
}
