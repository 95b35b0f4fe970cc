package shapes_test

import (
	"go/ast"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts/shapes"
)

// readers are the portal's packages that dispatch on events and read their
// attributes.
var readers = []string{"portal/readmodel", "portal/donations", "portal/claims", "portal/patients", "portal/governance",
	"portal/inbox"}

// TestReadersReadDeclaredAttributes: where the portal's read model handles an
// event (a case of a switch on the event, or a handler registered for it),
// every attribute it reads there, directly or in the package's functions it
// calls, is one the event carries, as its contract's Shape declares.
func TestReadersReadDeclaredAttributes(t *testing.T) {
	all := shapes.All()
	byDir := map[string]string{} // vocabulary folder -> contract
	for _, c := range contractsUnderTest {
		byDir[c.vocab] = c.name
	}
	checked := 0
	for _, dir := range readers {
		files := parseDir(t, dir)
		funcs := map[string][]*ast.FuncDecl{}
		for _, f := range files {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
					funcs[fd.Name.Name] = append(funcs[fd.Name.Name], fd)
				}
			}
		}
		for _, f := range files {
			aliases := vocabAliases(f, byDir)
			site := func(labels []ast.Node, body []ast.Node, at token.Pos) {
				var events []string // "contract.type"
				for _, l := range labels {
					ast.Inspect(l, func(n ast.Node) bool {
						if sel, ok := n.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "Event") {
							if id, ok := sel.X.(*ast.Ident); ok && aliases[id.Name] != "" {
								dir := aliases[id.Name]
								events = append(events, byDir[dir]+"."+constValue(t, dir, sel.Sel.Name))
							}
						}
						return true
					})
				}
				if len(events) == 0 {
					return
				}
				for _, read := range attrsRead(body, aliases, funcs, byDir, t) {
					ok := false
					for _, ev := range events {
						contract, typ, _ := strings.Cut(ev, ".")
						if contract == read.contract && slices.Contains(all[contract].Events[typ], read.key) {
							ok = true
						}
					}
					checked++
					if !ok {
						t.Errorf("%s: handling %v, reads %s's attribute %q, which none of them carries",
							dir, events, read.contract, read.key)
					}
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CaseClause:
					labels := make([]ast.Node, len(n.List))
					for i, e := range n.List {
						labels[i] = e
					}
					body := make([]ast.Node, len(n.Body))
					for i, s := range n.Body {
						body[i] = s
					}
					site(labels, body, n.Pos())
				case *ast.KeyValueExpr:
					site([]ast.Node{n.Key}, []ast.Node{n.Value}, n.Pos())
				}
				return true
			})
		}
	}
	if checked == 0 {
		t.Fatal("no attribute read found: the test no longer sees the read model's handlers")
	}
}

type attrRead struct{ contract, key string }

// attrsRead returns the vocabulary attributes read under nodes, following
// calls to the package's own functions and methods (by name).
func attrsRead(nodes []ast.Node, aliases map[string]string, funcs map[string][]*ast.FuncDecl, byDir map[string]string,
	t *testing.T) []attrRead {
	var out []attrRead
	seen := map[*ast.FuncDecl]bool{}
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok && aliases[id.Name] != "" && strings.HasPrefix(n.Sel.Name, "Attr") {
					dir := aliases[id.Name]
					out = append(out, attrRead{byDir[dir], constValue(t, dir, n.Sel.Name)})
				}
			case *ast.CallExpr:
				var name string
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					if id, ok := fn.X.(*ast.Ident); !ok || aliases[id.Name] == "" {
						name = fn.Sel.Name
					}
				}
				for _, fd := range funcs[name] {
					if !seen[fd] {
						seen[fd] = true
						walk(fd.Body)
					}
				}
			}
			return true
		})
	}
	for _, n := range nodes {
		walk(n)
	}
	return out
}

// vocabAliases maps the names f imports contracts' vocabulary packages by
// to their folders.
func vocabAliases(f *ast.File, byDir map[string]string) map[string]string {
	out := map[string]string{}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		dir := strings.TrimPrefix(p, "github.com/almoner/almoner/")
		if _, ok := byDir[dir]; !ok {
			continue
		}
		name := filepath.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		out[name] = dir
	}
	return out
}

// constValue is the string value of constant name of the package in dir,
// through one selector into another package (record's
// EventAccessUndelivered is delivery.Event).
func constValue(t *testing.T, dir, name string) string {
	t.Helper()
	var out string
	found := false
	eachConst(t, dir, func(f *ast.File, n string, v ast.Expr) {
		if n != name || found {
			return
		}
		switch v := v.(type) {
		case *ast.BasicLit:
			out, _ = strconv.Unquote(v.Value)
			found = true
		case *ast.SelectorExpr:
			for _, im := range f.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				if id, ok := v.X.(*ast.Ident); ok && filepath.Base(p) == id.Name {
					out, found = constValue(t, strings.TrimPrefix(p, "github.com/almoner/almoner/"), v.Sel.Name), true
				}
			}
		}
	})
	if !found {
		t.Fatalf("%s: no string constant %s", dir, name)
	}
	return out
}
