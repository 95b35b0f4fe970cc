package identity

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/identity/memberid"
	"github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// Name is the contract's name; its vocabulary (kinds, roles, records) is
// defined once, in identity/vocab.
const Name = vocab.Name

type (
	// EncryptionKey is vocab.EncryptionKey.
	EncryptionKey = vocab.EncryptionKey
	// Org is vocab.Org.
	Org = vocab.Org
	// Member is vocab.Member.
	Member = vocab.Member
	// GenesisWrite is vocab.GenesisWrite.
	GenesisWrite = vocab.GenesisWrite
)

// ParseEncryptionKey parses "xwing:<base64url>" (vocab.ParseEncryptionKey).
func ParseEncryptionKey(s string) (EncryptionKey, error) { return vocab.ParseEncryptionKey(s) }

// OrgOf returns the organisation part of a member id.
func OrgOf(memberID string) string { return memberid.OrgOf(memberID) }

// ValidateID checks an organisation id or a member id (vocab.ValidateID).
func ValidateID(id string, member bool) error { return vocab.ValidateID(id, member) }

// NewIDArg reads the text argument name as the id of what a call creates
// (a campaign, a disbursement, a consent), refusing one that is not a valid
// id.
func NewIDArg(args tx.Args, name string) (string, error) {
	id, err := args.String(name)
	if err != nil {
		return "", contracts.InvalidArg(err)
	}
	if err := ValidateID(id, false); err != nil {
		return "", err
	}
	return id, nil
}

// ValidateRoles checks that roles are known and not repeated.
func ValidateRoles(roles []string) error { return vocab.ValidateRoles(roles) }

// RolesFor returns the roles members of an organisation of kind may hold.
func RolesFor(kind string) []string { return vocab.RolesFor(kind) }

// ValidateRolesFor checks that roles suit an organisation of kind.
func ValidateRolesFor(kind string, roles []string) error { return vocab.ValidateRolesFor(kind, roles) }

// MemberStateKey is the full state key of a member record.
func MemberStateKey(id string) string { return vocab.MemberStateKey(id) }

// OrgStateKey is the full state key of an organisation record.
func OrgStateKey(id string) string { return vocab.OrgStateKey(id) }

// DecodeMember decodes a member record from state.
func DecodeMember(b []byte) (*Member, error) { return vocab.DecodeMember(b) }

// DecodeOrg decodes an organisation record from state.
func DecodeOrg(b []byte) (*Org, error) { return vocab.DecodeOrg(b) }

// Genesis validates the genesis organisations and members and returns the
// state they start with (vocab.Genesis).
func Genesis(orgs []Org, members []Member) ([]GenesisWrite, error) {
	return vocab.Genesis(orgs, members)
}

func memberKey(id string) string { return vocab.MemberKey(id) }
func orgKey(id string) string    { return vocab.OrgKey(id) }

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

// LoadOrgIDs reads the ids of all organisations.
func LoadOrgIDs(r contracts.StateReader) ([]string, error) {
	b, ok := r.Get(vocab.OrgListStateKey)
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
	return authenticate(r, sender, key, now, signerOf)
}

// signer is what Authenticate needs of a member record.
type signer struct {
	org       string
	revoked   bool
	key       sign.PublicKey
	keyExpiry int64
}

// signerOf decodes what Authenticate needs of a member record.
func signerOf(_ string, record []byte) (*signer, error) {
	m, err := DecodeMember(record)
	if err != nil {
		return nil, err
	}
	return &signer{org: m.Org, revoked: m.Revoked, key: m.SignKey, keyExpiry: m.KeyExpiry}, nil
}

