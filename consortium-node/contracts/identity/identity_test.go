package identity

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/kem/xwing"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/exec"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

type chain struct {
	t     *testing.T
	state map[string][]byte
	reg   *contracts.Registry
	keys  map[string]*sign.PrivateKey
	nonce uint64
	now   time.Time
}

func (c *chain) Get(k string) ([]byte, bool, error) { v, ok := c.state[k]; return v, ok, nil }

func key(t *testing.T, seed byte) *sign.PrivateKey {
	k, err := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func encKey(seed byte) EncryptionKey {
	_, pk := xwing.DeriveKeyPairPacked(bytes.Repeat([]byte{seed}, 32))
	return EncryptionKey{Alg: EncAlgXWing, Key: pk}
}

func newChain(t *testing.T) *chain {
	c := &chain{t: t, state: map[string][]byte{}, keys: map[string]*sign.PrivateKey{}}
	orgs := []Org{{ID: "stmarys", Kind: KindHospital, Name: "St Mary's"}, {ID: "acme", Kind: KindInsurer, Name: "Acme Health"}}
	var members []Member
	for i, m := range []struct{ id, org, role string }{
		{"stmarys/admin", "stmarys", RoleOrgAdmin}, {"stmarys/admin2", "stmarys", RoleOrgAdmin},
		{"stmarys/dr-lee", "stmarys", RolePhysician}, {"acme/admin", "acme", RoleOrgAdmin},
	} {
		k := key(t, byte(i+1))
		c.keys[m.id] = k
		members = append(members, Member{ID: m.id, Org: m.org, Roles: []string{m.role}, SignKey: k.Public(), EncKey: encKey(byte(i))})
	}
	ws, err := Genesis(orgs, members)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		c.state[w.Key] = w.Value
	}
	c.reg, err = contracts.NewRegistry(Contract{}, Contract{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// run executes one transaction as a block and applies its writes.
func (c *chain) run(sender string, signer *sign.PrivateKey, method string, args ...tx.Arg) error {
	c.nonce++
	s, err := tx.Sign(tx.Body{ChainID: "t", Sender: sender, Nonce: c.nonce, Expiry: 10,
		Call: tx.Call{Contract: Name, Method: method, Args: args}}, signer)
	if err != nil {
		c.t.Fatal(err)
	}
	enc, _ := s.Encode()
	txn := c.reg.Txn(contracts.Block{ChainID: "t", Height: 1, Time: c.now}, s, tx.HashID(enc), false)
	res, err := exec.Serial(c, []exec.Txn{txn})
	if err != nil {
		c.t.Fatal(err)
	}
	for _, w := range res.Writes {
		if w.Deleted {
			delete(c.state, w.Key)
		} else {
			c.state[w.Key] = w.Value
		}
	}
	return res.Outcomes[0].Err
}

func (c *chain) as(sender, method string, args ...tx.Arg) error {
	return c.run(sender, c.keys[sender], method, args...)
}

func TestIdentity(t *testing.T) {
	newKey := key(t, 50)
	addArgs := func(id string, roles ...string) []tx.Arg {
		return []tx.Arg{tx.String("id", id), tx.Strings("roles", roles),
			tx.String("sign_key", newKey.Public().String()), tx.String("enc_key", encKey(9).String())}
	}
	cases := []struct {
		name    string
		sender  string
		method  string
		args    []tx.Arg
		wantErr error
		wantMsg string
	}{
		{"admin adds member", "stmarys/admin", "add_member", addArgs("stmarys/nurse-1", RoleRecordsClerk), nil, ""},
		{"duplicate member", "stmarys/admin", "add_member", addArgs("stmarys/dr-lee", RolePhysician), contracts.ErrConflict, "already exists"},
		{"physician cannot add", "stmarys/dr-lee", "add_member", addArgs("stmarys/x", RolePatient), contracts.ErrDenied, "requires role org_admin"},
		{"cross-org admin denied", "acme/admin", "add_member", addArgs("stmarys/spy", RolePhysician), contracts.ErrDenied, "organisation \"stmarys\""},
		{"unknown role", "stmarys/admin", "add_member", addArgs("stmarys/y", "wizard"), contracts.ErrInvalid, "unknown role"},
		{"bad id", "stmarys/admin", "add_member", addArgs("stmarys/Bad Name", RolePatient), contracts.ErrInvalid, "may use only"},
		{"missing keys", "stmarys/admin", "add_member", []tx.Arg{tx.String("id", "stmarys/z"), tx.Strings("roles", []string{RolePatient})}, contracts.ErrInvalid, "sign_key"},
		{"set roles", "stmarys/admin", "set_roles", []tx.Arg{tx.String("id", "stmarys/dr-lee"), tx.Strings("roles", []string{RolePhysician, RolePrivacyOfficer})}, nil, ""},
		{"admin cannot drop own admin", "stmarys/admin", "set_roles", []tx.Arg{tx.String("id", "stmarys/admin"), tx.Strings("roles", []string{RolePhysician})}, contracts.ErrDenied, "own org_admin"},
		{"cross-org set roles", "acme/admin", "set_roles", []tx.Arg{tx.String("id", "stmarys/dr-lee"), tx.Strings("roles", []string{RoleOrgAdmin})}, contracts.ErrDenied, ""},
		{"rotate another's keys as non-admin", "stmarys/dr-lee", "rotate_keys", []tx.Arg{tx.String("id", "stmarys/admin"), tx.String("sign_key", newKey.Public().String())}, contracts.ErrDenied, ""},
		{"rotate nothing", "stmarys/dr-lee", "rotate_keys", []tx.Arg{tx.String("id", "stmarys/dr-lee")}, contracts.ErrInvalid, "give sign_key"},
		{"revoke self", "stmarys/admin", "revoke_member", []tx.Arg{tx.String("id", "stmarys/admin")}, contracts.ErrDenied, "cannot revoke themselves"},
		{"unknown method", "stmarys/admin", "delete_everything", nil, contracts.ErrUnknownMethod, "methods:"},
		{"unknown sender", "stmarys/ghost", "rotate_keys", nil, contracts.ErrUnauthenticated, "not a member"},
	}
	c := newChain(t)
	c.keys["stmarys/ghost"] = key(t, 99)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(c.state)
			err := c.as(tc.sender, tc.method, tc.args...)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("got %v, want %v containing %q", err, tc.wantErr, tc.wantMsg)
			}
			if len(c.state) != before {
				t.Fatal("failed transaction changed state")
			}
		})
	}
	m, err := LoadMember(mapGet(c.state), "stmarys/dr-lee")
	if err != nil || !m.HasRole(RolePrivacyOfficer) {
		t.Fatalf("roles not updated: %+v %v", m, err)
	}
}

