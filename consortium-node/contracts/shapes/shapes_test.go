package shapes_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	consortium "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	governance "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/shapes"
)

// root is the repository root, from this package's folder.
const root = "../../.."

// contractsUnderTest are the contracts by name: the folder of their
// vocabulary package and of their implementation, and the arguments their
// methods read that another vocabulary defines.
var contractsUnderTest = []struct {
	name, vocab, impl string
	borrowed          []string
}{
	{"donation", "consortium-node/contracts/donation/vocab", "consortium-node/contracts/donation", nil},
	{"claim", "consortium-node/contracts/claim/vocab", "consortium-node/contracts/claim", nil},
	{"record", "consortium-node/contracts/record/vocab", "consortium-node/contracts/record", nil},
	{"consent", "consortium-node/contracts/consent/vocab", "consortium-node/contracts/consent", nil},
	{"identity", "consortium-node/contracts/identity/vocab", "consortium-node/contracts/identity", nil},
	{"consortium", "consortium-node/contracts/consortium/vocab", "consortium-node/contracts/consortium", nil},
	{"governance", "consortium-node/contracts/governance/vocab", "consortium-node/contracts/governance", nodeArgs()},
}

// nodeArgs are a node's arguments (consortium's), as an add_node proposal
// carries them and, prefixed, an add_org proposal.
func nodeArgs() []string {
	var out []string
	for _, a := range consortium.NodeArgs() {
		if a != governance.ArgNodeID {
			out = append(out, a)
		}
		out = append(out, governance.ArgNodePrefix+a)
	}
	return out
}

// consts returns the Arg* and Attr* constants of a vocabulary package: name
// to value.
func consts(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	eachConst(t, dir, func(_ *ast.File, name string, v ast.Expr) {
		if !strings.HasPrefix(name, "Arg") && !strings.HasPrefix(name, "Attr") || strings.HasSuffix(name, "Prefix") {
			return
		}
		if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			out[name], _ = strconv.Unquote(lit.Value)
		}
	})
	return out
}

// eachConst calls fn with every constant of the package in dir that has a
// value, and the file it is in.
func eachConst(t *testing.T, dir string, fn func(f *ast.File, name string, value ast.Expr)) {
	t.Helper()
	for _, f := range parseDir(t, dir) {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						fn(f, n.Name, vs.Values[i])
					}
				}
			}
		}
	}
}

func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, dir))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// TestVocabularyDeclaresItsConstants: a vocabulary's Arg* constants are
// exactly the arguments its Shape's methods read, its Attr* constants
// exactly the attributes its events carry.
func TestVocabularyDeclaresItsConstants(t *testing.T) {
	all := shapes.All()
	for _, c := range contractsUnderTest {
		s, ok := all[c.name]
		if !ok {
			t.Errorf("%s: no Shape in shapes.All", c.name)
			continue
		}
		var args, attrs []string
		for name, v := range consts(t, c.vocab) {
			if strings.HasPrefix(name, "Attr") {
				attrs = append(attrs, v)
			} else {
				args = append(args, v)
			}
		}
		slices.Sort(args)
		slices.Sort(attrs)
		// A method may read another contract's arguments on its behalf
		// (governance's proposals: a node's, consortium's).
		declared := slices.DeleteFunc(s.Args(), func(a string) bool { return slices.Contains(c.borrowed, a) })
		if got := slices.Compact(args); !slices.Equal(got, declared) {
			t.Errorf("%s: Arg constants %v, Shape's methods read %v", c.name, got, declared)
		}
		if got := slices.Compact(attrs); !slices.Equal(got, s.Attrs()) {
			t.Errorf("%s: Attr constants %v, Shape's events carry %v", c.name, got, s.Attrs())
		}
	}
}