// authenticate is Authenticate with the member record decoded by decode
// (given the sender and the record as read).
func authenticate(r contracts.StateReader, sender string, key sign.PublicKey, now time.Time,
	decode func(sender string, record []byte) (*signer, error)) error {
	var m *signer
	b, ok := r.Get(MemberStateKey(sender))
	if ok {
		var err error
		if m, err = decode(sender, b); err != nil {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("%w: %q is not a member of the consortium", contracts.ErrUnauthenticated, sender)
	}
	if m.revoked {
		return fmt.Errorf("%w: member %q has been revoked", contracts.ErrUnauthenticated, sender)
	}
	if _, ok := r.Get(OrgStateKey(m.org)); !ok {
		return fmt.Errorf("%w: organisation %q of member %q was removed from the consortium",
			contracts.ErrUnauthenticated, m.org, sender)
	}
	if !m.key.Equal(key) {
		return fmt.Errorf("%w: transaction is signed with a key that is not member %q's current signing key", contracts.ErrUnauthenticated, sender)
	}
	if m.keyExpiry != 0 && now.Unix() >= m.keyExpiry {
		return fmt.Errorf("%w: member %q's signing key expired at %s; an organisation admin must rotate it",
			contracts.ErrUnauthenticated, sender, time.Unix(m.keyExpiry, 0).UTC().Format(time.RFC3339))
	}
	return nil
}

// Methods implements contracts.Contract.
func (c Contract) Methods() contracts.Methods {
	return contracts.Methods{
		{Name: vocab.MethodAddMember, Run: c.addMember},
		{Name: vocab.MethodSetRoles, Run: c.setRoles},
		{Name: vocab.MethodRotateKeys, Run: c.rotateKeys},
		{Name: vocab.MethodRevokeMember, Run: c.revokeMember},
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
	if required || args.Has(vocab.ArgSignKey) {
		s, err := args.String(vocab.ArgSignKey)
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
	if required || args.Has(vocab.ArgEncKey) {
		s, err := args.String(vocab.ArgEncKey)
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
	if !args.Has(vocab.ArgKeyExpiry) {
		return 0, false, nil
	}
	e, err := args.Int(vocab.ArgKeyExpiry)
	if err != nil {
		return 0, false, contracts.InvalidArg(err)
	}
	if e != 0 && e <= ctx.Time().Unix() {
		return 0, false, fmt.Errorf("%w: key_expiry %d is not in the future", contracts.ErrInvalid, e)
	}
	return e, true, nil
}

func (Contract) addMember(ctx contracts.Context, args tx.Args) error {
	in := contracts.ArgReader{Args: args}
	id := in.String(vocab.ArgID)
	roles := in.Strings(vocab.ArgRoles)
	if in.Err != nil {
		return in.Err
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
	if err := rolesFitOrg(ctx, m.Org, roles); err != nil {
		return err
	}
	if _, exists := ctx.Get(memberKey(id)); exists {
		return fmt.Errorf("%w: member %q already exists", contracts.ErrConflict, id)
	}
	ctx.Set(memberKey(id), vocab.Encode(m))
	ctx.Emit(vocab.EventMemberAdded, ledger.Attr{Key: vocab.AttrMember, Value: id},
		ledger.Attr{Key: vocab.AttrOrg, Value: m.Org},
		ledger.Attr{Key: vocab.AttrRoles, Value: strings.Join(roles, ",")})
	return nil
}

func loadTarget(ctx contracts.Context, args tx.Args) (*Member, error) {
	return contracts.LoadArg(ctx, Name, args, vocab.ArgID, LoadMember)
}

// rolesFitOrg checks that roles suit the kind of the organisation org.
func rolesFitOrg(ctx contracts.Context, org string, roles []string) error {
	kind, err := orgKind(contracts.State(ctx, Name), org)
	if err != nil {
		return err
	}
	return ValidateRolesFor(kind, roles)
}

// loadAuthorized loads the member the call names (loadTarget) once the
// caller may do act on it.
func loadAuthorized(ctx contracts.Context, args tx.Args, act string) (*Member, error) {
	m, err := loadTarget(ctx, args)
	if err != nil {
		return nil, err
	}
	if err := authorize(ctx, m, act); err != nil {
		return nil, err
	}
	return m, nil
}

func (Contract) setRoles(ctx contracts.Context, args tx.Args) error {
	m, err := loadTarget(ctx, args)
	if err != nil {
		return err
	}
	roles, err := args.Strings(vocab.ArgRoles)
	if err != nil {
		return contracts.InvalidArg(err)
	}
	if err := authorize(ctx, m, "set_roles"); err != nil {
		return err
	}
	if err := ValidateRoles(roles); err != nil {
		return err
	}
	if err := rolesFitOrg(ctx, m.Org, roles); err != nil {
		return err
	}
	if m.ID == ctx.Caller() && !slices.Contains(roles, vocab.RoleOrgAdmin) {
		return fmt.Errorf("%w: an organisation admin cannot remove their own %s role; ask another admin",
			contracts.ErrDenied, vocab.RoleOrgAdmin)
	}
	m.Roles = roles
	ctx.Set(memberKey(m.ID), vocab.Encode(m))
	ctx.Emit(vocab.EventRolesChanged, ledger.Attr{Key: vocab.AttrMember, Value: m.ID},
		ledger.Attr{Key: vocab.AttrRoles, Value: strings.Join(roles, ",")})
	return nil
}

func (Contract) rotateKeys(ctx contracts.Context, args tx.Args) error {
	m, err := loadAuthorized(ctx, args, "rotate_keys")
	if err != nil {
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
	ctx.Set(memberKey(m.ID), vocab.Encode(m))
	ctx.Emit(vocab.EventKeysRotated, ledger.Attr{Key: vocab.AttrMember, Value: m.ID},
		ledger.Attr{Key: vocab.AttrSignKey, Value: fmt.Sprint(sk != nil)},
		ledger.Attr{Key: vocab.AttrEncKey, Value: fmt.Sprint(ek != nil)})
	return nil
}

func (Contract) revokeMember(ctx contracts.Context, args tx.Args) error {
	m, err := loadAuthorized(ctx, args, "revoke")
	if err != nil {
		return err
	}
	if m.ID == ctx.Caller() {
		return fmt.Errorf("%w: an organisation admin cannot revoke themselves; ask another admin", contracts.ErrDenied)
	}
	if m.Revoked {
		return fmt.Errorf("%w: member %q is already revoked", contracts.ErrConflict, m.ID)
	}
	m.Revoked = true
	ctx.Set(memberKey(m.ID), vocab.Encode(m))
	ctx.Emit(vocab.EventMemberRevoked, ledger.Attr{Key: vocab.AttrMember, Value: m.ID})
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
		return fmt.Errorf("%w: a new organisation needs at least one %s", contracts.ErrInvalid, vocab.RoleOrgAdmin)
	}
	seen := map[string]bool{}
	for i := range admins {
		m := &admins[i]
		if err := m.Validate(); err != nil {
			return err
		}
		if m.Org != o.ID || !m.HasRole(vocab.RoleOrgAdmin) || m.Revoked {
			return fmt.Errorf("%w: admin %q must be an active %s of %q", contracts.ErrInvalid, m.ID,
				vocab.RoleOrgAdmin, o.ID)
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
	ctx.Set(orgKey(o.ID), vocab.Encode(o))
	ids = append(ids, o.ID)
	slices.Sort(ids)
	ctx.Set("orgs", vocab.Encode(ids))
	ctx.Emit(vocab.EventOrgAdded, ledger.Attr{Key: vocab.AttrOrg, Value: o.ID},
		ledger.Attr{Key: vocab.AttrKind, Value: o.Kind}, ledger.Attr{Key: vocab.AttrName, Value: o.Name})
	for i := range admins {
		m := &admins[i]
		ctx.Set(memberKey(m.ID), vocab.Encode(m))
		ctx.Emit(vocab.EventMemberAdded, ledger.Attr{Key: vocab.AttrMember, Value: m.ID},
			ledger.Attr{Key: vocab.AttrOrg, Value: m.Org},
			ledger.Attr{Key: vocab.AttrRoles, Value: strings.Join(m.Roles, ",")})
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
	ctx.Set("orgs", vocab.Encode(slices.DeleteFunc(ids, func(s string) bool { return s == id })))
	ctx.Emit(vocab.EventOrgRemoved, ledger.Attr{Key: vocab.AttrOrg, Value: id})
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
	return Member{ID: f[0], Org: OrgOf(f[0]), Roles: []string{vocab.RoleOrgAdmin}, SignKey: sk, EncKey: ek}, nil
}
