package schema

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestOnePolicyPath: no resolver of any GraphQL module asks the policy
// but through Config.Allowed (policy.go), and nothing signs a transaction
// but TxMutation's executor (and the portal's own undelivered-record
// report, records.go): a call of Policy.Allowed or of submit anywhere
// else in graphql/ fails.
func TestOnePolicyPath(t *testing.T) {
	root := filepath.Join("..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if x, ok := fn.X.(*ast.SelectorExpr); ok && x.Sel.Name == "Policy" && fn.Sel.Name == "Allowed" &&
					rel != filepath.Join("schema", "policy.go") {
					t.Errorf("%s: asks the policy directly; use Config.Allowed or Config.Require", fset.Position(call.Pos()))
				}
			case *ast.Ident:
				if fn.Name == "submit" && rel != filepath.Join("schema", "txmutation.go") && rel != filepath.Join("schema", "records.go") {
					t.Errorf("%s: signs and submits outside TxMutation", fset.Position(call.Pos()))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
