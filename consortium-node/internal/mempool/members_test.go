package mempool_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// testNow is the time admission checks key expiry against in these tests.
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// members is committed identity state for admission: organisation "org"
// with member "org/alice" holding testKey, as the node's state would hold
// them. It is safe for concurrent use.
type members struct {
	mu  sync.RWMutex
	kv  map[string][]byte
	err error // when set, every read fails (a failing disk)
}

var _ contracts.StateReader = (*members)(nil)

func newMembers(t testing.TB) *members {
	t.Helper()
	s := &members{kv: map[string][]byte{}}
	s.putOrg(t, "org")
	s.put(t, identity.Member{ID: "org/alice", Org: "org", Roles: []string{identityvocab.RolePatient}, SignKey: testKey.Public()})
	return s
}

func (s *members) Get(key string) ([]byte, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.kv[key]
	return v, ok
}

func (s *members) putOrg(t testing.TB, id string) {
	t.Helper()
	b, err := codec.Marshal(identity.Org{ID: id, Kind: identityvocab.KindHospital, Name: id})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kv[identity.OrgStateKey(id)] = b
}

func (s *members) put(t testing.TB, m identity.Member) {
	t.Helper()
	m.EncKey = identity.EncryptionKey{Alg: identityvocab.EncAlgXWing, Key: []byte("enc " + m.ID)}
	b, err := codec.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kv[identity.MemberStateKey(m.ID)] = b
}

func (s *members) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// authenticate is a mempool.Config.Authenticate built as the node builds
// its own: the identity contract's rule (the one block execution applies)
// over committed state, at testNow.
func (s *members) authenticate(st *tx.Signed) error {
	s.mu.RLock()
	rerr := s.err
	s.mu.RUnlock()
	if rerr != nil {
		return rerr
	}
	if err := (identity.Contract{}).Authenticate(s, st.Body.Sender, st.Signature.PublicKey(), testNow); err != nil {
		return fmt.Errorf("%w: %w", mempool.ErrNotMember, err)
	}
	return nil
}

// allowAll admits every signer (configs that never reach Add).
func allowAll(*tx.Signed) error { return nil }

// signAs signs a fresh transaction as sender with key.
func signAs(t testing.TB, sender string, key *sign.PrivateKey, nonce uint64) []byte {
	t.Helper()
	return signTx(t, sender, key, nonce, nil)
}

// TestAddRefusesNonMembers: admission admits a transaction only when its
// key is its sender's current, unrevoked, unexpired signing key in state,
// and refuses every other with one fixed error that names neither the
// sender nor why, so that an outsider cannot tell which member ids exist.
func TestAddRefusesNonMembers(t *testing.T) {
	st := newMembers(t)
	bob, carol, dave, erin, frank := seededKey(t, 1), seededKey(t, 2), seededKey(t, 3), seededKey(t, 4), seededKey(t, 5)
	outsider := seededKey(t, 9)
	member := func(id string, k *sign.PrivateKey) identity.Member {
		return identity.Member{ID: id, Org: identity.OrgOf(id), Roles: []string{identityvocab.RolePatient},
			SignKey: k.Public()}
	}
	revoked := member("org/bob", bob)
	revoked.Revoked = true
	st.put(t, revoked)
	expired := member("org/carol", carol)
	expired.KeyExpiry = testNow.Add(-time.Hour).Unix()
	st.put(t, expired)
	expiresNow := member("org/dave", dave)
	expiresNow.KeyExpiry = testNow.Unix()
	st.put(t, expiresNow)
	expiresLater := member("org/erin", erin)
	expiresLater.KeyExpiry = testNow.Add(time.Second).Unix()
	st.put(t, expiresLater)
	st.put(t, member("gone/frank", frank)) // organisation "gone" was removed: no org record

	var mu sync.Mutex
	heard := map[mempool.Reason]int{}
	p := newPool(t, newLedger(1), func(c *mempool.Config) {
		c.Authenticate = st.authenticate
		c.Refused = func(r mempool.Reason) {
			mu.Lock()
			defer mu.Unlock()
			heard[r]++
		}
	})
	cases := []struct {
		name  string
		raw   []byte
		admit bool
	}{
		{"unknown sender", signAs(t, "org/nobody", outsider, 1), false},
		{"unknown organisation", signAs(t, "nowhere/x", outsider, 2), false},
		{"wrong key for a real member", signAs(t, "org/alice", outsider, 3), false},
		{"another member's key", signAs(t, "org/alice", erin, 4), false},
		{"revoked member", signAs(t, "org/bob", bob, 5), false},
		{"expired key", signAs(t, "org/carol", carol, 6), false},
		{"key expiring at this instant", signAs(t, "org/dave", dave, 7), false},
		{"removed organisation", signAs(t, "gone/frank", frank, 8), false},
		{"member", signAs(t, "org/alice", testKey, 9), true},
		{"member whose key expires later", signAs(t, "org/erin", erin, 10), true},
	}
	msgs := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := add(t, p, tc.raw)[0]
			_, known := p.Lookup(tx.HashID(tc.raw))
			if tc.admit {
				if r.Err != nil || !known {
					t.Fatalf("refused a member's transaction: %v (%q)", r.Err, r.Reason)
				}
				return
			}
			if !errors.Is(r.Err, mempool.ErrNotMember) || r.Reason != mempool.ReasonNotMember {
				t.Fatalf("Add = %v (%q), want %v (%q)", r.Err, r.Reason, mempool.ErrNotMember, mempool.ReasonNotMember)
			}
			if known {
				t.Error("a refused transaction is in the pool")
			}
			msgs[tc.name] = r.Err.Error()
		})
	}
	// One message for every refusal: none names the sender, says whether it
	// exists, or carries the authenticator's detail.
	for name, m := range msgs {
		if m != mempool.ErrNotMember.Error() {
			t.Errorf("%s: refusal %q, want exactly %q", name, m, mempool.ErrNotMember)
		}
		for _, leak := range []string{"org/", "nobody", "revoked", "expired", "removed", "not a member"} {
			if strings.Contains(m, leak) {
				t.Errorf("%s: refusal %q reveals %q", name, m, leak)
			}
		}
	}
	if u, w := msgs["unknown sender"], msgs["wrong key for a real member"]; u == "" || u != w {
		t.Errorf("unknown sender refused with %q, a member's id with the wrong key with %q: they must be identical", u, w)
	}
	if p.Pending() != 2 {
		t.Errorf("%d pending, want the 2 members' transactions", p.Pending())
	}
	mu.Lock()
	defer mu.Unlock()
	if heard[mempool.ReasonNotMember] != 8 || len(heard) != 1 {
		t.Errorf("Refused heard %v, want not_member 8 times", heard)
	}
}

