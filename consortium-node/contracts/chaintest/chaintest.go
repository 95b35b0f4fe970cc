// Package chaintest is an in-memory chain for contract tests: genesis
// state from organisations and members, every system contract, the
// default policy (or another) enforced exactly as a node does (the
// policy as of the block's start, updated from each block's writes), and
// helpers to sign and run transactions block by block. It is a real
// implementation, not a mock: the executor, contracts, policy and state
// hashing are the production ones. WantDenied and WantRefusal check a
// policy denial the way every contract's tests expect one.
package chaintest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/kem/xwing"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/claim"
	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	"github.com/almoner/almoner/consortium-node/contracts/governance"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/shapes"
	"github.com/almoner/almoner/consortium-node/contracts/system"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/internal/authz"
	"github.com/almoner/almoner/consortium-node/internal/blockbuild"
	"github.com/almoner/almoner/consortium-node/internal/exec"
	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
	"github.com/almoner/almoner/privacy/sign"
)

// ChainID is the test chain's id.
const ChainID = "chaintest"

// Member is a genesis member: "<org>/<name>" and roles.
type Member struct {
	ID    string
	Roles []string
}

// Orgs returns the organisations of the test consortium with the given
// ids: the hospitals stmarys ("St Mary's") and city, the insurers acme,
// globe and sure, the charities hope, other and aid, and the regulator
// reg. It panics on another id: a test names its own organisations
// beyond these.
func Orgs(ids ...string) []identity.Org {
	out := make([]identity.Org, len(ids))
	for i, id := range ids {
		kind, name := identityvocab.KindHospital, strings.ToUpper(id[:1])+id[1:]
		switch id {
		case "stmarys":
			name = "St Mary's"
		case "city":
		case "acme", "globe", "sure":
			kind = identityvocab.KindInsurer
		case "hope", "other", "aid":
			kind = identityvocab.KindCharity
		case "reg":
			kind = identityvocab.KindRegulator
		default:
			panic(fmt.Sprintf("chaintest: no test organisation %q", id))
		}
		out[i] = identity.Org{ID: id, Kind: kind, Name: name}
	}
	return out
}

// Options configure a chain; zero values give the defaults.
type Options struct {
	// Orgs are the organisations; Members their members.
	Orgs    []identity.Org
	Members []Member
	// Roles are more members, each holding one role alone: by role, the
	// members' ids.
	Roles map[string][]string
	// Nodes, if set, are the genesis nodes.
	Nodes []consortium.Node
	// Rules is the genesis policy; nil means policies.DefaultRules().
	Rules []policies.Rule
	// Start is the first block's time (default 2026-11-01 09:00 UTC).
	Start time.Time
	// Parallel runs blocks on the Block-STM executor instead of serially.
	Parallel bool
	// NoClaimsKey leaves the hospitals' claims fingerprint key ids
	// (ClaimsKey) out of the genesis state, so that no claim can be filed.
	NoClaimsKey bool
}

// Chain is an in-memory chain.
type Chain struct {
	t        testing.TB
	state    map[string][]byte
	reg      *contracts.Registry
	policy   *policies.Enforcer
	keys     map[string]*sign.PrivateKey
	parallel bool
	// head is the last block; committed the transactions in blocks.
	head      blockbuild.Head
	committed map[tx.ID]bool
	nonce     uint64
	lastTx    tx.ID
	// Now is the time of the next block; Height the height of the last.
	Now    time.Time
	Height uint64
}

// Key returns a deterministic signing key for a member id.
func Key(id string) *sign.PrivateKey {
	seed := sha256.Sum256([]byte("chaintest sign " + id))
	k, err := sign.NewKeyFromSeed(sign.Ed25519, seed[:])
	if err != nil {
		panic(err)
	}
	return k
}

// EncKey returns a deterministic X-Wing public key for a member id.
func EncKey(id string) identity.EncryptionKey {
	seed := sha256.Sum256([]byte("chaintest enc " + id))
	_, pk := xwing.DeriveKeyPairPacked(seed[:])
	return identity.EncryptionKey{Alg: identityvocab.EncAlgXWing, Key: pk}
}

// ClaimsKey is hospital org's claims fingerprint key on a test chain (the
// ids of every hospital's are in the genesis state).
func ClaimsKey(org string) *claimdoc.Key {
	seed := sha256.Sum256([]byte("chaintest claims fingerprint key " + org))
	k, err := claimdoc.KeyFromBytes(seed[:])
	if err != nil {
		panic(err)
	}
	return k
}

