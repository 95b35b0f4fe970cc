package genesis

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cloudflare/circl/kem/xwing"

	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	"github.com/almoner/almoner/consortium-node/contracts/identity/memberid"
	identity "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/privacy/sign"
)

// KeyFile is a development key file: the seeds of a member's or node's
// signing and encryption keys, stored unencrypted (mode 0600). Production
// keys belong in the keystore (privacy issue); these are for dev networks.
type KeyFile struct {
	ID       string `json:"id"`
	SignSeed string `json:"sign_seed"`          // hex Ed25519 seed
	EncSeed  string `json:"enc_seed,omitempty"` // hex X-Wing seed
}

// SignKey returns the signing key.
func (k *KeyFile) SignKey() (*sign.PrivateKey, error) {
	seed, err := hex.DecodeString(k.SignSeed)
	if err != nil {
		return nil, fmt.Errorf("key file %q: sign_seed: %w", k.ID, err)
	}
	return sign.NewKeyFromSeed(sign.Ed25519, seed)
}

// EncryptionKey returns the public encryption key.
func (k *KeyFile) EncryptionKey() (identity.EncryptionKey, error) {
	seed, err := hex.DecodeString(k.EncSeed)
	if err != nil || len(seed) != xwing.SeedSize {
		return identity.EncryptionKey{}, fmt.Errorf("key file %q: enc_seed must be %d hex bytes", k.ID, xwing.SeedSize)
	}
	_, pk := xwing.DeriveKeyPairPacked(seed)
	return identity.EncryptionKey{Alg: identity.EncAlgXWing, Key: pk}, nil
}

// KeyPath returns where Dev stores the key file of id inside dir.
func KeyPath(dir, id string) string {
	return filepath.Join(dir, "keys", strings.ReplaceAll(id, "/", "_")+".json")
}

// LoadKeyFile reads a key file.
func LoadKeyFile(path string) (*KeyFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var k KeyFile
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return &k, nil
}

// NewKeyFile generates fresh seeds for id.
func NewKeyFile(id string, r io.Reader) (*KeyFile, error) {
	if r == nil {
		r = rand.Reader
	}
	s := make([]byte, sign.Ed25519SeedSize)
	e := make([]byte, xwing.SeedSize)
	if _, err := io.ReadFull(r, s); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(r, e); err != nil {
		return nil, err
	}
	return &KeyFile{ID: id, SignSeed: hex.EncodeToString(s), EncSeed: hex.EncodeToString(e)}, nil
}

// Save writes the key file with mode 0600, refusing to overwrite.
func (k *KeyFile) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(k, "", "  ")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// DevOptions configure a development consortium.
type DevOptions struct {
	ChainID string
	// Nodes is the number of nodes (1 for the embedded default, 4 for the
	// dev network: one per organisation, round robin).
	Nodes int
	// BasePort: node i's API listens on 127.0.0.1:BasePort+i and its raft
	// transport on 127.0.0.1:BasePort+100+i.
	BasePort int
	Time     time.Time
	// Orgs, if set, replace DevOrgs (tests of other consortium shapes,
	// such as two hospitals); DevMembers of organisations not among them
	// are left out. Nodes go round robin over them.
	Orgs []identity.Org
	// ExtraMembers are added after DevMembers.
	ExtraMembers []DevAccount
}

// DevAccount is a member of a dev consortium and its roles.
type DevAccount struct {
	ID    string
	Roles []string
}

// DevMember describes a demo account of the dev consortium.
type DevMember struct{ ID, Org, Roles string }

// DevOrgs are the dev consortium's organisations.
var DevOrgs = []identity.Org{
	{ID: "stmarys", Kind: identity.KindHospital, Name: "St Mary's Hospital"},
	{ID: "acme", Kind: identity.KindInsurer, Name: "Acme Health Insurance"},
	{ID: "hope", Kind: identity.KindCharity, Name: "Hope Foundation"},
	{ID: "healthreg", Kind: identity.KindRegulator, Name: "Health Regulator"},
}

