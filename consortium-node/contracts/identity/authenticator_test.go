package identity_test

import (
	"bytes"
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/testseed"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

var authSeed = flag.Uint64("identity.seed", 0, "seed for the randomised authenticator test (0: a new one)")

// mapState is state as a map.
type mapState map[string][]byte

func (m mapState) Get(k string) ([]byte, bool) { v, ok := m[k]; return v, ok }

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestAuthenticatorAgrees: the Authenticator, which keeps senders' decoded
// records, answers exactly as Contract.Authenticate over random changes of
// state — keys rotated, expiring, members revoked and restored,
// organisations removed and added, records missing or corrupt, the same
// record re-encoded into fresh bytes — and with a bound that lets go of
// senders.
func TestAuthenticatorAgrees(t *testing.T) {
	r := testseed.Rand(t, *authSeed, "-identity.seed")
	keys := make([]*sign.PrivateKey, 3)
	for i := range keys {
		k, err := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{byte(i + 1)}, sign.Ed25519SeedSize))
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	senders := []string{"stmarys/a", "stmarys/b", "acme/c", "acme/d", "hope/e"}
	orgs := []string{"stmarys", "acme", "hope"}
	st := mapState{}
	now := time.Unix(1_000_000, 0)
	put := func(m identity.Member) {
		b, err := codec.Marshal(&m)
		if err != nil {
			t.Fatal(err)
		}
		st[identity.MemberStateKey(m.ID)] = b
	}
	member := func(id string) identity.Member {
		org := id[:bytes.IndexByte([]byte(id), '/')]
		return identity.Member{ID: id, Org: org, Roles: []string{identityvocab.RolePatient},
			SignKey: keys[r.IntN(len(keys))].Public(),
			EncKey:  identity.EncryptionKey{Alg: "x-wing", Key: bytes.Repeat([]byte{9}, 64)}}
	}
	for _, o := range orgs {
		st[identity.OrgStateKey(o)] = []byte("org " + o)
	}
	for _, s := range senders {
		put(member(s))
	}
	for _, bound := range []int{0, 2} {
		a := identity.NewAuthenticator(bound)
		for step := range 3000 {
			s := senders[r.IntN(len(senders))]
			switch r.IntN(12) {
			case 0: // rotate
				m := member(s)
				put(m)
			case 1: // revoke or restore
				b := st[identity.MemberStateKey(s)]
				if m, err := identity.DecodeMember(b); err == nil {
					m.Revoked = !m.Revoked
					put(*m)
				}
			case 2: // an expiry, past or future
				if m, err := identity.DecodeMember(st[identity.MemberStateKey(s)]); err == nil {
					m.KeyExpiry = now.Unix() + int64(r.IntN(5)) - 2
					put(*m)
				}
			case 3: // organisation removed or back
				o := orgs[r.IntN(len(orgs))]
				if _, ok := st[identity.OrgStateKey(o)]; ok {
					delete(st, identity.OrgStateKey(o))
				} else {
					st[identity.OrgStateKey(o)] = []byte("org " + o)
				}
			case 4: // removed, or corrupt
				if r.IntN(2) == 0 {
					delete(st, identity.MemberStateKey(s))
				} else {
					st[identity.MemberStateKey(s)] = []byte{0x83, 0x01}
				}
			case 5: // the same record in fresh bytes
				if b, ok := st[identity.MemberStateKey(s)]; ok {
					st[identity.MemberStateKey(s)] = bytes.Clone(b)
				}
			case 6:
				now = now.Add(time.Second)
			}
			key := keys[r.IntN(len(keys))].Public()
			want := identity.Contract{}.Authenticate(st, s, key, now)
			got := a.Authenticate(st, s, key, now)
			if errText(got) != errText(want) {
				t.Fatalf("bound %d step %d sender %s: Authenticator says %q, Contract %q",
					bound, step, s, errText(got), errText(want))
			}
		}
	}
}

// TestAuthenticatorConcurrent: Block-STM authenticates on every core at
// once (run with -race).
func TestAuthenticatorConcurrent(t *testing.T) {
	k, err := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{1}, sign.Ed25519SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	st := mapState{identity.OrgStateKey("stmarys"): []byte("org")}
	for i := range 8 {
		b, err := codec.Marshal(&identity.Member{ID: fmt.Sprintf("stmarys/m%d", i), Org: "stmarys", SignKey: k.Public(),
			EncKey: identity.EncryptionKey{Alg: "x-wing", Key: []byte{1}}})
		if err != nil {
			t.Fatal(err)
		}
		st[identity.MemberStateKey(fmt.Sprintf("stmarys/m%d", i))] = b
	}
	a := identity.NewAuthenticator(4)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				if err := a.Authenticate(st, fmt.Sprintf("stmarys/m%d", (i+g)%8), k.Public(), time.Unix(1, 0)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestAuthenticationWithinBlock: a sender's record changed earlier in the
// same block (key rotated, member revoked) decides its later transactions
// in execution, serially and on Block-STM alike, also after the executor's
// authenticator has kept the record as it was before the block.
func TestAuthenticationWithinBlock(t *testing.T) {
	run := func(parallel bool) []string {
		c := newChainWith(t, nil)
		if parallel {
			c = chaintest.New(t, chaintest.Options{Parallel: true,
				Orgs: chaintest.Orgs("stmarys"),
				Members: []chaintest.Member{{ID: "stmarys/admin", Roles: []string{identityvocab.RoleOrgAdmin}},
					{ID: "stmarys/dr-lee", Roles: []string{identityvocab.RolePhysician}}}})
		}
		enc := func(n string) tx.Arg { return tx.String(identityvocab.ArgEncKey, chaintest.EncKey(n).String()) }
		own := func(args ...tx.Arg) *tx.Signed {
			args = append([]tx.Arg{tx.String(identityvocab.ArgID, "stmarys/dr-lee")}, args...)
			return c.Sign("stmarys/dr-lee", identity.Name, identityvocab.MethodRotateKeys, args...)
		}
		// dr-lee's record is read (and kept) by the block before.
		if res := c.Block(own(enc("1"))); res[0].Err != nil {
			t.Fatal(res[0].Err)
		}
		fresh := chaintest.Key("fresh dr-lee")
		var got []string
		for _, r := range c.Block(
			own(enc("2")), // accepted
			own(tx.String(identityvocab.ArgSignKey, fresh.Public().String())), // rotates its own signing key
			own(enc("3")), // signed with the old key: refused
		) {
			got = append(got, errText(r.Err))
		}
		c.AddKey("stmarys/dr-lee", fresh)
		for _, r := range c.Block(
			own(enc("4")), // the new key: accepted
			c.Sign("stmarys/admin", identity.Name, identityvocab.MethodRevokeMember,
				tx.String(identityvocab.ArgID, "stmarys/dr-lee")),
			own(enc("5")), // revoked: refused
		) {
			got = append(got, errText(r.Err))
		}
		return got
	}
	serial, parallel := run(false), run(true)
	if fmt.Sprint(serial) != fmt.Sprint(parallel) {
		t.Fatalf("serial %q, Block-STM %q", serial, parallel)
	}
	for i, want := range []string{"<nil>", "<nil>", "current signing key", "<nil>", "<nil>", "revoked"} {
		got := serial[i]
		if (want == "<nil>") != (got == "<nil>") || !strings.Contains(got, strings.TrimPrefix(want, "<nil>")) {
			t.Errorf("transaction %d: %q, want %q", i, got, want)
		}
	}
}
