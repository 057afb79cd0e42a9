// Package value is the TR-106/TR-181 type system of the data model: it
// checks the string values that USP carries against a parameter's base type
// and constraints, puts them in canonical form, and compares them the way
// search expressions ("[Channel>=36]", "[Enable==true]") require.
//
// Data enters as strings, exactly as USP carries them (Set/Add values,
// Operate arguments, search-expression constants), together with a Type and
// an optional *Constraint taken from the supported data model. It leaves as
// a canonical string (Validate), an ordering (Compare, ListContains) or a
// typed *Error whose Code is the USP error to report: 7011 "Invalid type"
// when the text is not a value of the type at all, 7012 "Invalid value" when
// it is, but the parameter's constraints (range, enumeration, length,
// pattern, list size) exclude it.
//
// # Decisions
//
//   - Integers (int, unsignedInt, long, unsignedLong) accept an optional
//     sign and leading zeros ("+007" → "7", "-0" → "0"). A number outside
//     the type's own domain (int32, uint32, int64, uint64) is 7011, as the
//     reference agent does; a value inside the domain but outside the
//     parameter's Ranges is 7012.
//   - Booleans accept "true", "false", "1", "0" (and, like the reference
//     agent, "TRUE"/"False" in any case); the canonical form is "true" or
//     "false".
//   - decimal follows xsd:decimal: optional sign, digits, optional fraction,
//     no exponent, no NaN/INF. The canonical form has no '+', no leading
//     zeros and no trailing fraction zeros ("+01.50" → "1.5", "2.0" → "2").
//     Decimals compare exactly (on their digits, not as float64).
//   - dateTime is YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm] with a four-digit
//     year 0001–9999. Times with a zone are canonicalised to UTC with a 'Z'
//     ("2025-01-01T02:00:00+02:00" → "2025-01-01T00:00:00Z"), fractions keep
//     their significant digits. Without a zone, TR-106 reads a year below
//     1000 as time since boot: such values stay without zone; a year of 1000
//     or more without zone is taken as UTC and gets a 'Z'. Hour 24 and leap
//     second 60 are rejected. The unknown time is UnknownTime.
//   - base64 is standard, padded base64 (RFC 4648 §4) with zero padding bits;
//     ASCII white space is ignored and dropped from the canonical form.
//     hexBinary needs an even number of hex digits; its canonical form is
//     upper case (the XSD canonical form). MinLength/MaxLength count decoded
//     bytes for both.
//   - Every value must be valid UTF-8 (protobuf strings must be); string
//     lengths count characters (runes), not bytes. Strings are not trimmed.
//   - Lists are comma-separated; spaces, tabs, CR and LF around items are
//     dropped, items are validated one by one, and the canonical form joins
//     the canonical items with ",". An empty (or all-blank) string is the
//     empty list. MaxListLength counts the characters of the canonical list.
//   - Ranges hold their bounds as strings, as TR-181 writes them, and compare
//     them with the type's own exact comparison, so uint64 and decimal bounds
//     are exact. Enum and Pattern apply to the canonical text of each value
//     or list item, for any type.
//   - Validate returns its input string itself when it is already canonical,
//     so the common case does not allocate.
package value
