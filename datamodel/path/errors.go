package path

import "fmt"

// CodeInvalidPathSyntax is the USP error code of every *SyntaxError
// (TR-369 7008, "Invalid path syntax").
const CodeInvalidPathSyntax uint32 = 7008

// maxQuoted bounds how much of an offending path SyntaxError.Error quotes, so
// that a huge request does not produce a huge error message.
const maxQuoted = 256

// SyntaxError reports a path that does not follow the USP path grammar.
type SyntaxError struct {
	// Path is the whole input, as given to Parse or ParseSupported.
	Path string
	// Pos is the 0-based byte offset in Path where the problem was found;
	// len(Path) when the input ended too early.
	Pos int
	// Reason says what is wrong, in a few words.
	Reason string
}

// Error implements error. It quotes at most the first 256 bytes of Path.
func (e *SyntaxError) Error() string {
	p, more := e.Path, ""
	if len(p) > maxQuoted {
		p, more = p[:maxQuoted], "..."
	}
	return fmt.Sprintf("path: invalid syntax at byte %d in %q%s: %s", e.Pos, p, more, e.Reason)
}

// USPErrorCode returns 7008 (Invalid path syntax); the USP layer maps any
// error with this method to its code.
func (e *SyntaxError) USPErrorCode() uint32 { return CodeInvalidPathSyntax }