// DevMembers are one account per role, plus an admin per organisation.
var DevMembers = []struct {
	ID    string
	Roles []string
}{
	{"stmarys/admin", []string{identity.RoleOrgAdmin, identity.RoleConsortiumAdmin}},
	{"stmarys/dr-lee", []string{identity.RolePhysician}},
	{"stmarys/clerk", []string{identity.RoleRecordsClerk}},
	{"stmarys/privacy", []string{identity.RolePrivacyOfficer}},
	{"stmarys/patient-ana", []string{identity.RolePatient}},
	{"acme/admin", []string{identity.RoleOrgAdmin, identity.RoleConsortiumAdmin}},
	{"acme/adjuster", []string{identity.RoleClaimsAdjuster}},
	{"hope/admin", []string{identity.RoleOrgAdmin, identity.RoleConsortiumAdmin}},
	{"hope/officer", []string{identity.RoleCharityOfficer}},
	{"healthreg/validator", []string{identity.RoleMilestoneValidator}},
	{"hope/donor-sam", []string{identity.RoleDonor}},
	{"healthreg/admin", []string{identity.RoleOrgAdmin, identity.RoleConsortiumAdmin}},
	{"healthreg/auditor", []string{identity.RoleAuditor}},
}

// Dev creates a development consortium in dir: genesis.json and a key file
// per member and node under dir/keys. It refuses to overwrite an existing
// genesis.json.
func Dev(dir string, o DevOptions) (*File, error) {
	if o.ChainID == "" {
		o.ChainID = "almoner-dev"
	}
	if o.Nodes <= 0 {
		o.Nodes = 1
	}
	if o.BasePort == 0 {
		o.BasePort = 7070
	}
	if o.Time.IsZero() {
		o.Time = time.Now().UTC().Truncate(time.Second)
	}
	path := filepath.Join(dir, "genesis.json")
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("genesis: %s already exists; remove the folder to start a new consortium", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	orgs := DevOrgs
	if len(o.Orgs) > 0 {
		orgs = o.Orgs
	}
	f := &File{ChainID: o.ChainID, GenesisTime: o.Time, Params: DefaultParams(), Organisations: orgs}
	// Each hospital's claims fingerprint key, in dir/claims-keys (the
	// portal with --dev reads them; a real hospital keeps its own).
	keyDir := filepath.Join(dir, claimdoc.KeyDir)
	if err := os.RemoveAll(keyDir); err != nil { // left by an interrupted init: no genesis uses them
		return nil, err
	}
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return nil, err
	}
	f.ClaimsKeyIDs = map[string]string{}
	for _, o := range orgs {
		if o.Kind != identity.KindHospital {
			continue
		}
		ck, err := claimdoc.NewKey(nil)
		if err != nil {
			return nil, err
		}
		err = ck.Save(filepath.Join(keyDir, claimdoc.KeyFile(o.ID)))
		f.ClaimsKeyIDs[o.ID] = ck.ID()
		ck.Destroy()
		if err != nil {
			return nil, err
		}
	}
	members := make([]DevAccount, 0, len(DevMembers)+len(o.ExtraMembers))
	for _, m := range DevMembers {
		if slices.ContainsFunc(orgs, func(g identity.Org) bool { return g.ID == identity.OrgOf(m.ID) }) {
			members = append(members, DevAccount(m))
		}
	}
	for _, m := range append(members, o.ExtraMembers...) {
		kf, err := NewKeyFile(m.ID, nil)
		if err != nil {
			return nil, err
		}
		sk, err := kf.SignKey()
		if err != nil {
			return nil, err
		}
		ek, err := kf.EncryptionKey()
		if err != nil {
			return nil, err
		}
		if err := kf.Save(KeyPath(dir, m.ID)); err != nil {
			return nil, err
		}
		f.Members = append(f.Members, identity.Member{ID: m.ID, Org: memberid.OrgOf(m.ID), Roles: m.Roles, SignKey: sk.Public(), EncKey: ek})
	}
	for i := 0; i < o.Nodes; i++ {
		org := orgs[i%len(orgs)].ID
		id := fmt.Sprintf("%s-node%d", org, i+1)
		kf, err := NewKeyFile(id, nil)
		if err != nil {
			return nil, err
		}
		if err := kf.Save(KeyPath(dir, id)); err != nil {
			return nil, err
		}
		sk, _ := kf.SignKey()
		ek, err := kf.EncryptionKey()
		if err != nil {
			return nil, err
		}
		f.Nodes = append(f.Nodes, Node{
			ID: id, Org: org, RaftID: uint64(i + 1), SignKey: sk.Public(), EncKey: ek,
			APIAddr:  fmt.Sprintf("127.0.0.1:%d", o.BasePort+i),
			RaftAddr: fmt.Sprintf("127.0.0.1:%d", o.BasePort+100+i),
		})
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if err := f.Save(path); err != nil {
		return nil, err
	}
	return f, nil
}
