package consortium

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/kem/xwing"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/exec"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

const chain = "test-chain"

type world struct {
	t      *testing.T
	state  map[string][]byte
	reg    *contracts.Registry
	keys   map[string]*sign.PrivateKey
	height uint64
}

func (w *world) Get(k string) ([]byte, bool, error) { v, ok := w.state[k]; return v, ok, nil }

func key(t *testing.T, b byte) *sign.PrivateKey {
	k, err := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, state: map[string][]byte{}, keys: map[string]*sign.PrivateKey{}, height: 10}
	orgs := []identity.Org{{ID: "aa", Kind: identity.KindHospital, Name: "A"}, {ID: "bb", Kind: identity.KindInsurer, Name: "B"},
		{ID: "cc", Kind: identity.KindCharity, Name: "C"}, {ID: "dd", Kind: identity.KindRegulator, Name: "D"}}
	_, ek := xwing.DeriveKeyPairPacked(bytes.Repeat([]byte{9}, 32))
	var members []identity.Member
	for i, m := range []struct{ id, role string }{{"aa/admin", identity.RoleOrgAdmin}, {"aa/admin2", identity.RoleOrgAdmin},
		{"bb/admin", identity.RoleOrgAdmin}, {"cc/admin", identity.RoleOrgAdmin}, {"dd/admin", identity.RoleOrgAdmin}, {"aa/doc", identity.RolePhysician}} {
		k := key(t, byte(i+1))
		w.keys[m.id] = k
		members = append(members, identity.Member{ID: m.id, Org: identity.OrgOf(m.id), Roles: []string{m.role}, SignKey: k.Public(),
			EncKey: identity.EncryptionKey{Alg: identity.EncAlgXWing, Key: ek}})
	}
	iw, err := identity.Genesis(orgs, members)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range iw {
		w.state[g.Key] = g.Value
	}
	for _, g := range Genesis([]Node{w.node("aa-node1", 1, 50)}) {
		w.state[g.Key] = g.Value
	}
	w.reg, _ = contracts.NewRegistry(identity.Contract{}, identity.Contract{}, Contract{})
	return w
}

func (w *world) node(id string, raft uint64, seed byte) Node {
	_, ek := xwing.DeriveKeyPairPacked(bytes.Repeat([]byte{seed}, 32))
	return Node{ID: id, Org: "aa", RaftID: raft, SignKey: key(w.t, seed).Public(), EncKey: identity.EncryptionKey{Alg: identity.EncAlgXWing, Key: ek},
		RaftAddr: "127.0.0.1:1", APIAddr: "127.0.0.1:2"}
}

func (w *world) submit(sender string, ch *Change, approvals []string) error {
	args := tx.Args{tx.String("node_id", ch.Node.ID), tx.Uint("valid_until", ch.ValidUntil), tx.Strings("approvals", approvals)}
	if ch.Action == ActionAddNode {
		args = append(args, tx.String("org", ch.Node.Org), tx.Uint("raft_id", ch.Node.RaftID), tx.String("sign_key", ch.Node.SignKey.String()),
			tx.String("enc_key", ch.Node.EncKey.String()), tx.String("raft_addr", ch.Node.RaftAddr), tx.String("api_addr", ch.Node.APIAddr))
	}
	s, err := tx.Sign(tx.Body{ChainID: chain, Sender: sender, Nonce: 1, Expiry: 100, Call: tx.Call{Contract: Name, Method: ch.Action, Args: args}}, w.keys[sender])
	if err != nil {
		w.t.Fatal(err)
	}
	enc, _ := s.Encode()
	res, err := exec.Serial(w, []exec.Txn{w.reg.Txn(contracts.Block{ChainID: chain, Height: w.height, Time: time.Unix(0, 0)}, s, tx.HashID(enc), false)})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, wr := range res.Writes {
		if wr.Deleted {
			delete(w.state, wr.Key)
		} else {
			w.state[wr.Key] = wr.Value
		}
	}
	return res.Outcomes[0].Err
}