// New builds a chain at height 0 from o.
func New(t testing.TB, o Options) *Chain {
	t.Helper()
	c := &Chain{t: t, state: map[string][]byte{}, keys: map[string]*sign.PrivateKey{}, parallel: o.Parallel, Now: o.Start,
		committed: map[tx.ID]bool{}}
	if c.Now.IsZero() {
		c.Now = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	}
	members := slices.Clone(o.Members)
	for _, role := range slices.Sorted(maps.Keys(o.Roles)) {
		for _, id := range o.Roles[role] {
			members = append(members, Member{ID: id, Roles: []string{role}})
		}
	}
	var ms []identity.Member
	for _, m := range members {
		c.keys[m.ID] = Key(m.ID)
		ms = append(ms, identity.Member{ID: m.ID, Org: identity.OrgOf(m.ID), Roles: m.Roles, SignKey: c.keys[m.ID].Public(), EncKey: EncKey(m.ID)})
	}
	iw, err := identity.Genesis(o.Orgs, ms)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range iw {
		c.state[w.Key] = w.Value
	}
	for _, w := range consortium.Genesis(o.Nodes) {
		c.state[w.Key] = w.Value
	}
	rules := o.Rules
	if rules == nil {
		rules = policies.DefaultRules()
	}
	gw, err := governance.Genesis(rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range gw {
		c.state[w.Key] = w.Value
	}
	if !o.NoClaimsKey {
		ids := map[string]string{}
		for _, org := range o.Orgs {
			if org.Kind == identityvocab.KindHospital {
				ids[org.ID] = ClaimsKey(org.ID).ID()
			}
		}
		cw, err := claim.Genesis(ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range cw {
			c.state[w.Key] = w.Value
		}
	}
	if c.reg, err = system.Registry(); err != nil {
		t.Fatal(err)
	}
	if c.policy, err = authz.Load(c.Scan); err != nil {
		t.Fatal(err)
	}
	return c
}

// Get implements exec.Reader over the chain's state.
func (c *Chain) Get(k string) ([]byte, bool, error) { v, ok := c.state[k]; return v, ok, nil }

// Reader returns the state as a contracts.StateReader.
func (c *Chain) Reader() contracts.StateReader { return reader(c.state) }

type reader map[string][]byte

func (r reader) Get(k string) ([]byte, bool) { v, ok := r[k]; return v, ok }

// Scan calls fn for every state key with prefix, in key order.
func (c *Chain) Scan(prefix string, fn func(k string, v []byte) bool) error {
	var keys []string
	for k := range c.state {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !fn(k, c.state[k]) {
			break
		}
	}
	return nil
}

// Snapshot copies the whole state, for a test to check that a refused
// call changed nothing (maps.Equal with a later snapshot).
func (c *Chain) Snapshot() map[string]string {
	out := make(map[string]string, len(c.state))
	for k, v := range c.state {
		out[k] = string(v)
	}
	return out
}

// Load reads what id names with load (claim.LoadClaim, ...) over c's
// state, and fails t if it cannot.
func Load[T any](t testing.TB, c *Chain, load func(contracts.StateReader, string) (*T, error), id string) *T {
	t.Helper()
	v, err := load(c.Reader(), id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Policy returns the enforcer as of the last block.
func (c *Chain) Policy() *policies.Enforcer { return c.policy }

// AddKey registers the signing key of a member added by a transaction.
func (c *Chain) AddKey(id string, k *sign.PrivateKey) { c.keys[id] = k }

// Sign signs a call by sender with sender's key.
func (c *Chain) Sign(sender, contract, method string, args ...tx.Arg) *tx.Signed {
	c.t.Helper()
	k, ok := c.keys[sender]
	if !ok {
		k = Key(sender) // an unknown sender signs with a key nobody registered
	}
	c.nonce++
	s, err := tx.Sign(tx.Body{ChainID: ChainID, Sender: sender, Nonce: c.nonce, Expiry: c.Height + 1000,
		Call: tx.Call{Contract: contract, Method: method, Args: args}}, k)
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

// Result is one transaction's outcome.
type Result struct {
	ID     tx.ID
	Events []ledger.Event
	Err    error
}

// Block builds txs into the next block with the node's block builder
// (at c.Now, which then advances by a second; the height advances even
// when nothing is included, as an empty block would): what a node would leave
// out (an outsider's transaction, a repeat, an expired one, one a
// contract's precheck refuses) gets the refusal as its Err and no events;
// the rest are executed, the writes committed and the policy brought up to
// date.
func (c *Chain) Block(txs ...*tx.Signed) []Result {
	c.t.Helper()
	cands := make([]blockbuild.Candidate, len(txs))
	for i, s := range txs {
		enc, err := s.Encode()
		if err != nil {
			c.t.Fatal(err)
		}
		cands[i] = blockbuild.Candidate{Raw: enc, ID: tx.HashID(enc)}
	}
	var exe blockbuild.Executor = serial{}
	if c.parallel {
		exe = exec.Parallel{Workers: 2}
	}
	gp := genesis.DefaultParams()
	b := blockbuild.Builder{ChainID: ChainID, Registry: c.reg, Executor: exe,
		Limits: blockbuild.Limits{ReplayWindow: gp.ReplayWindow, MaxTxs: gp.MaxBlockTxs, MaxBytes: gp.MaxBlockBytes}}
	built, err := b.Build(c, c, c, c.policy, c.head, blockbuild.Proposal{Proposer: "chaintest", Time: c.Now.UnixNano(), Txs: cands})
	if err != nil {
		c.t.Fatal(err)
	}
	out := make([]Result, len(txs))
	byID := map[tx.ID]int{}
	for i, cd := range cands {
		out[i].ID = cd.ID
		byID[cd.ID] = i
		c.lastTx = cd.ID
	}
	for _, r := range built.Rejected {
		i := byID[r.ID]
		if out[i].Err == nil {
			out[i].Err = r.Err
		}
	}
	if built.Block == nil {
		// Nothing to commit: a node builds no block, but tests use an
		// empty Block to move the chain on, so the height advances.
		c.Height++
		c.head.Height, c.head.Time = c.Height, c.Now.UnixNano()
		c.Now = c.Now.Add(time.Second)
		return out
	}
	for _, w := range built.Writes {
		if w.Deleted {
			delete(c.state, w.Key)
		} else {
			c.state[w.Key] = w.Value
		}
	}
	u, err := authz.UpdateFor(built.Writes)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.policy.Apply(u); err != nil {
		c.t.Fatal(err)
	}
	for k, id := range built.Included {
		i := byID[id]
		out[i].Events, out[i].Err = built.Receipts[k].Events, built.Errs[k]
		if len(out[i].Events) == 0 {
			out[i].Events = nil
		}
		c.committed[id] = true
		if out[i].Err == nil {
			c.checkShape(txs[i].Body.Call, out[i].Events)
		}
	}
	h := built.Block.Header
	c.head = blockbuild.Head{Height: h.Height, Hash: h.Hash(), StateHash: h.StateHash, Time: h.Time}
	c.Height = h.Height
	c.Now = c.Now.Add(time.Second)
	return out
}

// checkShape fails the test when a successful call passed an argument its
// method does not declare, or an event carries an attribute its contract
// does not declare (package shapes): the contract and its vocabulary
// disagree, or the test calls with arguments the contract never reads.
func (c *Chain) checkShape(call tx.Call, events []ledger.Event) {
	c.t.Helper()
	names := make([]string, len(call.Args))
	for i, a := range call.Args {
		names[i] = a.Name
	}
	if err := shapes.CheckCall(call.Contract, call.Method, names); err != nil {
		c.t.Errorf("chaintest: %v", err)
	}
	for _, ev := range events {
		keys := make([]string, len(ev.Attrs))
		for i, a := range ev.Attrs {
			keys[i] = a.Key
		}
		if err := shapes.CheckEvent(ev.Contract, ev.Type, keys); err != nil {
			c.t.Errorf("chaintest: %v", err)
		}
	}
}

// Head returns the last block as the block builder sees it.
func (c *Chain) Head() blockbuild.Head { return c.head }

// Registry returns the chain's contract registry.
func (c *Chain) Registry() *contracts.Registry { return c.reg }

// Committed implements blockbuild.Ledger.
func (c *Chain) Committed(id tx.ID, _ uint64) (bool, error) { return c.committed[id], nil }

// Member implements blockbuild.Members: the identity contract's check on
// the chain's state, as a node's admission asks it.
func (c *Chain) Member(s *tx.Signed, at time.Time) (error, error) {
	if err := (identity.Contract{}).Authenticate(reader(c.state), s.Body.Sender, s.Signature.PublicKey(), at); err != nil {
		return fmt.Errorf("%w: %w", mempool.ErrNotMember, err), nil
	}
	return nil, nil
}

type serial struct{}

func (serial) Execute(base exec.Reader, txns []exec.Txn) (*exec.Result, error) {
	return exec.Serial(base, txns)
}

// LastTx returns the id of the last transaction executed.
func (c *Chain) LastTx() tx.ID { return c.lastTx }

// Call runs one transaction in its own block.
func (c *Chain) Call(sender, contract, method string, args ...tx.Arg) Result {
	c.t.Helper()
	return c.Block(c.Sign(sender, contract, method, args...))[0]
}

// Must runs one transaction in its own block and fails the test if it
// fails.
func (c *Chain) Must(sender, contract, method string, args ...tx.Arg) Result {
	c.t.Helper()
	r := c.Call(sender, contract, method, args...)
	if r.Err != nil {
		c.t.Fatalf("%s %s.%s: %v", sender, contract, method, r.Err)
	}
	return r
}

// Seed returns 32 deterministic bytes for name (test keys and hashes).
func Seed(name string) []byte {
	h := sha256.Sum256([]byte(name))
	return bytes.Clone(h[:])
}

// ClaimDoc builds a claim document of items "CODE:YYYY-MM-DD:AMOUNT"
// (amount in minor units), created on the chain's day.
func (c *Chain) ClaimDoc(id, provider, patient, insurer, currency string, items ...string) *claimdoc.Document {
	c.t.Helper()
	d := &claimdoc.Document{ClaimID: id, Provider: provider, Patient: patient, Insurer: insurer, Currency: currency,
		Created: c.Now.UTC().Format(time.DateOnly)}
	for _, it := range items {
		f := strings.Split(it, ":")
		amount, err := strconv.ParseUint(f[len(f)-1], 10, 64)
		if len(f) != 3 || err != nil {
			c.t.Fatalf("chaintest: claim item %q is not CODE:YYYY-MM-DD:AMOUNT", it)
		}
		d.Lines = append(d.Lines, claimdoc.Line{Service: claimdoc.Service{Code: f[0], Date: f[1]}, Amount: amount})
	}
	return d
}

// FileClaim prepares claim.submit of d as a hospital's portal does: unless
// d's document (record claimdoc.RecordID(d.ClaimID)) exists, the submit
// registers it (version 1, category "claim", document_ciphertext_hash) in
// the claim's own transaction, so that a refused claim leaves no record;
// an existing document is filed at its latest version (the two-step
// filing). The fingerprints are under the provider's ClaimsKey.
func (c *Chain) FileClaim(who string, d *claimdoc.Document) []tx.Arg {
	c.t.Helper()
	doc := claimdoc.RecordID(d.ClaimID)
	version, register := uint64(1), true
	if rec, err := record.LoadRecord(c.Reader(), doc); err == nil {
		version, register = rec.Latest, false
	}
	args, err := ClaimsKey(d.Provider).SubmitArgs(d, doc, version, c.Now)
	if err != nil {
		c.t.Fatalf("chaintest: %v", err)
	}
	if register {
		h := sha256.Sum256([]byte("claim document " + doc))
		args = append(args, tx.Bytes(claimvocab.ArgDocumentCiphertextHash, h[:]))
	}
	return args
}

// GrantClaimDocuments has patient grant consent id to grantee over their
// claim documents (category "claim", purpose "claims", 30 days from now),
// as a patient does for an insurer, and fails the test if that fails.
func (c *Chain) GrantClaimDocuments(patient, id, grantee string) {
	c.t.Helper()
	c.Must(patient, consent.Name, consentvocab.MethodGrant, tx.String(consentvocab.ArgConsentID, id),
		tx.String(consentvocab.ArgGrantee, grantee),
		tx.String(consentvocab.ArgPurpose, claim.Purpose),
		tx.Strings(consentvocab.ArgCategories, []string{record.CategoryClaim}),
		tx.Int(consentvocab.ArgStart, c.Now.Unix()), tx.Int(consentvocab.ArgEnd, c.Now.Add(30*24*time.Hour).Unix()))
}

// ReadClaimDocument has reader, a member of claim claimID's insurer, read
// the claim's document as an adjuster does before adjudicating (which the
// claim contract requires): unless it exists, the claim's patient grants
// consent "<claimID>-docs" to the reader's organisation (purpose "claims",
// claim documents, 30 days); then reader commits record.access of the
// filed version under it. It fails the test unless the access is granted,
// and returns the access's id.
func (c *Chain) ReadClaimDocument(reader, claimID string) tx.ID {
	c.t.Helper()
	cl, err := claim.LoadClaim(c.Reader(), claimID)
	if err != nil {
		c.t.Fatalf("chaintest: %v", err)
	}
	consentID := claimID + "-docs"
	if _, err := consent.Load(c.Reader(), consentID); err != nil {
		c.GrantClaimDocuments(cl.Patient, consentID, identity.OrgOf(reader))
	}
	args, err := claim.AccessArgs(cl, cl.Document, consentID)
	if err != nil {
		c.t.Fatalf("chaintest: %v", err)
	}
	r := c.Must(reader, record.Name, recordvocab.MethodAccess, args...)
	if a, err := record.LoadAccess(c.Reader(), r.ID); err != nil || !a.Granted {
		c.t.Fatalf("chaintest: %s reading the document of claim %s: %+v %v", reader, claimID, a, err)
	}
	return r.ID
}
