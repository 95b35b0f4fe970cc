package system_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/system"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// notInMatrix are the registry's methods that TestEveryRoleAgainstEveryAction
// has no case for yet. Each is a known gap in the contract-level matrix; a
// method leaves this list when it gets a case (the test fails until it does).
// Every method has a case today: a new method gets one rather than a place
// here.
var notInMatrix = []string{}

// TestMatrixCoversTheRegistry enumerates every method of every contract in
// the system registry (the case labels of each contract's Call dispatch,
// each checked against the live contract) and fails for any method that
// neither has a case in TestEveryRoleAgainstEveryAction nor is listed in
// notInMatrix, so that a new method cannot escape the matrix unnoticed.
func TestMatrixCoversTheRegistry(t *testing.T) {
	reg, err := system.Registry()
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, c := range reg.Contracts() {
		ms := dispatched(t, c)
		if len(ms) == 0 {
			t.Errorf("%s: no methods found in its Call dispatch", c.Name())
		}
		for _, m := range ms {
			if err := c.Call(probeCtx{}, m, nil); errors.Is(err, contracts.ErrUnknownMethod) {
				t.Errorf("%s.%s: parsed from the dispatch but the contract does not know it: %v", c.Name(), m, err)
			}
			methods = append(methods, c.Name()+"."+m)
		}
		if err := c.Call(probeCtx{}, "no such method", nil); !errors.Is(err, contracts.ErrUnknownMethod) {
			t.Errorf("%s: an unknown method is not refused as unknown: %v", c.Name(), err)
		}
	}
	covered := matrixCases(t)
	var missing, stale []string
	for _, m := range methods {
		in, listed := covered[m], slices.Contains(notInMatrix, m)
		switch {
		case !in && !listed:
			missing = append(missing, m)
		case in && listed:
			stale = append(stale, m+" (now has a case)")
		}
	}
	for _, m := range notInMatrix {
		if !slices.Contains(methods, m) {
			stale = append(stale, m+" (no such method)")
		}
	}
	for m := range covered {
		if !slices.Contains(methods, m) {
			t.Errorf("the matrix has a case for %s, which the registry does not have", m)
		}
	}
	if len(missing) > 0 {
		t.Errorf("methods with no case in TestEveryRoleAgainstEveryAction: %s", strings.Join(missing, ", "))
	}
	if len(stale) > 0 {
		t.Errorf("notInMatrix is out of date: %s", strings.Join(stale, ", "))
	}
	in := 0
	for _, m := range methods {
		if covered[m] {
			in++
		}
	}
	t.Logf("%d contracts, %d methods: %d in the matrix, %d not yet", len(reg.Contracts()), len(methods), in, len(methods)-in)
}

// dispatched returns the case labels of the switch on the method in c's
// Call, read from its package's source (string literals and the package's
// string constants).
func dispatched(t *testing.T, c contracts.Contract) []string {
	t.Helper()
	pkg := reflect.TypeOf(c).PkgPath()
	const mod = "github.com/almoner/almoner/"
	if !strings.HasPrefix(pkg, mod) {
		t.Fatalf("%s: package %s is outside the module", c.Name(), pkg)
	}
	dir := filepath.Join("..", "..", "..", strings.TrimPrefix(pkg, mod))
	fset := token.NewFileSet()
	files := parseDir(t, fset, dir)
	// A contract's method names may be defined in its vocabulary package
	// (dir/vocab) and named from the contract as vocab.X.
	vocabConsts := stringConsts(parseDir(t, fset, filepath.Join(dir, "vocab")), nil)
	consts := stringConsts(files, vocabConsts)
	var out []string
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || fd.Name.Name != "Call" || fd.Body == nil {
				continue
			}
			for _, st := range fd.Body.List {
				sw, ok := st.(*ast.SwitchStmt)
				if !ok {
					continue
				}
				if id, ok := sw.Tag.(*ast.Ident); !ok || id.Name != "method" {
					continue
				}
				for _, cc := range sw.Body.List {
					for _, e := range cc.(*ast.CaseClause).List {
						switch e := e.(type) {
						case *ast.BasicLit:
							s, _ := strconv.Unquote(e.Value)
							out = append(out, s)
						case *ast.Ident:
							s, ok := consts[e.Name]
							if !ok {
								t.Fatalf("%s: case %s is not a string constant of the package", c.Name(), e.Name)
							}
							out = append(out, s)
						case *ast.SelectorExpr: // vocab.X
							s, ok := vocabConsts[e.Sel.Name]
							if !ok {
								t.Fatalf("%s: case %s is not a string constant of its vocabulary", c.Name(), e.Sel.Name)
							}
							out = append(out, s)
						default:
							t.Fatalf("%s: a case label the test cannot read: %T", c.Name(), e)
						}
					}
				}
			}
		}
	}
	return out
}

// matrixCases returns the "contract.method" each case of
// TestEveryRoleAgainstEveryAction names (the start of its name).
func matrixCases(t *testing.T) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "matrix_test.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		fd, ok := n.(*ast.FuncDecl)
		if !ok || fd.Name.Name != "TestEveryRoleAgainstEveryAction" {
			return true
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok || len(cl.Elts) != 4 {
				return true
			}
			if _, act := cl.Elts[2].(*ast.FuncLit); !act {
				return true
			}
			if lit, ok := cl.Elts[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				name, _, _ := strings.Cut(s, " ")
				out[name] = true
			}
			return true
		})
		return false
	})
	if len(out) == 0 {
		t.Fatal("no cases found in TestEveryRoleAgainstEveryAction")
	}
	return out
}

// probeCtx is a context in which every read finds nothing and every
// authorisation is denied: enough for a contract to say whether it knows a
// method, never to succeed.
type probeCtx struct{}

func (probeCtx) Get(string) ([]byte, bool)               { return nil, false }
func (probeCtx) Set(string, []byte)                      {}
func (probeCtx) Delete(string)                           {}
func (probeCtx) ReadOther(string, string) ([]byte, bool) { return nil, false }
func (probeCtx) Emit(string, ...ledger.Attr)             {}
func (probeCtx) Caller() string                          { return "probe/probe" }
func (probeCtx) TxID() tx.ID                             { return tx.ID{} }
func (probeCtx) ChainID() string                         { return "probe" }
func (probeCtx) Height() uint64                          { return 1 }
func (probeCtx) Time() time.Time                         { return time.Unix(0, 0) }
func (probeCtx) Authorize(contracts.Resource, string) error {
	return contracts.ErrDenied
}
func (probeCtx) As(string) (contracts.Context, error) { return nil, contracts.ErrDenied }

// parseDir parses the non-test Go files of dir (none if dir does not exist).
func parseDir(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// stringConsts maps the names of the string constants declared in files to
// their values: a literal, or vocab.X for an X of vocab.
func stringConsts(files []*ast.File, vocab map[string]string) map[string]string {
	consts := map[string]string{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				switch v := vs.Values[i].(type) {
				case *ast.BasicLit:
					if v.Kind == token.STRING {
						consts[name.Name], _ = strconv.Unquote(v.Value)
					}
				case *ast.SelectorExpr:
					if x, ok := v.X.(*ast.Ident); ok && x.Name == "vocab" {
						if s, ok := vocab[v.Sel.Name]; ok {
							consts[name.Name] = s
						}
					}
				}
			}
			return true
		})
	}
	return consts
}
