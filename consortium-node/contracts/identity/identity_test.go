package identity_test

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
)

// newChain is a hospital (stmarys) with two admins and a physician, and an
// insurer (acme) with an admin, on the default policy.
func newChain(t *testing.T) *chaintest.Chain {
	return newChainWith(t, nil)
}

func newChainWith(t *testing.T, rules []policies.Rule, extra ...chaintest.Member) *chaintest.Chain {
	t.Helper()
	return chaintest.New(t, chaintest.Options{
		Orgs: chaintest.Orgs("stmarys", "acme"),
		Members: append([]chaintest.Member{
			{ID: "stmarys/admin", Roles: []string{identityvocab.RoleOrgAdmin}},
			{ID: "stmarys/admin2", Roles: []string{identityvocab.RoleOrgAdmin}},
			{ID: "stmarys/dr-lee", Roles: []string{identityvocab.RolePhysician}},
			{ID: "acme/admin", Roles: []string{identityvocab.RoleOrgAdmin}},
		}, extra...),
		Rules: rules,
	})
}

// as runs an identity call by sender in its own block.
func as(c *chaintest.Chain, sender, method string, args ...tx.Arg) error {
	return c.Call(sender, identity.Name, method, args...).Err
}

// rolesArgs name member id and roles (set_roles); addArgs add the
// member's keys (add_member).
func rolesArgs(id string, roles ...string) []tx.Arg {
	return []tx.Arg{tx.String(identityvocab.ArgID, id), tx.Strings(identityvocab.ArgRoles, roles)}
}

func addArgs(id string, roles ...string) []tx.Arg {
	return append(rolesArgs(id, roles...), tx.String(identityvocab.ArgSignKey, chaintest.Key(id).Public().String()),
		tx.String(identityvocab.ArgEncKey, chaintest.EncKey(id).String()))
}

