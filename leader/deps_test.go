package leader

import (
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the package's place below node: of the module it
// imports only the clock, the planner, USP and the path grammar.
func TestImports(t *testing.T) {
	allowed := []string{"clock", "datamodel/path", "proto/uspmsg", "steer", "usp", "wifiopt"}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), e.Name(), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if rest, ok := strings.CutPrefix(p, "github.com/uspmesh/uspmesh/"); ok && !slices.Contains(allowed, rest) {
				t.Errorf("%s imports %s", e.Name(), p)
			}
		}
	}
}
