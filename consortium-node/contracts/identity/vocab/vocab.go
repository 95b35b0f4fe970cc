// Package vocab is the identity contract's vocabulary, defined once: its
// name, the organisation kinds and roles, the arguments its methods read
// (Arg*) and its events' attributes (Attr*) as Shape declares them, the
// shape and validation of organisation, member and encryption-key records,
// their state keys and encoding, and the genesis state they start with. The identity contract
// (consortium-node/contracts/identity), the genesis file format
// (consortium-node/genesis), the node API's client and the portal import
// it. It may import the standard library, circl's X-Wing, privacy/sign, tx
// (the canonical encoding), contracts/vocab and memberid; never a contract
// implementation or the executor.
package vocab

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudflare/circl/kem/xwing"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/identity/memberid"
	contracts "github.com/almoner/almoner/consortium-node/contracts/vocab"
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

// Validate checks a member record.
func (m *Member) Validate() error {
	if err := ValidateID(m.ID, true); err != nil {
		return err
	}
	if memberid.OrgOf(m.ID) != m.Org {
		return fmt.Errorf("%w: member %q must belong to organisation %q", contracts.ErrInvalid, m.ID, memberid.OrgOf(m.ID))
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

// OrgKey and MemberKey are the keys of an organisation's and a member's
// record in the identity contract's key space.
func OrgKey(id string) string    { return "org/" + id }
func MemberKey(id string) string { return "member/" + id }

// MemberStateKey is the full state key of a member record.
func MemberStateKey(id string) string { return contracts.Key(Name, MemberKey(id)) }

// OrgStateKey is the full state key of an organisation record.
func OrgStateKey(id string) string { return contracts.Key(Name, OrgKey(id)) }

// Encode is the state value of v, one of the contract's fixed-shape
// records (deterministic CBOR); it panics if v does not encode, which a
// fixed shape never does.
func Encode(v any) []byte { return codec.MustMarshal("identity", v) }

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
		out = append(out, GenesisWrite{OrgStateKey(orgs[i].ID), Encode(&orgs[i])})
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
		out = append(out, GenesisWrite{MemberStateKey(m.ID), Encode(m)})
	}
	ids := make([]string, 0, len(orgs))
	for _, o := range orgs {
		ids = append(ids, o.ID)
	}
	slices.Sort(ids)
	out = append(out, GenesisWrite{OrgListStateKey, Encode(ids)})
	return out, nil
}

// OrgListStateKey holds the sorted ids of all organisations.
const OrgListStateKey = Name + "/orgs"

// Events the contract emits that others read (the portal's read model).
const (
	EventOrgAdded      = "org_added"
	EventOrgRemoved    = "org_removed"
	EventMemberAdded   = "member_added"
	EventRolesChanged  = "roles_changed"
	EventKeysRotated   = "keys_rotated"
	EventMemberRevoked = "member_revoked"
)

// Events lists every event the contract emits.
func Events() []string {
	return []string{EventOrgAdded, EventOrgRemoved, EventMemberAdded, EventRolesChanged, EventKeysRotated,
		EventMemberRevoked}
}

// Methods of the contract.
const (
	MethodAddMember    = "add_member"
	MethodSetRoles     = "set_roles"
	MethodRotateKeys   = "rotate_keys"
	MethodRevokeMember = "revoke_member"
)

// Arguments of the contract's methods.
const (
	ArgID        = "id" // the member's id, "<org>/<name>"
	ArgRoles     = "roles"
	ArgSignKey   = "sign_key"
	ArgEncKey    = "enc_key"
	ArgKeyExpiry = "key_expiry" // Unix seconds
)

// Attributes of the contract's events.
const (
	AttrMember  = "member"
	AttrOrg     = "org"
	AttrRoles   = "roles" // comma-separated
	AttrSignKey = "sign_key"
	AttrEncKey  = "enc_key"
	AttrKind    = "kind"
	AttrName    = "name"
)

// Shape declares the arguments each method reads and the attributes each
// event carries (an organisation's events are emitted by the governance
// contract's approved proposals, in this contract's name).
func Shape() contracts.Shape {
	return contracts.Shape{
		Methods: map[string][]string{
			MethodAddMember:    {ArgID, ArgRoles, ArgSignKey, ArgEncKey, ArgKeyExpiry},
			MethodSetRoles:     {ArgID, ArgRoles},
			MethodRotateKeys:   {ArgID, ArgSignKey, ArgEncKey, ArgKeyExpiry},
			MethodRevokeMember: {ArgID},
		},
		Events: map[string][]string{
			EventOrgAdded:      {AttrOrg, AttrKind, AttrName},
			EventOrgRemoved:    {AttrOrg},
			EventMemberAdded:   {AttrMember, AttrOrg, AttrRoles},
			EventRolesChanged:  {AttrMember, AttrRoles},
			EventKeysRotated:   {AttrMember, AttrSignKey, AttrEncKey},
			EventMemberRevoked: {AttrMember},
		},
	}
}
