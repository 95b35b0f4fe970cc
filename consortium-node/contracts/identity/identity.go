package identity

import (
	"encoding/base64"
	"fmt"
	"github.com/almoner/almoner/consortium-node/contracts/identity/memberid"
	"slices"
	"strings"
	"time"

	"github.com/cloudflare/circl/kem/xwing"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// Name is the contract's name.
const Name = "identity"

// Organisation kinds.
const (
	KindHospital  = "hospital"
	KindInsurer   = "insurer"
	KindCharity   = "charity"
	KindRegulator = "regulator"
)

// Roles known to the ledger. Authorisation by role is the policies issue's
// casbin model; this contract only needs org_admin.
const (
	RoleConsortiumAdmin    = "consortium_admin"
	RoleOrgAdmin           = "org_admin"
	RolePhysician          = "physician"
	RoleRecordsClerk       = "records_clerk"
	RolePrivacyOfficer     = "privacy_officer"
	RoleClaimsAdjuster     = "claims_adjuster"
	RoleCharityOfficer     = "charity_officer"
	RoleMilestoneValidator = "milestone_validator"
	RolePatient            = "patient"
	RoleDonor              = "donor"
	RoleAuditor            = "auditor"
)

// Roles lists every known role.
var Roles = []string{
	RoleConsortiumAdmin, RoleOrgAdmin, RolePhysician, RoleRecordsClerk, RolePrivacyOfficer,
	RoleClaimsAdjuster, RoleCharityOfficer, RoleMilestoneValidator, RolePatient, RoleDonor, RoleAuditor,
}

// Kinds lists the organisation kinds.
var Kinds = []string{KindHospital, KindInsurer, KindCharity, KindRegulator}

// EncAlgXWing tags X-Wing (X25519 + ML-KEM-768) encryption keys.
const EncAlgXWing = "xwing"

// EncryptionKey is a member's public KEM key for HPKE key wrapping.
type EncryptionKey struct {
	_   struct{} `cbor:",toarray"`
	Alg string   `json:"alg"`
	Key []byte   `json:"key"`
}

// Validate checks algorithm and size.
func (k EncryptionKey) Validate() error {
	if k.Alg != EncAlgXWing {
		return fmt.Errorf("%w: encryption key algorithm %q, want %q", contracts.ErrInvalid, k.Alg, EncAlgXWing)
	}
	if len(k.Key) != xwing.PublicKeySize {
		return fmt.Errorf("%w: x-wing public key is %d bytes, want %d", contracts.ErrInvalid, len(k.Key), xwing.PublicKeySize)
	}
	return nil
}

// String encodes the key as "xwing:<base64url>".
func (k EncryptionKey) String() string {
	return k.Alg + ":" + base64.RawURLEncoding.EncodeToString(k.Key)
}

// MarshalText implements encoding.TextMarshaler.
func (k EncryptionKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *EncryptionKey) UnmarshalText(b []byte) error {
	p, err := ParseEncryptionKey(string(b))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// ParseEncryptionKey parses "xwing:<base64url>".
func ParseEncryptionKey(s string) (EncryptionKey, error) {
	alg, enc, ok := strings.Cut(s, ":")
	if !ok {
		return EncryptionKey{}, fmt.Errorf("%w: encryption key must look like \"xwing:<base64url>\"", contracts.ErrInvalid)
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return EncryptionKey{}, fmt.Errorf("%w: encryption key: %v", contracts.ErrInvalid, err)
	}
	k := EncryptionKey{Alg: alg, Key: raw}
	return k, k.Validate()
}

// Org is an organisation of the consortium.
type Org struct {
	_    struct{} `cbor:",toarray"`
	ID   string   `json:"id"`
	Kind string   `json:"kind"`
	Name string   `json:"name"`
}

// Member is a person or system acting for an organisation.
type Member struct {
	_       struct{}       `cbor:",toarray"`
	ID      string         `json:"id"`
	Org     string         `json:"org"`
	Roles   []string       `json:"roles"`
	SignKey sign.PublicKey `json:"sign_key"`
	EncKey  EncryptionKey  `json:"enc_key"`
	Revoked bool           `json:"revoked"`
	// KeyExpiry, if non-zero, is when SignKey stops being accepted (Unix
	// seconds, compared with block time); rotate_keys sets a new one.
	KeyExpiry int64 `json:"key_expiry,omitempty"`
}

// HasRole reports whether m has role r.
func (m *Member) HasRole(r string) bool { return slices.Contains(m.Roles, r) }

// OrgOf returns the organisation part of a member id.
func OrgOf(memberID string) string { return memberid.OrgOf(memberID) }

// ValidateID checks an organisation id (name == "") or a member id.
func ValidateID(id string, member bool) error {
	if len(id) < 2 || len(id) > 128 {
		return fmt.Errorf("%w: id %q must be 2 to 128 characters", contracts.ErrInvalid, id)
	}
	for _, r := range id {
		ok := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' || r == '_' || r == '.' || (member && r == '/')
		if !ok {
			return fmt.Errorf("%w: id %q may use only a-z, 0-9, '-', '_', '.'%s", contracts.ErrInvalid, id, map[bool]string{true: " and one '/'", false: ""}[member])
		}
	}
	if member {
		org, name, ok := strings.Cut(id, "/")
		if !ok || org == "" || name == "" || strings.Contains(name, "/") {
			return fmt.Errorf("%w: member id %q must be <org>/<name>", contracts.ErrInvalid, id)
		}
	}
	return nil
}

// ValidateRoles checks that roles are known and not repeated.
func ValidateRoles(roles []string) error {
	if len(roles) == 0 {
		return fmt.Errorf("%w: a member needs at least one role (one of %s)", contracts.ErrInvalid, strings.Join(Roles, ", "))
	}
	seen := map[string]bool{}
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return fmt.Errorf("%w: unknown role %q (one of %s)", contracts.ErrInvalid, r, strings.Join(Roles, ", "))
		}
		if seen[r] {
			return fmt.Errorf("%w: role %q listed twice", contracts.ErrInvalid, r)
		}
		seen[r] = true
	}
	return nil
}