// TestAddMembershipAfterSignature: the signature is checked first, so a
// badly signed transaction is refused as such whoever it names, and the
// member check never runs for it.
func TestAddMembershipAfterSignature(t *testing.T) {
	var calls sync.Map
	st := newMembers(t)
	p := newPool(t, newLedger(1), func(c *mempool.Config) {
		c.Authenticate = func(s *tx.Signed) error {
			calls.Store(s.Body.Sender, true)
			return st.authenticate(s)
		}
	})
	for _, sender := range []string{"org/alice", "org/nobody"} {
		raw := flipSig(t, signAs(t, sender, testKey, 1), 0, 1)
		if r := add(t, p, raw)[0]; !errors.Is(r.Err, tx.ErrSignature) || r.Reason != mempool.ReasonBadSignature {
			t.Errorf("%s, bad signature: Add = %v (%q), want a bad signature", sender, r.Err, r.Reason)
		}
		if _, ok := calls.Load(sender); ok {
			t.Errorf("%s: the member check ran on a transaction whose signature is bad", sender)
		}
	}
}

// TestAddSeesRevocationAtOnce: the pool keeps no membership of its own; a
// key revoked in state is refused from the next admission on.
func TestAddSeesRevocationAtOnce(t *testing.T) {
	st := newMembers(t)
	p := newPool(t, newLedger(1), func(c *mempool.Config) { c.Authenticate = st.authenticate })
	mustAdd(t, p, signAs(t, "org/alice", testKey, 1))
	alice := identity.Member{ID: "org/alice", Org: "org", Roles: []string{identityvocab.RolePatient},
		SignKey: testKey.Public()}
	alice.Revoked = true
	st.put(t, alice)
	if r := add(t, p, signAs(t, "org/alice", testKey, 2))[0]; !errors.Is(r.Err, mempool.ErrNotMember) {
		t.Fatalf("after revocation Add = %v, want %v", r.Err, mempool.ErrNotMember)
	}
	rotated := seededKey(t, 42)
	alice.Revoked, alice.SignKey = false, rotated.Public()
	st.put(t, alice)
	if r := add(t, p, signAs(t, "org/alice", testKey, 3))[0]; !errors.Is(r.Err, mempool.ErrNotMember) {
		t.Fatalf("old key after rotation: Add = %v, want %v", r.Err, mempool.ErrNotMember)
	}
	mustAdd(t, p, signAs(t, "org/alice", rotated, 4))
}

// TestAddMemberCheckError: when membership cannot be read, the
// transaction is refused as an internal failure (ReasonOther), not as a
// non-member, and not admitted.
func TestAddMemberCheckError(t *testing.T) {
	st := newMembers(t)
	p := newPool(t, newLedger(1), func(c *mempool.Config) { c.Authenticate = st.authenticate })
	boom := errors.New("disk on fire")
	st.fail(boom)
	r := add(t, p, signAs(t, "org/alice", testKey, 1))[0]
	if !errors.Is(r.Err, boom) || errors.Is(r.Err, mempool.ErrNotMember) || r.Reason != mempool.ReasonOther {
		t.Fatalf("Add = %v (%q), want the read error with reason %q", r.Err, r.Reason, mempool.ReasonOther)
	}
	if p.Pending() != 0 {
		t.Errorf("%d pending, want 0", p.Pending())
	}
}
