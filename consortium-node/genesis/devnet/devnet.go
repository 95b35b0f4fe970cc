// Package devnet creates development consortiums: a genesis file and an
// unencrypted key file per member and node (genesis.KeyFile, mode 0600)
// in one folder, with the demo organisations (Orgs) and one account per
// role (Members), and each hospital's claims fingerprint key. The node's
// `init --dev`, the demo seed and the in-process test nodes (nodetest) use
// it; production consortiums write their genesis file by hand
// (docs/genesis.md). It imports the genesis file format and the contracts'
// vocabulary packages only.
package devnet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	"github.com/almoner/almoner/consortium-node/contracts/identity/memberid"
	identity "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
)

// Options configure a development consortium.
type Options struct {
	ChainID string
	// Nodes is the number of nodes (1 for the embedded default, 4 for the
	// dev network: one per organisation, round robin).
	Nodes int
	// BasePort: node i's API listens on 127.0.0.1:BasePort+i and its raft
	// transport on 127.0.0.1:BasePort+100+i.
	BasePort int
	Time     time.Time
	// Orgs, if set, replace Orgs (tests of other consortium shapes,
	// such as two hospitals); Members of organisations not among them
	// are left out. Nodes go round robin over them.
	Orgs []identity.Org
	// ExtraMembers are added after Members.
	ExtraMembers []Account
}

// Account is a member of a dev consortium and its roles.
type Account struct {
	ID    string
	Roles []string
}

// Orgs are the dev consortium's organisations.
var Orgs = []identity.Org{
	{ID: "stmarys", Kind: identity.KindHospital, Name: "St Mary's Hospital"},
	{ID: "acme", Kind: identity.KindInsurer, Name: "Acme Health Insurance"},
	{ID: "hope", Kind: identity.KindCharity, Name: "Hope Foundation"},
	{ID: "healthreg", Kind: identity.KindRegulator, Name: "Health Regulator"},
}

// Members are one account per role, plus an admin per organisation.
var Members = []struct {
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

// Create creates a development consortium in dir: genesis.json and a key
// file per member and node under dir/keys. It refuses to overwrite an
// existing genesis.json.
func Create(dir string, o Options) (*genesis.File, error) {
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
	orgs := Orgs
	if len(o.Orgs) > 0 {
		orgs = o.Orgs
	}
	f := &genesis.File{ChainID: o.ChainID, GenesisTime: o.Time, Params: genesis.DefaultParams(), Organisations: orgs}
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
	members := make([]Account, 0, len(Members)+len(o.ExtraMembers))
	for _, m := range Members {
		if slices.ContainsFunc(orgs, func(g identity.Org) bool { return g.ID == memberid.OrgOf(m.ID) }) {
			members = append(members, Account(m))
		}
	}
	for _, m := range append(members, o.ExtraMembers...) {
		kf, err := genesis.NewKeyFile(m.ID, nil)
		if err != nil {
			return nil, err
		}
		sk, ek, err := kf.Public()
		if err != nil {
			return nil, err
		}
		if err := kf.Save(genesis.KeyPath(dir, m.ID)); err != nil {
			return nil, err
		}
		f.Members = append(f.Members, identity.Member{ID: m.ID, Org: memberid.OrgOf(m.ID), Roles: m.Roles, SignKey: sk, EncKey: ek})
	}
	for i := 0; i < o.Nodes; i++ {
		org := orgs[i%len(orgs)].ID
		id := fmt.Sprintf("%s-node%d", org, i+1)
		kf, err := genesis.NewKeyFile(id, nil)
		if err != nil {
			return nil, err
		}
		if err := kf.Save(genesis.KeyPath(dir, id)); err != nil {
			return nil, err
		}
		sk, ek, err := kf.Public()
		if err != nil {
			return nil, err
		}
		f.Nodes = append(f.Nodes, genesis.Node{
			ID: id, Org: org, RaftID: uint64(i + 1), SignKey: sk, EncKey: ek,
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
