package consortium_test

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	consortiumvocab "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
)

const chain = chaintest.ChainID

// newWorld is four organisations, one of each kind, each with an admin
// (aa has two, and a physician), and one genesis node of aa's.
func newWorld(t *testing.T) *chaintest.Chain {
	t.Helper()
	orgs := []identity.Org{{ID: "aa", Kind: identityvocab.KindHospital, Name: "A"},
		{ID: "bb", Kind: identityvocab.KindInsurer, Name: "B"},
		{ID: "cc", Kind: identityvocab.KindCharity, Name: "C"}, {ID: "dd", Kind: identityvocab.KindRegulator, Name: "D"}}
	var ms []chaintest.Member
	for _, m := range []struct{ id, role string }{{"aa/admin", identityvocab.RoleOrgAdmin},
		{"aa/admin2", identityvocab.RoleOrgAdmin},
		{"bb/admin", identityvocab.RoleOrgAdmin}, {"cc/admin", identityvocab.RoleOrgAdmin},
		{"dd/admin", identityvocab.RoleOrgAdmin}, {"aa/doc", identityvocab.RolePhysician}} {
		ms = append(ms, chaintest.Member{ID: m.id, Roles: []string{m.role}})
	}
	return chaintest.New(t, chaintest.Options{Orgs: orgs, Members: ms, Nodes: []consortium.Node{node("aa-node1", 1, "k50")}})
}

// node is a node of aa's with raft id raft and keys derived from keyName.
func node(id string, raft uint64, keyName string) consortium.Node {
	return consortium.Node{ID: id, Org: "aa", RaftID: raft, SignKey: chaintest.Key("node " + keyName).Public(), EncKey: chaintest.EncKey("node " + keyName),
		RaftAddr: "127.0.0.1:1", APIAddr: "127.0.0.1:2"}
}

func submit(c *chaintest.Chain, sender string, ch *consortium.Change, approvals []string) error {
	return c.Call(sender, consortium.Name, ch.Action, consortium.ChangeArgs(ch, approvals)...).Err
}

