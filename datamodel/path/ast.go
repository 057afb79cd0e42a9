// Package path parses and prints USP path names (TR-369 §"Path Names"):
// object, row, parameter, command and event paths, search expressions,
// unique-key addressing, reference following and supported-data-model
// ({i}) paths.
//
// Data enters as a string through Parse or ParseSupported and leaves as a
// *Path, a small syntax tree that the data-model engine resolves against its
// schema and instances. A *Path prints back in canonical form with String.
// The parser knows nothing of any schema: whether a name exists, or whether a
// bracket expression is a unique key or a search, is the engine's business.
// Invalid syntax is a *SyntaxError, which USP maps to error 7008.
package path

// Kind says what a whole path names.
type Kind uint8

// Path kinds.
const (
	// Object is an object or row path; it ends with '.'.
	Object Kind = iota + 1
	// Param is a parameter path: an object path followed by a name.
	Param
	// Command is a command path: an object path followed by "Name()".
	Command
	// Event is an event path: an object path followed by "Name!".
	Event
)

// SegKind says what one dot-separated segment of an object path is.
type SegKind uint8

// Segment kinds.
const (
	// Name is a plain object name such as "WiFi" or "SSID".
	Name SegKind = iota + 1
	// Instance is a positive instance number of the preceding table.
	Instance
	// Wildcard is "*": every existing row of the preceding table.
	Wildcard
	// Filter is "[expr]": a search expression or unique-key address over
	// the rows of the preceding table.
	Filter
	// Placeholder is "{i}", the row placeholder of supported-DM paths.
	Placeholder
	// Reference is "Name+", "Name#n+" or "Name#*+": follow the reference
	// parameter Name of the current object to the object it names.
	Reference
)

// RefAll is the Segment.RefIndex of "Name#*+": follow every reference in a
// list-valued reference parameter.
const RefAll = -1

// Segment is one element of an object path.
type Segment struct {
	// Kind is what this segment is.
	Kind SegKind
	// Name is the object name (Name) or the reference parameter's name
	// (Reference).
	Name string
	// Instance is the instance number of an Instance segment (≥ 1).
	Instance uint32
	// RefIndex applies to Reference segments: 0 for a plain "+", n ≥ 1 for
	// "#n+" (1-based), RefAll for "#*+".
	RefIndex int
	// Filter holds the conditions of a Filter segment, joined by "&&".
	Filter []Condition
}

// Op is a comparison operator of a search expression.
type Op uint8

// Comparison operators.
const (
	Eq       Op = iota + 1 // ==
	Ne                     // !=
	Contains               // ~= (list contains element)
	Lt                     // <
	Gt                     // >
	Le                     // <=
	Ge                     // >=
)

// Condition is one "rel OP value" component of a search expression.
type Condition struct {
	// Rel is the relative parameter path compared: Name and Reference
	// segments; the last one is always a Name, the parameter itself.
	// "Stats.ErrorsSent" is [Name Stats, Name ErrorsSent];
	// "SSIDReference+.SSID" is [Reference SSIDReference, Name SSID].
	Rel []Segment
	// Op is the comparison operator.
	Op Op
	// Value is the constant compared against, with %22 and %25 escapes
	// decoded and without quotes.
	Value string
	// Quoted is true when the constant was written as a quoted string.
	Quoted bool
}

// Path is a parsed USP path.
type Path struct {
	// Segs is the object part of the path, from the root ("Device") on.
	Segs []Segment
	// Leaf is the parameter, command or event name (without "()" or "!");
	// empty for an Object path.
	Leaf string
	// Kind is what the whole path names.
	Kind Kind
}
