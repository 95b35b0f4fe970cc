package frontend_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	consortiumvocab "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	governancevocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record/registration"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/portal/words"
)

// TestLabelsCoverTheContracts: the web app's labels (src/vocab.ts) name
// every code the contracts define (their vocabulary packages) and every
// status they write (as the GraphQL enums spell it), each with the label
// the portal's own words give it (portal/words, the one Go source of
// labels), so that no person reads a raw code because a contract gained
// one, and the app and the portal's messages say the same thing.
func TestLabelsCoverTheContracts(t *testing.T) {
	src, err := os.ReadFile("src/vocab.ts")
	if err != nil {
		t.Fatal(err)
	}
	entry := regexp.MustCompile(`(?m)^\s*(?:'([^']+)'|([A-Za-z0-9_]+)):\s*'((?:[^'\\]|\\.)*)',?\s*$`)
	for _, c := range []struct {
		name  string
		table words.Table
		codes []string
		upper bool // keyed as the GraphQL enums spell the codes
	}{
		{"PURPOSES", words.Purposes, consentvocab.Purposes(), false},
		{"CATEGORIES", words.Categories, registration.Categories, false},
		{"EMERGENCIES", words.Emergencies, recordvocab.BreakGlassReasons(), false},
		{"REVIEW_OUTCOMES", words.ReviewOutcomes, recordvocab.ReviewOutcomes(), false},
		{"CLAIM_REASONS", words.ClaimReasons, claimvocab.AdjudicationReasons(), false},
		{"APPEAL_REASONS", words.AppealReasons, claimvocab.AppealReasons(), false},
		{"CLAIM_STATUSES", words.ClaimStatuses, claimvocab.Statuses(), true},
		{"CONSENT_STATUSES", words.ConsentStatuses, consentvocab.Statuses(), true},
		{"REFUND_REASONS", words.RefundReasons, []string{donationvocab.RefundCampaignCancelled,
			donationvocab.RefundMilestoneRejected, donationvocab.RefundMilestoneMissed}, false},
	} {
		block := regexp.MustCompile(`(?s)export const ` + c.name + `: Labels = \{(.*?)\n\};`).FindSubmatch(src)
		if block == nil {
			t.Errorf("src/vocab.ts has no %s", c.name)
			continue
		}
		got := map[string]string{}
		for _, m := range entry.FindAllSubmatch(block[1], -1) {
			key := string(m[1]) + string(m[2])
			got[key] = strings.ReplaceAll(string(m[3]), `\'`, "'")
		}
		for _, code := range c.codes {
			key := code
			if c.upper {
				key = strings.ToUpper(code)
			}
			label, ok := got[key]
			if !ok {
				t.Errorf("src/vocab.ts %s has no label for the contract's %q", c.name, code)
				continue
			}
			if want, _ := c.table.Label(code); label != want {
				t.Errorf("src/vocab.ts %s labels %q %q, portal/words %q", c.name, code, label, want)
			}
		}
	}
}

// TestActionsNameEveryMethod: src/vocab.ts ACTIONS labels every method of
// every system contract (contract.method, as the explorer and the receipt
// show a transaction), read from the case labels of each contract's Call
// (string literals, or constants of the contract's package), so that a new
// method never shows as its code.
func TestActionsNameEveryMethod(t *testing.T) {
	src, err := os.ReadFile("src/vocab.ts")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)export const ACTIONS: Labels = \{(.*?)\n\};`).FindSubmatch(src)
	if block == nil {
		t.Fatal("src/vocab.ts has no ACTIONS")
	}
	total := 0
	for folder, name := range map[string]string{
		"claim": claimvocab.Name, "consent": consentvocab.Name, "consortium": consortiumvocab.Name,
		"donation": donationvocab.Contract, "governance": governancevocab.Name, "identity": identityvocab.Name,
		"record": recordvocab.Name,
	} {
		methods := callMethods(t, filepath.Join("..", "consortium-node", "contracts", folder))
		if len(methods) == 0 {
			t.Errorf("found no method in contract %s's Call", name)
		}
		for _, m := range methods {
			total++
			key := regexp.MustCompile(`(?m)^\s*'` + regexp.QuoteMeta(name+"."+m) + `':`)
			if !key.Match(block[1]) {
				t.Errorf("src/vocab.ts ACTIONS has no label for %s.%s", name, m)
			}
		}
	}
	t.Logf("%d contract methods labelled", total)
}

// callMethods returns the method names a contract's Call switches on: the
// case labels of the switch on its method parameter, resolving constants
// of the contract's package and of its vocab package.
func callMethods(t *testing.T, dir string) []string {
	t.Helper()
	notTest := func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }
	pkgs, err := parser.ParseDir(token.NewFileSet(), dir, notTest, 0)
	if err != nil {
		t.Fatal(err)
	}
	vocabs, err := parser.ParseDir(token.NewFileSet(), filepath.Join(dir, "vocab"), notTest, 0)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for n, p := range vocabs {
		pkgs["vocab/"+n] = p
	}
	consts := map[string]string{}  // name -> value
	aliases := map[string]string{} // name -> the name of the constant it is (X = vocab.Y)
	var calls []*ast.FuncDecl
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.GenDecl:
					if d.Tok != token.CONST {
						continue
					}
					for _, sp := range d.Specs {
						vs := sp.(*ast.ValueSpec)
						for i, n := range vs.Names {
							if i >= len(vs.Values) {
								continue
							}
							switch v := vs.Values[i].(type) {
							case *ast.BasicLit:
								if v.Kind == token.STRING {
									consts[n.Name], _ = strconv.Unquote(v.Value)
								}
							case *ast.SelectorExpr:
								aliases[n.Name] = v.Sel.Name
							}
						}
					}
				case *ast.FuncDecl:
					if d.Name.Name == "Call" && d.Recv != nil && d.Body != nil {
						calls = append(calls, d)
					}
				}
			}
		}
	}
	var out []string
	for _, fn := range calls {
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			sw, ok := n.(*ast.SwitchStmt)
			if !ok {
				return true
			}
			if tag, ok := sw.Tag.(*ast.Ident); !ok || tag.Name != "method" {
				return true
			}
			for _, st := range sw.Body.List {
				for _, e := range st.(*ast.CaseClause).List {
					switch e := e.(type) {
					case *ast.BasicLit:
						v, _ := strconv.Unquote(e.Value)
						out = append(out, v)
					case *ast.Ident, *ast.SelectorExpr:
						name := ""
						if id, ok := e.(*ast.Ident); ok {
							name = id.Name
						} else {
							name = e.(*ast.SelectorExpr).Sel.Name
						}
						if a, ok := aliases[name]; ok {
							name = a
						}
						v, ok := consts[name]
						if !ok {
							t.Errorf("%s: Call's case %s is not a string constant of the contract or its vocab", dir, name)
						}
						out = append(out, v)
					default:
						t.Errorf("%s: Call has a case label the test cannot read: %T", dir, e)
					}
				}
			}
			return false
		})
	}
	return out
}