// kindRoles lists the roles a member may hold beyond org_admin and
// consortium_admin (which any organisation's members may hold), by the kind
// of their organisation: an insurer cannot make its staff physicians, nor
// a charity its staff claims adjusters.
var kindRoles = map[string][]string{
	KindHospital:  {RolePhysician, RoleRecordsClerk, RolePrivacyOfficer, RolePatient},
	KindInsurer:   {RoleClaimsAdjuster},
	KindCharity:   {RoleCharityOfficer, RoleMilestoneValidator, RoleDonor},
	KindRegulator: {RoleAuditor, RoleMilestoneValidator},
}

// RolesFor returns the roles members of an organisation of kind may hold.
func RolesFor(kind string) []string {
	return append([]string{RoleOrgAdmin, RoleConsortiumAdmin}, kindRoles[kind]...)
}

// ValidateRolesFor checks that roles suit an organisation of kind.
func ValidateRolesFor(kind string, roles []string) error {
	ok := RolesFor(kind)
	for _, r := range roles {
		if !slices.Contains(ok, r) {
			return fmt.Errorf("%w: role %q is not for a member of a %s (roles there: %s)", contracts.ErrInvalid, r, kind, strings.Join(ok, ", "))
		}
	}
	return nil
}

// orgKind reads the kind of organisation id.
func orgKind(r contracts.StateReader, id string) (string, error) {
	b, ok := r.Get(OrgStateKey(id))
	if !ok {
		return "", fmt.Errorf("%w: organisation %q", contracts.ErrNotFound, id)
	}
	o, err := DecodeOrg(b)
	if err != nil {
		return "", err
	}
	return o.Kind, nil
}

// Validate checks a member record.
func (m *Member) Validate() error {
	if err := ValidateID(m.ID, true); err != nil {
		return err
	}
	if OrgOf(m.ID) != m.Org {
		return fmt.Errorf("%w: member %q must belong to organisation %q", contracts.ErrInvalid, m.ID, OrgOf(m.ID))
	}
	if err := ValidateRoles(m.Roles); err != nil {
		return err
	}
	if err := m.SignKey.CheckRegistrable(); err != nil {
		return fmt.Errorf("%w: signing key: %v", contracts.ErrInvalid, err)
	}
	return m.EncKey.Validate()
}

// Validate checks an organisation record.
func (o *Org) Validate() error {
	if err := ValidateID(o.ID, false); err != nil {
		return err
	}
	if !slices.Contains(Kinds, o.Kind) {
		return fmt.Errorf("%w: organisation kind %q (one of %s)", contracts.ErrInvalid, o.Kind, strings.Join(Kinds, ", "))
	}
	if o.Name == "" || len(o.Name) > 200 {
		return fmt.Errorf("%w: organisation name must be 1 to 200 bytes", contracts.ErrInvalid)
	}
	return nil
}