func (w *world) approve(ch *Change, chainID string, by ...string) []string {
	var out []string
	for _, m := range by {
		a, err := Approve(chainID, ch, m, w.keys[m])
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func TestAddNodeApprovals(t *testing.T) {
	w := newWorld(t)
	add := &Change{Action: ActionAddNode, Node: w.node("bb-node2", 2, 51), ValidUntil: 20}
	other := &Change{Action: ActionAddNode, Node: w.node("bb-node2", 3, 51), ValidUntil: 20}
	cases := []struct {
		name      string
		approvals []string
		want      error
		msg       string
	}{
		{"two of four orgs", w.approve(add, chain, "aa/admin", "bb/admin"), contracts.ErrDenied, "missing: cc, dd"},
		{"same org twice counts once", w.approve(add, chain, "aa/admin", "aa/admin2", "bb/admin"), contracts.ErrDenied, "have 2"},
		{"non-admin approval", w.approve(add, chain, "aa/doc", "bb/admin", "cc/admin"), contracts.ErrDenied, "not an active org_admin"},
		{"approval for another change", append(w.approve(add, chain, "aa/admin", "bb/admin"), w.approve(other, chain, "cc/admin")...), contracts.ErrDenied, "does not verify"},
		{"approval from another chain", w.approve(add, "other-chain", "aa/admin", "bb/admin", "cc/admin"), contracts.ErrDenied, "does not verify"},
		{"malformed approval", []string{"aa/admin-no-sig"}, contracts.ErrInvalid, "<member id>:"},
		{"unknown approver", []string{"zz/ghost:AAAA"}, contracts.ErrDenied, "zz/ghost"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(w.state)
			err := w.submit("aa/admin", add, c.approvals)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want %v with %q", err, c.want, c.msg)
			}
			if len(w.state) != before {
				t.Fatal("refused change wrote state")
			}
		})
	}
	if err := w.submit("aa/admin", add, w.approve(add, chain, "aa/admin", "bb/admin", "cc/admin")); err != nil {
		t.Fatal(err)
	}
	nodes, err := LoadNodes(mapReader(w.state))
	if err != nil || len(nodes) != 2 || nodes[1].ID != "bb-node2" {
		t.Fatalf("nodes after add: %v %v", nodes, err)
	}
	// The same approvals cannot add it twice; raft ids and keys are unique.
	if err := w.submit("aa/admin", add, w.approve(add, chain, "aa/admin", "bb/admin", "cc/admin")); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("duplicate node: %v", err)
	}
	dupRaft := &Change{Action: ActionAddNode, Node: w.node("cc-node3", 2, 52), ValidUntil: 20}
	if err := w.submit("aa/admin", dupRaft, w.approve(dupRaft, chain, "aa/admin", "bb/admin", "cc/admin")); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("reused raft id: %v", err)
	}
	dupKey := &Change{Action: ActionAddNode, Node: w.node("cc-node3", 3, 51), ValidUntil: 20}
	if err := w.submit("aa/admin", dupKey, w.approve(dupKey, chain, "aa/admin", "bb/admin", "cc/admin")); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("reused key: %v", err)
	}
	// Expired approvals.
	w.height = 21
	late := &Change{Action: ActionAddNode, Node: w.node("cc-node3", 3, 53), ValidUntil: 20}
	if err := w.submit("aa/admin", late, w.approve(late, chain, "aa/admin", "bb/admin", "cc/admin")); !errors.Is(err, contracts.ErrDenied) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired: %v", err)
	}
}

func TestRemoveNode(t *testing.T) {
	w := newWorld(t)
	add := &Change{Action: ActionAddNode, Node: w.node("bb-node2", 2, 51), ValidUntil: 20}
	if err := w.submit("bb/admin", add, w.approve(add, chain, "bb/admin", "cc/admin", "dd/admin")); err != nil {
		t.Fatal(err)
	}
	rm := &Change{Action: ActionRemoveNode, Node: Node{ID: "bb-node2"}, ValidUntil: 20}
	if err := w.submit("bb/admin", rm, w.approve(rm, chain, "bb/admin")); !errors.Is(err, contracts.ErrDenied) {
		t.Fatalf("one approval: %v", err)
	}
	if err := w.submit("bb/admin", rm, w.approve(rm, chain, "bb/admin", "cc/admin", "dd/admin")); err != nil {
		t.Fatal(err)
	}
	nodes, _ := LoadNodes(mapReader(w.state))
	if len(nodes) != 1 {
		t.Fatalf("nodes after remove: %v", nodes)
	}
	// Its raft id stays taken.
	again := &Change{Action: ActionAddNode, Node: w.node("bb-node9", 2, 55), ValidUntil: 20}
	if err := w.submit("bb/admin", again, w.approve(again, chain, "bb/admin", "cc/admin", "dd/admin")); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("raft id reused after removal: %v", err)
	}
	last := &Change{Action: ActionRemoveNode, Node: Node{ID: "aa-node1"}, ValidUntil: 20}
	if err := w.submit("bb/admin", last, w.approve(last, chain, "bb/admin", "cc/admin", "dd/admin")); !errors.Is(err, contracts.ErrDenied) {
		t.Fatalf("removed the last node: %v", err)
	}
}

type mapReader map[string][]byte

func (m mapReader) Get(k string) ([]byte, bool) { v, ok := m[k]; return v, ok }