func approve(t *testing.T, ch *consortium.Change, chainID string, by ...string) []string {
	t.Helper()
	var out []string
	for _, m := range by {
		a, err := consortium.Approve(chainID, ch, m, chaintest.Key(m))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func nodeIDs(t *testing.T, c *chaintest.Chain) []string {
	t.Helper()
	nodes, err := consortium.LoadNodes(c.Reader())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, n := range nodes {
		ids = append(ids, n.ID)
	}
	return ids
}

func TestAddNodeApprovals(t *testing.T) {
	c := newWorld(t)
	const validUntil = 100
	add := &consortium.Change{Action: consortiumvocab.ActionAddNode, Node: node("bb-node2", 2, "k51"),
		ValidUntil: validUntil}
	other := &consortium.Change{Action: consortiumvocab.ActionAddNode, Node: node("bb-node2", 3, "k51"),
		ValidUntil: validUntil}
	cases := []struct {
		name      string
		sender    string
		approvals []string
		want      error
		msg       string
	}{
		{"two of four orgs", "aa/admin", approve(t, add, chain, "aa/admin", "bb/admin"), contracts.ErrDenied, "missing: cc, dd"},
		{"same org twice counts once", "aa/admin", approve(t, add, chain, "aa/admin", "aa/admin2", "bb/admin"), contracts.ErrDenied, "have 2"},
		{"non-admin approval", "aa/admin", approve(t, add, chain, "aa/doc", "bb/admin", "cc/admin"), contracts.ErrDenied, "not an active org_admin"},
		{"approval for another change", "aa/admin", append(approve(t, add, chain, "aa/admin", "bb/admin"), approve(t, other, chain, "cc/admin")...), contracts.ErrDenied, "does not verify"},
		{"approval from another chain", "aa/admin", approve(t, add, "other-chain", "aa/admin", "bb/admin", "cc/admin"), contracts.ErrDenied, "does not verify"},
		{"malformed approval", "aa/admin", []string{"aa/admin-no-sig"}, contracts.ErrInvalid, "<member id>:"},
		{"unknown approver", "aa/admin", []string{"zz/ghost:AAAA"}, contracts.ErrDenied, "zz/ghost"},
		// Submitting is itself an action the policy decides: only org
		// admins, however many approvals the change carries.
		{"non-admin submits", "aa/doc", approve(t, add, chain, "aa/admin", "bb/admin", "cc/admin"), contracts.ErrDenied, `policy denies aa/doc (roles member,physician in organisation aa) "add" on node (held by aa)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Snapshot()
			err := submit(c, tc.sender, add, tc.approvals)
			if !errors.Is(err, tc.want) || err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %v with %q", err, tc.want, tc.msg)
			}
			if !maps.Equal(c.Snapshot(), before) {
				t.Fatal("refused change wrote state")
			}
		})
	}
	if err := submit(c, "aa/admin", add, approve(t, add, chain, "aa/admin", "bb/admin", "cc/admin")); err != nil {
		t.Fatal(err)
	}
	if ids := nodeIDs(t, c); len(ids) != 2 || ids[1] != "bb-node2" {
		t.Fatalf("nodes after add: %v", ids)
	}
	if _, ok := c.Reader().Get(consortium.NodeStateKey("bb-node2")); !ok {
		t.Fatal("node record not written")
	}
	// The same approvals cannot add it twice; raft ids and keys are unique.
	if err := submit(c, "aa/admin", add, approve(t, add, chain, "aa/admin", "bb/admin", "cc/admin")); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("duplicate node: %v", err)
	}
	dupRaft := &consortium.Change{Action: consortiumvocab.ActionAddNode, Node: node("cc-node3", 2, "k52"),
		ValidUntil: validUntil}
	if err := submit(c, "aa/admin", dupRaft, approve(t, dupRaft, chain, "aa/admin", "bb/admin", "cc/admin")); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("reused raft id: %v", err)
	}
	dupKey := &consortium.Change{Action: consortiumvocab.ActionAddNode, Node: node("cc-node3", 3, "k51"),
		ValidUntil: validUntil}
	if err := submit(c, "aa/admin", dupKey, approve(t, dupKey, chain, "aa/admin", "bb/admin", "cc/admin")); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("reused key: %v", err)
	}
	// Approvals are valid up to and including their last height.
	last := &consortium.Change{Action: consortiumvocab.ActionAddNode, Node: node("cc-node4", 4, "k54"),
		ValidUntil: c.Height + 1}
	if err := submit(c, "aa/admin", last, approve(t, last, chain, "aa/admin", "bb/admin", "cc/admin")); err != nil {
		t.Fatalf("at the last valid height: %v", err)
	}
	// Expired approvals.
	late := &consortium.Change{Action: consortiumvocab.ActionAddNode, Node: node("cc-node3", 3, "k53"),
		ValidUntil: c.Height + 2}
	approvals := approve(t, late, chain, "aa/admin", "bb/admin", "cc/admin")
	c.Block()
	c.Block() // the chain reaches late.ValidUntil; the next block is past it
	before := c.Snapshot()
	if err := submit(c, "aa/admin", late, approvals); !errors.Is(err, contracts.ErrDenied) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired: %v", err)
	}
	if !maps.Equal(c.Snapshot(), before) {
		t.Fatal("expired change wrote state")
	}
}

func TestRemoveNode(t *testing.T) {
	c := newWorld(t)
	add := &consortium.Change{Action: consortiumvocab.ActionAddNode, Node: node("bb-node2", 2, "k51"), ValidUntil: 100}
	if err := submit(c, "bb/admin", add, approve(t, add, chain, "bb/admin", "cc/admin", "dd/admin")); err != nil {
		t.Fatal(err)
	}
	rm := &consortium.Change{Action: consortiumvocab.ActionRemoveNode, Node: consortium.Node{ID: "bb-node2"},
		ValidUntil: 100}
	if err := submit(c, "bb/admin", rm, approve(t, rm, chain, "bb/admin")); !errors.Is(err, contracts.ErrDenied) || !strings.Contains(err.Error(), "have 1") {
		t.Fatalf("one approval: %v", err)
	}
	// Only org admins submit removals; the denial names the node's organisation.
	err := submit(c, "aa/doc", rm, approve(t, rm, chain, "bb/admin", "cc/admin", "dd/admin"))
	var d *contracts.DeniedError
	if !errors.As(err, &d) || d.Request.Act != "remove" || d.Request.Obj != "node" || d.Request.Org != "aa" ||
		!strings.Contains(err.Error(), `policy denies aa/doc (roles member,physician in organisation aa) "remove" on node (held by aa)`) {
		t.Fatalf("physician removed a node: %v", err)
	}
	if err := submit(c, "bb/admin", rm, approve(t, rm, chain, "bb/admin", "cc/admin", "dd/admin")); err != nil {
		t.Fatal(err)
	}
	if ids := nodeIDs(t, c); len(ids) != 1 || ids[0] != "aa-node1" {
		t.Fatalf("nodes after remove: %v", ids)
	}
	if _, ok := c.Reader().Get(consortium.NodeStateKey("bb-node2")); ok {
		t.Fatal("removed node's record kept")
	}
	// Removing it again: it is gone.
	if err := submit(c, "bb/admin", rm, approve(t, rm, chain, "bb/admin", "cc/admin", "dd/admin")); !errors.Is(err, contracts.ErrNotFound) {
		t.Fatalf("removed twice: %v", err)
	}
	// Its raft id stays taken.
	again := &consortium.Change{Action: consortiumvocab.ActionAddNode, Node: node("bb-node9", 2, "k55"), ValidUntil: 100}
	if err := submit(c, "bb/admin", again, approve(t, again, chain, "bb/admin", "cc/admin", "dd/admin")); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("raft id reused after removal: %v", err)
	}
	last := &consortium.Change{Action: consortiumvocab.ActionRemoveNode, Node: consortium.Node{ID: "aa-node1"},
		ValidUntil: 100}
	if err := submit(c, "bb/admin", last, approve(t, last, chain, "bb/admin", "cc/admin", "dd/admin")); !errors.Is(err, contracts.ErrDenied) || !strings.Contains(err.Error(), "last node") {
		t.Fatalf("removed the last node: %v", err)
	}
}