func orgKey(id string) string    { return "org/" + id }
func memberKey(id string) string { return "member/" + id }

// MemberStateKey is the full state key of a member record.
func MemberStateKey(id string) string { return contracts.Key(Name, memberKey(id)) }

// OrgStateKey is the full state key of an organisation record.
func OrgStateKey(id string) string { return contracts.Key(Name, orgKey(id)) }

func encode(v any) []byte {
	b, err := codec.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("identity: encoding %T: %v", v, err)) // fixed-shape structs
	}
	return b
}

// DecodeMember decodes a member record from state.
func DecodeMember(b []byte) (*Member, error) {
	var m Member
	if err := codec.State.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("identity: corrupt member record: %w", err)
	}
	return &m, nil
}

// DecodeOrg decodes an organisation record from state.
func DecodeOrg(b []byte) (*Org, error) {
	var o Org
	if err := codec.State.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("identity: corrupt organisation record: %w", err)
	}
	return &o, nil
}

// GenesisWrite is a state entry written at genesis.
type GenesisWrite struct {
	Key   string
	Value []byte
}

// Genesis validates the genesis organisations and members and returns the
// state they start with.
func Genesis(orgs []Org, members []Member) ([]GenesisWrite, error) {
	var out []GenesisWrite
	known := map[string]bool{}
	for i := range orgs {
		if err := orgs[i].Validate(); err != nil {
			return nil, fmt.Errorf("genesis organisation %q: %w", orgs[i].ID, err)
		}
		if known[orgs[i].ID] {
			return nil, fmt.Errorf("genesis organisation %q appears twice", orgs[i].ID)
		}
		known[orgs[i].ID] = true
		out = append(out, GenesisWrite{OrgStateKey(orgs[i].ID), encode(&orgs[i])})
	}
	seen := map[string]bool{}
	for i := range members {
		m := &members[i]
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("genesis member %q: %w", m.ID, err)
		}
		if !known[m.Org] {
			return nil, fmt.Errorf("genesis member %q: organisation %q is not in the genesis", m.ID, m.Org)
		}
		for _, o := range orgs {
			if o.ID == m.Org {
				if err := ValidateRolesFor(o.Kind, m.Roles); err != nil {
					return nil, fmt.Errorf("genesis member %q: %w", m.ID, err)
				}
			}
		}
		if seen[m.ID] {
			return nil, fmt.Errorf("genesis member %q appears twice", m.ID)
		}
		seen[m.ID] = true
		out = append(out, GenesisWrite{MemberStateKey(m.ID), encode(m)})
	}
	ids := make([]string, 0, len(orgs))
	for _, o := range orgs {
		ids = append(ids, o.ID)
	}
	slices.Sort(ids)
	out = append(out, GenesisWrite{OrgListStateKey, encode(ids)})
	return out, nil
}

// OrgListStateKey holds the sorted ids of all organisations.
const OrgListStateKey = Name + "/orgs"

// LoadOrgIDs reads the ids of all organisations.
func LoadOrgIDs(r contracts.StateReader) ([]string, error) {
	b, ok := r.Get(OrgListStateKey)
	if !ok {
		return nil, fmt.Errorf("%w: organisation list", contracts.ErrNotFound)
	}
	var ids []string
	if err := codec.State.Unmarshal(b, &ids); err != nil {
		return nil, fmt.Errorf("identity: corrupt organisation list: %w", err)
	}
	return ids, nil
}

// Contract is the identity system contract. It is stateless; all data is in
// the ledger state.
type Contract struct{}

var (
	_ contracts.Contract      = Contract{}
	_ contracts.Authenticator = Contract{}
)

// Name implements contracts.Contract.
func (Contract) Name() string { return Name }

// LoadMember reads a member from any state reader.
func LoadMember(r contracts.StateReader, id string) (*Member, error) {
	b, ok := r.Get(MemberStateKey(id))
	if !ok {
		return nil, fmt.Errorf("%w: member %q", contracts.ErrNotFound, id)
	}
	return DecodeMember(b)
}

