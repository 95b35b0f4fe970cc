package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// portalMayLink lists the consortium-node packages the portal binary may
// link: the contracts' vocabulary (dependency-free packages each contract
// and the portal share), the node API's types and client, transactions and
// their signing, headers, receipts and proofs, the genesis file format and
// the genesis block derived from it, and the profiling listener. The
// executor, the block builder, the contract runtime and every contract
// implementation are node-only: a portal that linked them could drift into
// executing or re-deciding what only the ledger decides.
var portalMayLink = []string{
	"consortium-node/api",
	"consortium-node/api/client",
	"consortium-node/contracts/vocab",
	"consortium-node/contracts/claim/claimdoc",
	"consortium-node/contracts/consortium/vocab",
	"consortium-node/contracts/donation/vocab",
	"consortium-node/contracts/governance/vocab",
	"consortium-node/contracts/identity/memberid",
	"consortium-node/contracts/identity/vocab",
	"consortium-node/contracts/quorum",
	"consortium-node/contracts/record/delivery",
	"consortium-node/contracts/record/registration",
	"consortium-node/genesis",
	"consortium-node/genesis/genesisstate",
	"consortium-node/ledger",
	"consortium-node/merkle",
	"consortium-node/pprofserver",
	"consortium-node/tx",
}

// TestPortalBoundary fails when the portal binary links a consortium-node
// package outside portalMayLink (go list -deps ./portal): the executor,
// the block builder, the contract runtime, a contract implementation or
// any node engine package.
func TestPortalBoundary(t *testing.T) {
	const module = "github.com/almoner/almoner/"
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goTool, "list", "-deps", module+"portal").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	var linked int
	for _, pkg := range strings.Fields(string(out)) {
		rel, ok := strings.CutPrefix(pkg, module)
		if !ok || !strings.HasPrefix(rel, "consortium-node/") {
			continue
		}
		linked++
		if !slices.Contains(portalMayLink, rel) {
			t.Errorf("the portal links %s: only the node may (see portalMayLink)", rel)
		}
	}
	if linked == 0 {
		t.Fatalf("go list -deps listed no consortium-node package: %q", out)
	}
}

// TestPortalBoundaryAllowsNoEngine checks the list itself: none of the
// node's engine or contract implementation packages is allowed.
func TestPortalBoundaryAllowsNoEngine(t *testing.T) {
	for _, p := range portalMayLink {
		last := p[strings.LastIndex(p, "/")+1:]
		if slices.Contains([]string{"exec", "blockbuild", "contracts", "claim", "consent", "consortium", "governance",
			"identity", "record", "system", "donation", "node", "store", "mempool", "consensus", "internal"}, last) ||
			strings.Contains(p, "/internal/") {
			t.Errorf("portalMayLink allows the node-only package %s", p)
		}
	}
}