func TestIdentity(t *testing.T) {
	// deny names the expected policy denial: action and holding organisation.
	type deny struct{ act, org string }
	cases := []struct {
		name    string
		sender  string
		method  string
		args    []tx.Arg
		wantErr error
		wantMsg string
		deny    *deny
	}{
		{"admin adds member", "stmarys/admin", "add_member",
			addArgs("stmarys/nurse-1", identityvocab.RoleRecordsClerk), nil, "", nil},
		{"duplicate member", "stmarys/admin", "add_member", addArgs("stmarys/dr-lee", identityvocab.RolePhysician), contracts.ErrConflict, `conflict: member "stmarys/dr-lee" already exists`, nil},
		{"physician cannot add", "stmarys/dr-lee", "add_member", addArgs("stmarys/x", identityvocab.RolePatient),
			contracts.ErrDenied, "allowed for: org_admin", &deny{"add", "stmarys"}},
		{"cross-org admin cannot add", "acme/admin", "add_member",
			addArgs("stmarys/spy", identityvocab.RolePhysician), contracts.ErrDenied, "belonging to stmarys/spy",
			&deny{"add", "stmarys"}},
		{"unknown role", "stmarys/admin", "add_member", addArgs("stmarys/y", "wizard"), contracts.ErrInvalid, "unknown role", nil},
		{"role unsuited to the organisation", "acme/admin", "add_member",
			addArgs("acme/doc", identityvocab.RolePhysician), contracts.ErrInvalid, "not for a member of a insurer",
			nil},
		{"bad id", "stmarys/admin", "add_member", addArgs("stmarys/Bad Name", identityvocab.RolePatient),
			contracts.ErrInvalid, "may use only", nil},
		{"missing keys", "stmarys/admin", "add_member",
			rolesArgs("stmarys/z", identityvocab.RolePatient), contracts.ErrInvalid, "sign_key", nil},
		{"set roles", "stmarys/admin", "set_roles",
			rolesArgs("stmarys/dr-lee", identityvocab.RolePhysician, identityvocab.RolePrivacyOfficer), nil, "", nil},
		{"set roles unsuited to the organisation", "stmarys/admin", "set_roles",
			rolesArgs("stmarys/dr-lee", identityvocab.RoleClaimsAdjuster), contracts.ErrInvalid, "not for a member of a hospital", nil},
		{"set roles of an unknown member", "stmarys/admin", "set_roles",
			rolesArgs("stmarys/nobody", identityvocab.RolePatient), contracts.ErrNotFound, "stmarys/nobody", nil},
		{"admin cannot drop own admin", "stmarys/admin", "set_roles",
			rolesArgs("stmarys/admin", identityvocab.RolePhysician), contracts.ErrDenied, "own org_admin", nil},
		{"cross-org set roles", "acme/admin", "set_roles",
			rolesArgs("stmarys/dr-lee", identityvocab.RoleOrgAdmin), contracts.ErrDenied, "belonging to stmarys/dr-lee", &deny{"set_roles", "stmarys"}},
		{"rotate another's keys as non-admin", "stmarys/dr-lee", "rotate_keys",
			[]tx.Arg{tx.String(identityvocab.ArgID, "stmarys/admin"),
				tx.String(identityvocab.ArgSignKey,
					chaintest.Key("new").Public().String())}, contracts.ErrDenied, "belonging to stmarys/admin", &deny{"rotate_keys", "stmarys"}},
		{"cross-org rotate keys", "acme/admin", "rotate_keys",
			[]tx.Arg{tx.String(identityvocab.ArgID, "stmarys/dr-lee"),
				tx.String(identityvocab.ArgEncKey,
					chaintest.EncKey("x").String())}, contracts.ErrDenied, "belonging to stmarys/dr-lee", &deny{"rotate_keys", "stmarys"}},
		{"admin rotates a member's keys", "stmarys/admin", "rotate_keys",
			[]tx.Arg{tx.String(identityvocab.ArgID, "stmarys/dr-lee"),
				tx.String(identityvocab.ArgEncKey, chaintest.EncKey("y").String())}, nil, "", nil},
		{"member rotates own keys", "stmarys/dr-lee", "rotate_keys",
			[]tx.Arg{tx.String(identityvocab.ArgID, "stmarys/dr-lee"),
				tx.String(identityvocab.ArgEncKey, chaintest.EncKey("z").String())}, nil, "", nil},
		{"rotate nothing", "stmarys/dr-lee", "rotate_keys",
			[]tx.Arg{tx.String(identityvocab.ArgID, "stmarys/dr-lee")}, contracts.ErrInvalid, "give sign_key", nil},
		{"cross-org revoke", "acme/admin", "revoke_member",
			[]tx.Arg{tx.String(identityvocab.ArgID, "stmarys/dr-lee")}, contracts.ErrDenied,
			"belonging to stmarys/dr-lee", &deny{"revoke", "stmarys"}},
		{"physician cannot revoke", "stmarys/dr-lee", "revoke_member",
			[]tx.Arg{tx.String(identityvocab.ArgID, "stmarys/admin2")}, contracts.ErrDenied, "allowed for: org_admin",
			&deny{"revoke", "stmarys"}},
		{"revoke self", "stmarys/admin", "revoke_member", []tx.Arg{tx.String(identityvocab.ArgID, "stmarys/admin")},
			contracts.ErrDenied, "cannot revoke themselves", nil},
		{"unknown method", "stmarys/admin", "delete_everything", nil, contracts.ErrUnknownMethod, "methods:", nil},
		{"unknown sender", "stmarys/ghost", "rotate_keys", nil, contracts.ErrUnauthenticated, "not a member", nil},
	}
	c := newChain(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Snapshot()
			err := as(c, tc.sender, tc.method, tc.args...)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("got %v, want %v containing %q", err, tc.wantErr, tc.wantMsg)
			}
			if tc.deny != nil {
				chaintest.WantDenied(t, err, tc.sender, tc.deny.act, "member", tc.deny.org)
			}
			if !maps.Equal(c.Snapshot(), before) {
				t.Fatal("failed transaction changed state")
			}
		})
	}
	m, err := identity.LoadMember(c.Reader(), "stmarys/dr-lee")
	if err != nil || !m.HasRole(identityvocab.RolePrivacyOfficer) || m.EncKey.String() != chaintest.EncKey("z").String() {
		t.Fatalf("roles or keys not updated: %+v %v", m, err)
	}
	if _, err := identity.LoadMember(c.Reader(), "stmarys/nurse-1"); err != nil {
		t.Fatalf("added member: %v", err)
	}
	if _, ok := c.Reader().Get(identity.MemberStateKey("stmarys/spy")); ok {
		t.Fatal("cross-organisation add wrote a member")
	}
}

