package system_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestEventsFromVocabulary: every event a contract emits is named by its
// vocabulary package (contracts/<name>/vocab, or record/delivery), never by
// a string literal at the call, so that the portal's read model, which
// names the same constants, cannot drift from what the contracts write.
func TestEventsFromVocabulary(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "*", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var calls int
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") || strings.Contains(p, "chaintest") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok || len(c.Args) == 0 {
				return true
			}
			if s, ok := c.Fun.(*ast.SelectorExpr); !ok || s.Sel.Name != "Emit" {
				return true
			}
			calls++
			if lit, ok := c.Args[0].(*ast.BasicLit); ok {
				t.Errorf("%s emits %s: name the event in the contract's vocabulary package", p, lit.Value)
			}
			return true
		})
	}
	if calls < 30 {
		t.Fatalf("found %d Emit calls in the contracts: the test no longer sees them", calls)
	}
}