// TestContractUsesItsVocabulary: a contract's implementation names every
// argument and attribute its Shape declares through the vocabulary's
// constants (so it reads and writes each), and no other Arg or Attr.
func TestContractUsesItsVocabulary(t *testing.T) {
	for _, c := range contractsUnderTest {
		cs := consts(t, c.vocab)
		used := map[string]bool{}
		for _, f := range parseDir(t, c.impl) {
			alias := importName(f, "github.com/almoner/almoner/"+c.vocab)
			ast.Inspect(f, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == alias {
						if _, ok := cs[sel.Sel.Name]; ok {
							used[sel.Sel.Name] = true
						}
					}
				}
				return true
			})
		}
		for name := range cs {
			if !used[name] {
				t.Errorf("%s: the contract never uses %s (%q): it reads or writes no such name, or spells it itself",
					c.name, name, cs[name])
			}
		}
	}
}

func importName(f *ast.File, path string) string {
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == path {
			if im.Name != nil {
				return im.Name.Name
			}
			return filepath.Base(path)
		}
	}
	return ""
}

// literalCalls are the calls whose string literal arguments are argument
// names or event attributes: reading a call's arguments (tx.Args, the
// contracts' ArgReader, the read model's), building them (tx.String, the
// GraphQL modules' readers) and reading an event's attributes.
var literalCalls = map[string]bool{
	"String": true, "Uint": true, "Int": true, "Bytes": true, "Bool": true, "Strings": true, "Has": true,
	"Str": true, "OptStr": true, "Hash": true, "Attr": true, "arg": true, "a": true,
	// the contracts' and the read model's helpers
	"optArg": true, "codeArg": true, "hashArg": true, "optString": true, "LoadArg": true, "parseAmount": true,
	"findEvent": true, "str": true, "uint": true, "rules": true,
}

// oneArg are the helpers that name an argument only when they take one
// (governance's argument reader; FHIR's field reader takes two).
var oneArg = map[string]bool{"str": true, "uint": true, "rules": true}

// graphqlReaders are the GraphQL modules' argument readers: (GraphQL
// argument, transaction argument, ...).
var graphqlReaders = map[string]bool{"Str": true, "OptStr": true, "Hash": true, "Strings": true}

// TestNoSpelledNames: outside the vocabulary packages, no production code
// spells a declared argument name or event attribute as a string literal
// where it reads or builds a call's arguments or an event's attributes; it
// uses the contract's vocabulary constant, so that the vocabulary is the
// one place they are defined.
func TestNoSpelledNames(t *testing.T) {
	names := map[string]bool{}
	for _, c := range contractsUnderTest {
		for _, v := range consts(t, c.vocab) {
			names[v] = true
		}
	}
	for _, b := range spelled(t, root, names) {
		t.Errorf("%s: spelled out; use the contract vocabulary's constant", b)
	}
}

// spelled returns where production code under dir spells one of names
// where it reads or builds a call's arguments or an event's attributes.
func spelled(t *testing.T, dir string, names map[string]bool) []string {
	t.Helper()
	var bad []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != dir && (n == "node_modules" || n == "vocab" || strings.HasPrefix(n, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				var name, recv string
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					name = fn.Sel.Name
					if id, ok := fn.X.(*ast.Ident); ok {
						recv = id.Name
					}
				case *ast.Ident:
					name = fn.Name
				}
				if !literalCalls[name] || recv == "fs" || recv == "flag" { // a command line flag
					return true
				}
				if oneArg[name] && len(n.Args) != 1 {
					return true
				}
				args := n.Args
				if graphqlReaders[name] && recv != "tx" && len(args) > 1 {
					args = args[1:] // the first is the GraphQL argument's name
				}
				for _, a := range args {
					if s, ok := stringLit(a); ok && names[s] {
						bad = append(bad, fset.Position(a.Pos()).String()+": "+strconv.Quote(s))
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Key" {
					if s, ok := stringLit(n.Value); ok && names[s] {
						bad = append(bad, fset.Position(n.Value.Pos()).String()+": "+strconv.Quote(s))
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return bad
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}