// A role change is part of the policy from the block after the one that
// commits it: transactions later in the same block are decided on the
// roles as of the block's start.
func TestRoleChangesTakeEffectNextBlock(t *testing.T) {
	c := newChain(t)
	promote := c.Sign("stmarys/admin", identity.Name, identityvocab.MethodSetRoles,
		rolesArgs("stmarys/dr-lee", identityvocab.RolePhysician, identityvocab.RoleOrgAdmin)...)
	early := c.Sign("stmarys/dr-lee", identity.Name, identityvocab.MethodAddMember,
		addArgs("stmarys/new-1", identityvocab.RolePatient)...)
	res := c.Block(promote, early)
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	chaintest.WantDenied(t, res[1].Err, "stmarys/dr-lee", "add", "member", "stmarys")
	if err := as(c, "stmarys/dr-lee", "add_member", addArgs("stmarys/new-1", identityvocab.RolePatient)...); err != nil {
		t.Fatalf("promoted admin, next block: %v", err)
	}

	// A demotion likewise: the old roles decide the rest of its block.
	demote := c.Sign("stmarys/admin", identity.Name, identityvocab.MethodSetRoles,
		rolesArgs("stmarys/dr-lee", identityvocab.RolePhysician)...)
	late := c.Sign("stmarys/dr-lee", identity.Name, identityvocab.MethodAddMember,
		addArgs("stmarys/new-2", identityvocab.RolePatient)...)
	res = c.Block(demote, late)
	if res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("demotion block: %v, %v", res[0].Err, res[1].Err)
	}
	err := as(c, "stmarys/dr-lee", "add_member", addArgs("stmarys/new-3", identityvocab.RolePatient)...)
	chaintest.WantDenied(t, err, "stmarys/dr-lee", "add", "member", "stmarys")
}

// add_member checks that the organisation exists. The default policy
// already refuses adding to another organisation, so the check is reached
// by a policy that lets consortium admins add members anywhere.
func TestAddMemberNeedsOrganisation(t *testing.T) {
	anywhere := policies.Rule{Sub: identityvocab.RoleConsortiumAdmin, Dom: "*", Obj: "member", Act: "add",
		Cond: "any", Eft: policies.Allow}
	c := newChainWith(t, append(policies.DefaultRules(), anywhere),
		chaintest.Member{ID: "stmarys/ops", Roles: []string{identityvocab.RoleConsortiumAdmin}})
	err := as(c, "stmarys/ops", "add_member", addArgs("ghost/x", identityvocab.RoleOrgAdmin)...)
	if !errors.Is(err, contracts.ErrNotFound) || !strings.Contains(err.Error(), `organisation "ghost"`) {
		t.Fatalf("member of a missing organisation: %v", err)
	}
	if _, ok := c.Reader().Get(identity.MemberStateKey("ghost/x")); ok {
		t.Fatal("member of a missing organisation written")
	}
	if err := as(c, "stmarys/ops", "add_member", addArgs("acme/y", identityvocab.RoleClaimsAdjuster)...); err != nil {
		t.Fatalf("the rule allows adding to an existing organisation: %v", err)
	}
	// Under the default policy the same request is a denial.
	err = as(newChain(t), "stmarys/admin", "add_member", addArgs("ghost/x", identityvocab.RoleOrgAdmin)...)
	chaintest.WantDenied(t, err, "stmarys/admin", "add", "member", "ghost")
}

