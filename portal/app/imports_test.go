package app_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// wirePackages are the consortium-node packages the portal may import and
// link: the node API's types and client, transactions and their signing,
// headers, receipts and proofs, the genesis file format and the genesis
// block derived from it, the contracts' vocabulary (dependency-free
// packages each contract and the portal share) and the loopback-only pprof
// listener. The executor, the block builder, the contract runtime, every
// contract implementation and every node engine package are node-only.
var wirePackages = map[string]bool{
	mod + "consortium-node/api": true, mod + "consortium-node/api/client": true, mod + "consortium-node/tx": true,
	mod + "consortium-node/ledger": true, mod + "consortium-node/merkle": true,
	// The canonical CBOR codec (signed and hashed encodings, with limits).
	mod + "consortium-node/codec":   true,
	mod + "consortium-node/genesis": true, mod + "consortium-node/genesis/genesisstate": true,
	// The contracts' shared refusal sentinels and state-key shape.
	mod + "consortium-node/contracts/vocab": true,
	// The claim contract's client side (documents, keyed fingerprints,
	// claims key ids).
	mod + "consortium-node/contracts/claim/claimdoc": true,
	// The record contract's delivery and registration vocabularies.
	mod + "consortium-node/contracts/record/delivery":     true,
	mod + "consortium-node/contracts/record/registration": true,
	// The goleveldb options the node's store and the read model share.
	mod + "consortium-node/dbopt": true,
	// The loopback-only pprof listener (standard library only) and the
	// daemons' shared --log-level and --pprof flags.
	mod + "consortium-node/pprofserver": true, mod + "consortium-node/daemonflag": true,
	// Identity: the shape of member and organisation ids; kinds, roles,
	// records.
	mod + "consortium-node/contracts/identity/memberid": true,
	mod + "consortium-node/contracts/identity/vocab":    true,
	// The consortium contract's node record, the governance contract's
	// proposals and statuses, and the approval threshold.
	mod + "consortium-node/contracts/consortium/vocab": true,
	mod + "consortium-node/contracts/governance/vocab": true,
	mod + "consortium-node/contracts/quorum":           true,
	// The donation, claim, consent and record contracts' vocabularies
	// (statuses, outcomes, reason codes, events).
	mod + "consortium-node/contracts/donation/vocab": true,
	mod + "consortium-node/contracts/claim/vocab":    true,
	mod + "consortium-node/contracts/consent/vocab":  true,
	mod + "consortium-node/contracts/record/vocab":   true,
	// How amounts are written: ISO 4217 decimals (standard library only).
	mod + "consortium-node/money": true,
}

const mod = "github.com/almoner/almoner/"

// TestImportBoundary keeps the portal off node internals (DESIGN.md
// layout): non-test code under portal/ and graphql/ imports from
// consortium-node/ only the wire packages. portal/internal/testnode (an
// in-process node for tests) is the one exception and only tests import it.
func TestImportBoundary(t *testing.T) {
	allowed := wirePackages
	for _, root := range []string{"..", "../../graphql"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testnode") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, im := range f.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				if strings.HasPrefix(p, mod+"consortium-node") && !allowed[p] {
					t.Errorf("%s imports node internal %s", path, p)
				}
				if strings.HasSuffix(p, "/internal/testnode") {
					t.Errorf("%s (not a test) imports testnode", path)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestPortalLinksNoNodeEngine checks what the portal binary links, not only
// what it imports directly (go list -deps): every consortium-node package
// among its dependencies is a wire package, so that no vocabulary or client
// package can pull the executor, the contract runtime or a contract
// implementation in again.
func TestPortalLinksNoNodeEngine(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goTool, "list", "-deps", mod+"portal").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	var linked int
	for _, p := range strings.Fields(string(out)) {
		if !strings.HasPrefix(p, mod+"consortium-node/") {
			continue
		}
		linked++
		if !wirePackages[p] {
			t.Errorf("the portal links %s, which only the node may", p)
		}
	}
	if linked == 0 {
		t.Fatalf("go list -deps listed no consortium-node package: %q", out)
	}
	for p := range wirePackages {
		name := p[strings.LastIndex(p, "/")+1:]
		if strings.Contains(p, "/internal/") || slices.Contains([]string{"exec", "blockbuild", "contracts", "claim",
			"consent", "consortium", "governance", "identity", "record", "system", "donation", "node"}, name) {
			t.Errorf("wirePackages allows the node-only package %s", p)
		}
	}
}
