package system_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
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
// the system registry (each contract's dispatch table, each method called
// through it) and fails for any method that neither has a case in
// TestEveryRoleAgainstEveryAction nor is listed in notInMatrix, so that a
// new method cannot escape the matrix unnoticed.
func TestMatrixCoversTheRegistry(t *testing.T) {
	reg, err := system.Registry()
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, c := range reg.Contracts() {
		table := c.Methods()
		if len(table) == 0 {
			t.Errorf("%s: no methods in its dispatch table", c.Name())
		}
		for _, m := range table.Names() {
			if err := table.Call(probeCtx{}, c.Name(), m, nil); errors.Is(err, contracts.ErrUnknownMethod) {
				t.Errorf("%s.%s: named by the dispatch table but the contract does not know it: %v", c.Name(), m, err)
			}
			methods = append(methods, c.Name()+"."+m)
		}
		if err := table.Call(probeCtx{}, c.Name(), "no such method", nil); !errors.Is(err, contracts.ErrUnknownMethod) {
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