func TestKeyRotationAndRevocation(t *testing.T) {
	c := newChain(t)
	fresh := chaintest.Key("fresh dr-lee")
	if err := as(c, "stmarys/dr-lee", "rotate_keys", tx.String(identityvocab.ArgID, "stmarys/dr-lee"),
		tx.String(identityvocab.ArgSignKey, fresh.Public().String())); err != nil {
		t.Fatal(err)
	}
	// The old key (the one the chain still signs with) no longer
	// authenticates; the new one does.
	err := as(c, "stmarys/dr-lee", "rotate_keys", tx.String(identityvocab.ArgID, "stmarys/dr-lee"),
		tx.String(identityvocab.ArgEncKey, chaintest.EncKey("3").String()))
	if !errors.Is(err, contracts.ErrUnauthenticated) {
		t.Fatalf("old key accepted: %v", err)
	}
	c.AddKey("stmarys/dr-lee", fresh)
	if err := as(c, "stmarys/dr-lee", "rotate_keys", tx.String(identityvocab.ArgID, "stmarys/dr-lee"),
		tx.String(identityvocab.ArgEncKey, chaintest.EncKey("3").String())); err != nil {
		t.Fatal(err)
	}
	// Revoked members can no longer sign anything, nor have keys rotated.
	if err := as(c, "stmarys/admin", "revoke_member", tx.String(identityvocab.ArgID, "stmarys/dr-lee")); err != nil {
		t.Fatal(err)
	}
	err = as(c, "stmarys/dr-lee", "rotate_keys", tx.String(identityvocab.ArgID, "stmarys/dr-lee"),
		tx.String(identityvocab.ArgEncKey, chaintest.EncKey("4").String()))
	if !errors.Is(err, contracts.ErrUnauthenticated) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked member accepted: %v", err)
	}
	err = as(c, "stmarys/admin", "rotate_keys", tx.String(identityvocab.ArgID, "stmarys/dr-lee"),
		tx.String(identityvocab.ArgSignKey, chaintest.Key("again").Public().String()))
	if !errors.Is(err, contracts.ErrDenied) || !strings.Contains(err.Error(), "is revoked") {
		t.Fatalf("revoked member's keys rotated: %v", err)
	}
	// A status conflict says "conflict", not "already exists" (the
	// sentinel's text leads every wrapped message).
	if err := as(c, "stmarys/admin", "revoke_member",
		tx.String(identityvocab.ArgID, "stmarys/dr-lee")); !errors.Is(err, contracts.ErrConflict) ||
		err.Error() != `conflict: member "stmarys/dr-lee" is already revoked` {
		t.Fatalf("revoked twice: %v", err)
	}
}

func TestGenesisValidation(t *testing.T) {
	k := chaintest.Key("a1/x")
	good := identity.Member{ID: "a1/x", Org: "a1", Roles: []string{identityvocab.RoleDonor}, SignKey: k.Public(),
		EncKey: chaintest.EncKey("a1/x")}
	orgs := []identity.Org{{ID: "a1", Kind: identityvocab.KindCharity, Name: "A"}}
	bad := []struct {
		name    string
		orgs    []identity.Org
		members []identity.Member
	}{
		{"unknown kind", []identity.Org{{ID: "a1", Kind: "bank", Name: "A"}}, nil},
		{"dup org", append(orgs, orgs[0]), nil},
		{"member of missing org", nil, []identity.Member{good}},
		{"dup member", orgs, []identity.Member{good, good}},
		{"short enc key", orgs,
			[]identity.Member{{ID: "a1/x", Org: "a1", Roles: []string{identityvocab.RoleDonor}, SignKey: k.Public(),
				EncKey: identity.EncryptionKey{Alg: identityvocab.EncAlgXWing, Key: []byte{1}}}}},
		{"org mismatch", orgs,
			[]identity.Member{{ID: "b2/x", Org: "a1", Roles: []string{identityvocab.RoleDonor}, SignKey: k.Public(),
				EncKey: chaintest.EncKey("b2/x")}}},
		{"role unsuited to the organisation", orgs,
			[]identity.Member{{ID: "a1/x", Org: "a1", Roles: []string{identityvocab.RolePatient}, SignKey: k.Public(),
				EncKey: chaintest.EncKey("a1/x")}}},
	}
	for _, b := range bad {
		if _, err := identity.Genesis(b.orgs, b.members); err == nil {
			t.Errorf("%s: accepted", b.name)
		}
	}
	if _, err := identity.Genesis(orgs, []identity.Member{good}); err != nil {
		t.Fatal(err)
	}
}

