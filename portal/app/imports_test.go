package app_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportBoundary keeps the portal off node internals (DESIGN.md
// layout): non-test code under portal/ and graphql/ imports from
// consortium-node/ only the wire packages. portal/internal/testnode (an
// in-process node for tests) is the one exception and only tests import it.
func TestImportBoundary(t *testing.T) {
	const mod = "github.com/almoner/almoner/"
	allowed := map[string]bool{
		mod + "consortium-node/api": true, mod + "consortium-node/api/client": true, mod + "consortium-node/tx": true,
		mod + "consortium-node/ledger": true, mod + "consortium-node/genesis": true,
		// The claim contract's client side (documents, keyed fingerprints):
		// it imports only the wire packages itself.
		mod + "consortium-node/contracts/claim/claimdoc": true,
		// The record contract's delivery and registration vocabularies
		// (they import nothing but the standard library).
		mod + "consortium-node/contracts/record/delivery":     true,
		mod + "consortium-node/contracts/record/registration": true,
		// The loopback-only pprof listener (standard library only).
		mod + "consortium-node/pprofserver": true,
		// The shape of member and organisation ids.
		mod + "consortium-node/contracts/identity/memberid": true,
		// The donation contract's vocabulary (statuses, events).
		mod + "consortium-node/contracts/donation/vocab": true,
	}
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