// Authenticate implements contracts.Authenticator: the sender must be an
// active member whose current signing key is key.
func (Contract) Authenticate(r contracts.StateReader, sender string, key sign.PublicKey, now time.Time) error {
	m, err := LoadMember(r, sender)
	if err != nil {
		return fmt.Errorf("%w: %q is not a member of the consortium", contracts.ErrUnauthenticated, sender)
	}
	if m.Revoked {
		return fmt.Errorf("%w: member %q has been revoked", contracts.ErrUnauthenticated, sender)
	}
	if _, ok := r.Get(OrgStateKey(m.Org)); !ok {
		return fmt.Errorf("%w: organisation %q of member %q was removed from the consortium", contracts.ErrUnauthenticated, m.Org, sender)
	}
	if !m.SignKey.Equal(key) {
		return fmt.Errorf("%w: transaction is signed with a key that is not member %q's current signing key", contracts.ErrUnauthenticated, sender)
	}
	if m.KeyExpiry != 0 && now.Unix() >= m.KeyExpiry {
		return fmt.Errorf("%w: member %q's signing key expired at %s; an organisation admin must rotate it",
			contracts.ErrUnauthenticated, sender, time.Unix(m.KeyExpiry, 0).UTC().Format(time.RFC3339))
	}
	return nil
}

// Call implements contracts.Contract.
func (c Contract) Call(ctx contracts.Context, method string, args tx.Args) error {
	switch method {
	case "add_member":
		return c.addMember(ctx, args)
	case "set_roles":
		return c.setRoles(ctx, args)
	case "rotate_keys":
		return c.rotateKeys(ctx, args)
	case "revoke_member":
		return c.revokeMember(ctx, args)
	default:
		return fmt.Errorf("%w: identity.%s (methods: add_member, set_roles, rotate_keys, revoke_member)", contracts.ErrUnknownMethod, method)
	}
}

// authorize asks the policy about act on member m (a new member's
// record, for add): the object is held by m's organisation and owned by m.
func authorize(ctx contracts.Context, m *Member, act string) error {
	return ctx.Authorize(contracts.Resource{Type: "member", Org: m.Org, Owner: m.ID}, act)
}

func keysFromArgs(args tx.Args, required bool) (*sign.PublicKey, *EncryptionKey, error) {
	var sk *sign.PublicKey
	var ek *EncryptionKey
	if required || args.Has("sign_key") {
		s, err := args.String("sign_key")
		if err != nil {
			return nil, nil, contracts.InvalidArg(err)
		}
		k, err := sign.ParsePublicKey(s)
		if err == nil {
			err = k.CheckRegistrable()
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: sign_key: %v", contracts.ErrInvalid, err)
		}
		sk = &k
	}
	if required || args.Has("enc_key") {
		s, err := args.String("enc_key")
		if err != nil {
			return nil, nil, contracts.InvalidArg(err)
		}
		k, err := ParseEncryptionKey(s)
		if err != nil {
			return nil, nil, err
		}
		ek = &k
	}
	return sk, ek, nil
}

// keyExpiryArg reads the optional key_expiry argument (Unix seconds, in
// the future by block time; 0 means none).
func keyExpiryArg(ctx contracts.Context, args tx.Args) (int64, bool, error) {
	if !args.Has("key_expiry") {
		return 0, false, nil
	}
	e, err := args.Int("key_expiry")
	if err != nil {
		return 0, false, contracts.InvalidArg(err)
	}
	if e != 0 && e <= ctx.Time().Unix() {
		return 0, false, fmt.Errorf("%w: key_expiry %d is not in the future", contracts.ErrInvalid, e)
	}
	return e, true, nil
}

func (Contract) addMember(ctx contracts.Context, args tx.Args) error {
	id, err := args.String("id")
	if err != nil {
		return contracts.InvalidArg(err)
	}
	roles, err := args.Strings("roles")
	if err != nil {
		return contracts.InvalidArg(err)
	}
	sk, ek, err := keysFromArgs(args, true)
	if err != nil {
		return err
	}
	expiry, _, err := keyExpiryArg(ctx, args)
	if err != nil {
		return err
	}
	m := &Member{ID: id, Org: OrgOf(id), Roles: roles, SignKey: *sk, EncKey: *ek, KeyExpiry: expiry}
	if err := ValidateID(id, true); err != nil {
		return err
	}
	if err := authorize(ctx, m, "add"); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	kind, err := orgKind(contracts.State(ctx, Name), m.Org)
	if err != nil {
		return err
	}
	if err := ValidateRolesFor(kind, roles); err != nil {
		return err
	}
	if _, exists := ctx.Get(memberKey(id)); exists {
		return fmt.Errorf("%w: member %q already exists", contracts.ErrConflict, id)
	}
	ctx.Set(memberKey(id), encode(m))
	ctx.Emit("member_added", ledger.Attr{Key: "member", Value: id}, ledger.Attr{Key: "org", Value: m.Org},
		ledger.Attr{Key: "roles", Value: strings.Join(roles, ",")})
	return nil
}