func TestKeyExpiry(t *testing.T) {
	c := newChain(t)
	c.Now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	k := chaintest.Key("stmarys/temp")
	c.AddKey("stmarys/temp", k)
	// addPatient adds patient id with key k, expiring at expiry.
	addPatient := func(id string, expiry time.Time) error {
		return as(c, "stmarys/admin", "add_member", append(rolesArgs(id, identityvocab.RolePatient),
			tx.String(identityvocab.ArgSignKey, k.Public().String()),
			tx.String(identityvocab.ArgEncKey, chaintest.EncKey("5").String()),
			tx.Int(identityvocab.ArgKeyExpiry, expiry.Unix()))...)
	}
	if err := addPatient("stmarys/temp", c.Now.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := addPatient("stmarys/past", c.Now.Add(-time.Hour)); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("expiry in the past accepted: %v", err)
	}
	rotateEnc := func() error {
		return as(c, "stmarys/temp", "rotate_keys", tx.String(identityvocab.ArgID, "stmarys/temp"),
			tx.String(identityvocab.ArgEncKey, chaintest.EncKey("6").String()))
	}
	if err := rotateEnc(); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	c.Now = c.Now.Add(25 * time.Hour) // block time passes the expiry
	if err := rotateEnc(); !errors.Is(err, contracts.ErrUnauthenticated) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired key accepted: %v", err)
	}
	// An admin of the member's organisation rotates in a new key (no
	// expiry): the member signs again. An admin of another cannot.
	fresh := chaintest.Key("fresh temp")
	err := as(c, "acme/admin", "rotate_keys", tx.String(identityvocab.ArgID, "stmarys/temp"),
		tx.String(identityvocab.ArgSignKey, fresh.Public().String()))
	chaintest.WantDenied(t, err, "acme/admin", "rotate_keys", "member", "stmarys")
	if err := as(c, "stmarys/admin", "rotate_keys", tx.String(identityvocab.ArgID, "stmarys/temp"),
		tx.String(identityvocab.ArgSignKey, fresh.Public().String())); err != nil {
		t.Fatal(err)
	}
	c.AddKey("stmarys/temp", fresh)
	if err := rotateEnc(); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	m, err := identity.LoadMember(c.Reader(), "stmarys/temp")
	if err != nil || m.KeyExpiry != 0 || !m.SignKey.Equal(fresh.Public()) {
		t.Fatalf("after rotation: %+v %v", m, err)
	}
}

// TestNewIDArg: the id of what a call creates is a text argument holding a
// valid organisation-style id; anything else is ErrInvalid.
func TestNewIDArg(t *testing.T) {
	for _, tc := range []struct {
		name string
		args tx.Args
		want string // "" for an ErrInvalid
	}{
		{"valid", tx.Args{tx.String("new_id", "clinic-2026")}, "clinic-2026"},
		{"missing", tx.Args{tx.String("other", "clinic-2026")}, ""},
		{"not text", tx.Args{tx.Uint("new_id", 7)}, ""},
		{"upper case", tx.Args{tx.String("new_id", "Clinic")}, ""},
		{"a member id", tx.Args{tx.String("new_id", "stmarys/clinic")}, ""},
	} {
		got, err := identity.NewIDArg(tc.args, "new_id")
		if tc.want != "" && (err != nil || got != tc.want) {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
		if tc.want == "" && (!errors.Is(err, contracts.ErrInvalid) || got != "") {
			t.Errorf("%s: got %q, %v; want ErrInvalid", tc.name, got, err)
		}
	}
}