type mapGet map[string][]byte

func (m mapGet) Get(k string) ([]byte, bool) { v, ok := m[k]; return v, ok }

func TestKeyRotationAndRevocation(t *testing.T) {
	c := newChain(t)
	old := c.keys["stmarys/dr-lee"]
	fresh := key(t, 77)
	if err := c.as("stmarys/dr-lee", "rotate_keys", tx.String("id", "stmarys/dr-lee"), tx.String("sign_key", fresh.Public().String())); err != nil {
		t.Fatal(err)
	}
	// The old key no longer authenticates; the new one does.
	err := c.run("stmarys/dr-lee", old, "rotate_keys", tx.String("id", "stmarys/dr-lee"), tx.String("enc_key", encKey(3).String()))
	if !errors.Is(err, contracts.ErrUnauthenticated) {
		t.Fatalf("old key accepted: %v", err)
	}
	if err := c.run("stmarys/dr-lee", fresh, "rotate_keys", tx.String("id", "stmarys/dr-lee"), tx.String("enc_key", encKey(3).String())); err != nil {
		t.Fatal(err)
	}
	// Revoked members can no longer sign anything.
	if err := c.as("stmarys/admin", "revoke_member", tx.String("id", "stmarys/dr-lee")); err != nil {
		t.Fatal(err)
	}
	err = c.run("stmarys/dr-lee", fresh, "rotate_keys", tx.String("id", "stmarys/dr-lee"), tx.String("enc_key", encKey(4).String()))
	if !errors.Is(err, contracts.ErrUnauthenticated) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked member accepted: %v", err)
	}
}

func TestGenesisValidation(t *testing.T) {
	k := key(t, 1)
	good := Member{ID: "a1/x", Org: "a1", Roles: []string{RolePatient}, SignKey: k.Public(), EncKey: encKey(1)}
	orgs := []Org{{ID: "a1", Kind: KindCharity, Name: "A"}}
	bad := []struct {
		name    string
		orgs    []Org
		members []Member
	}{
		{"unknown kind", []Org{{ID: "a1", Kind: "bank", Name: "A"}}, nil},
		{"dup org", append(orgs, orgs[0]), nil},
		{"member of missing org", nil, []Member{good}},
		{"dup member", orgs, []Member{good, good}},
		{"short enc key", orgs, []Member{{ID: "a1/x", Org: "a1", Roles: []string{RolePatient}, SignKey: k.Public(), EncKey: EncryptionKey{Alg: EncAlgXWing, Key: []byte{1}}}}},
		{"org mismatch", orgs, []Member{{ID: "b2/x", Org: "a1", Roles: []string{RolePatient}, SignKey: k.Public(), EncKey: encKey(1)}}},
	}
	for _, b := range bad {
		if _, err := Genesis(b.orgs, b.members); err == nil {
			t.Errorf("%s: accepted", b.name)
		}
	}
	if _, err := Genesis(orgs, []Member{good}); err != nil {
		t.Fatal(err)
	}
}

func TestKeyExpiry(t *testing.T) {
	c := newChain(t)
	c.now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	k := key(t, 60)
	c.keys["stmarys/temp"] = k
	if err := c.as("stmarys/admin", "add_member", tx.String("id", "stmarys/temp"), tx.Strings("roles", []string{RolePatient}),
		tx.String("sign_key", k.Public().String()), tx.String("enc_key", encKey(5).String()),
		tx.Int("key_expiry", c.now.Add(24*time.Hour).Unix())); err != nil {
		t.Fatal(err)
	}
	if err := c.as("stmarys/admin", "add_member", tx.String("id", "stmarys/past"), tx.Strings("roles", []string{RolePatient}),
		tx.String("sign_key", k.Public().String()), tx.String("enc_key", encKey(5).String()),
		tx.Int("key_expiry", c.now.Add(-time.Hour).Unix())); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("expiry in the past accepted: %v", err)
	}
	rotateEnc := func() error {
		return c.as("stmarys/temp", "rotate_keys", tx.String("id", "stmarys/temp"), tx.String("enc_key", encKey(6).String()))
	}
	if err := rotateEnc(); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	c.now = c.now.Add(25 * time.Hour) // block time passes the expiry
	if err := rotateEnc(); !errors.Is(err, contracts.ErrUnauthenticated) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired key accepted: %v", err)
	}
	// An admin rotates in a new key (no expiry): the member signs again.
	fresh := key(t, 61)
	if err := c.as("stmarys/admin", "rotate_keys", tx.String("id", "stmarys/temp"), tx.String("sign_key", fresh.Public().String())); err != nil {
		t.Fatal(err)
	}
	c.keys["stmarys/temp"] = fresh
	if err := rotateEnc(); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
}