func loadTarget(ctx contracts.Context, args tx.Args) (*Member, error) {
	id, err := args.String("id")
	if err != nil {
		return nil, contracts.InvalidArg(err)
	}
	return LoadMember(contracts.State(ctx, Name), id)
}

func (Contract) setRoles(ctx contracts.Context, args tx.Args) error {
	m, err := loadTarget(ctx, args)
	if err != nil {
		return err
	}
	roles, err := args.Strings("roles")
	if err != nil {
		return contracts.InvalidArg(err)
	}
	if err := authorize(ctx, m, "set_roles"); err != nil {
		return err
	}
	if err := ValidateRoles(roles); err != nil {
		return err
	}
	kind, err := orgKind(contracts.State(ctx, Name), m.Org)
	if err != nil {
		return err
	}
	if err := ValidateRolesFor(kind, roles); err != nil {
		return err
	}
	if m.ID == ctx.Caller() && !slices.Contains(roles, RoleOrgAdmin) {
		return fmt.Errorf("%w: an organisation admin cannot remove their own %s role; ask another admin", contracts.ErrDenied, RoleOrgAdmin)
	}
	m.Roles = roles
	ctx.Set(memberKey(m.ID), encode(m))
	ctx.Emit("roles_changed", ledger.Attr{Key: "member", Value: m.ID}, ledger.Attr{Key: "roles", Value: strings.Join(roles, ",")})
	return nil
}

func (Contract) rotateKeys(ctx contracts.Context, args tx.Args) error {
	m, err := loadTarget(ctx, args)
	if err != nil {
		return err
	}
	if err := authorize(ctx, m, "rotate_keys"); err != nil {
		return err
	}
	if m.Revoked {
		return fmt.Errorf("%w: member %q is revoked", contracts.ErrDenied, m.ID)
	}
	sk, ek, err := keysFromArgs(args, false)
	if err != nil {
		return err
	}
	expiry, hasExpiry, err := keyExpiryArg(ctx, args)
	if err != nil {
		return err
	}
	if sk == nil && ek == nil && !hasExpiry {
		return fmt.Errorf("%w: give sign_key, enc_key, key_expiry or a combination", contracts.ErrInvalid)
	}
	if sk != nil {
		m.SignKey = *sk
		m.KeyExpiry = 0 // a new key starts without the old key's expiry
	}
	if hasExpiry {
		m.KeyExpiry = expiry
	}
	if ek != nil {
		m.EncKey = *ek
	}
	ctx.Set(memberKey(m.ID), encode(m))
	ctx.Emit("keys_rotated", ledger.Attr{Key: "member", Value: m.ID},
		ledger.Attr{Key: "sign_key", Value: fmt.Sprint(sk != nil)}, ledger.Attr{Key: "enc_key", Value: fmt.Sprint(ek != nil)})
	return nil
}

func (Contract) revokeMember(ctx contracts.Context, args tx.Args) error {
	m, err := loadTarget(ctx, args)
	if err != nil {
		return err
	}
	if err := authorize(ctx, m, "revoke"); err != nil {
		return err
	}
	if m.ID == ctx.Caller() {
		return fmt.Errorf("%w: an organisation admin cannot revoke themselves; ask another admin", contracts.ErrDenied)
	}
	if m.Revoked {
		return fmt.Errorf("%w: member %q is already revoked", contracts.ErrConflict, m.ID)
	}
	m.Revoked = true
	ctx.Set(memberKey(m.ID), encode(m))
	ctx.Emit("member_revoked", ledger.Attr{Key: "member", Value: m.ID})
	return nil
}

func removedKey(id string) string { return "removed/" + id }

// CheckAddOrg says whether organisation o can join with admins as its
// first members (each must hold org_admin). It only reads state; AddOrg
// writes.
func CheckAddOrg(r contracts.StateReader, o *Org, admins []Member) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if _, ok := r.Get(OrgStateKey(o.ID)); ok {
		return fmt.Errorf("%w: organisation %q already exists", contracts.ErrConflict, o.ID)
	}
	if _, ok := r.Get(contracts.Key(Name, removedKey(o.ID))); ok {
		return fmt.Errorf("%w: organisation id %q belonged to a removed organisation; ids are never reused", contracts.ErrConflict, o.ID)
	}
	if len(admins) == 0 {
		return fmt.Errorf("%w: a new organisation needs at least one %s", contracts.ErrInvalid, RoleOrgAdmin)
	}
	seen := map[string]bool{}
	for i := range admins {
		m := &admins[i]
		if err := m.Validate(); err != nil {
			return err
		}
		if m.Org != o.ID || !m.HasRole(RoleOrgAdmin) || m.Revoked {
			return fmt.Errorf("%w: admin %q must be an active %s of %q", contracts.ErrInvalid, m.ID, RoleOrgAdmin, o.ID)
		}
		if seen[m.ID] {
			return fmt.Errorf("%w: admin %q listed twice", contracts.ErrInvalid, m.ID)
		}
		seen[m.ID] = true
		if _, ok := r.Get(MemberStateKey(m.ID)); ok {
			return fmt.Errorf("%w: member %q already exists", contracts.ErrConflict, m.ID)
		}
	}
	return nil
}

// AddOrg writes an organisation and its admins that CheckAddOrg accepted.
// ctx must be the identity contract's (Context.As).
func AddOrg(ctx contracts.Context, o *Org, admins []Member) error {
	ids, err := LoadOrgIDs(contracts.State(ctx, Name))
	if err != nil {
		return err
	}
	ctx.Set(orgKey(o.ID), encode(o))
	ids = append(ids, o.ID)
	slices.Sort(ids)
	ctx.Set("orgs", encode(ids))
	ctx.Emit("org_added", ledger.Attr{Key: "org", Value: o.ID}, ledger.Attr{Key: "kind", Value: o.Kind}, ledger.Attr{Key: "name", Value: o.Name})
	for i := range admins {
		m := &admins[i]
		ctx.Set(memberKey(m.ID), encode(m))
		ctx.Emit("member_added", ledger.Attr{Key: "member", Value: m.ID}, ledger.Attr{Key: "org", Value: m.Org},
			ledger.Attr{Key: "roles", Value: strings.Join(m.Roles, ",")})
	}
	return nil
}

// CheckRemoveOrg says whether organisation id can be removed.
func CheckRemoveOrg(r contracts.StateReader, id string) error {
	if _, ok := r.Get(OrgStateKey(id)); !ok {
		return fmt.Errorf("%w: organisation %q", contracts.ErrNotFound, id)
	}
	ids, err := LoadOrgIDs(r)
	if err != nil {
		return err
	}
	if len(ids) == 1 {
		return fmt.Errorf("%w: cannot remove the last organisation", contracts.ErrDenied)
	}
	return nil
}

// RemoveOrg removes an organisation that CheckRemoveOrg accepted: its
// members can no longer authenticate (from the next transaction on) and
// its id is never reused. ctx must be the identity contract's.
func RemoveOrg(ctx contracts.Context, id string) error {
	ids, err := LoadOrgIDs(contracts.State(ctx, Name))
	if err != nil {
		return err
	}
	ctx.Delete(orgKey(id))
	ctx.Set(removedKey(id), []byte{1})
	ctx.Set("orgs", encode(slices.DeleteFunc(ids, func(s string) bool { return s == id })))
	ctx.Emit("org_removed", ledger.Attr{Key: "org", Value: id})
	return nil
}

// ParseAdmin parses "<member id> <sign key> <enc key>" (an organisation's
// first admin in an onboarding proposal) into a member with role org_admin.
func ParseAdmin(s string) (Member, error) {
	f := strings.Fields(s)
	if len(f) != 3 {
		return Member{}, fmt.Errorf("%w: admin %q must be \"<member id> <sign key> <enc key>\"", contracts.ErrInvalid, s)
	}
	sk, err := sign.ParsePublicKey(f[1])
	if err != nil {
		return Member{}, fmt.Errorf("%w: admin %q sign key: %v", contracts.ErrInvalid, f[0], err)
	}
	ek, err := ParseEncryptionKey(f[2])
	if err != nil {
		return Member{}, err
	}
	if err := ValidateID(f[0], true); err != nil {
		return Member{}, err
	}
	return Member{ID: f[0], Org: OrgOf(f[0]), Roles: []string{RoleOrgAdmin}, SignKey: sk, EncKey: ek}, nil
}
