package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/portal/keyring"
	"github.com/almoner/almoner/portal/session"
	"github.com/almoner/almoner/privacy/keystore"
)

// SettingsFile is the portal's settings in Home, written by Init: the
// organisation, the node addresses and the node identity, so that a plain
// `portal --home H` runs the provisioned portal.
const SettingsFile = "portal.json"

// Settings are what Init records for later starts.
type Settings struct {
	Org      string   `json:"org"`
	Nodes    []string `json:"nodes"`
	Identity string   `json:"identity"`
}

// LoadSettings reads Home's settings; none (a zero value) when absent.
func LoadSettings(home string) (Settings, error) {
	var s Settings
	b, err := os.ReadFile(filepath.Join(home, SettingsFile))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w", filepath.Join(home, SettingsFile), err)
	}
	return s, nil
}

// InitConfig provisions a production portal for one organisation.
type InitConfig struct {
	Home  string
	Org   string
	Nodes []string
	// Passphrase seals the portal's organisation key (required).
	Passphrase []byte
	// KeyFiles are member key files (almoner keygen, or an organisation's
	// genesis keys) to import into the keystore; all must be of Org.
	KeyFiles []string
	// Admin is the member who gets the first account, an organisation
	// admin on the ledger whose key is imported (default: the first key
	// file's member). The portal also signs its node API reads as Admin.
	Admin string
	// Genesis is the consortium's genesis file, copied into Home: its
	// node keys authenticate nodes that serve their API over TLS
	// (required for https:// node addresses).
	Genesis string
	// Password is the admin's initial password (default: random, returned
	// once); it must be changed at first sign-in.
	Password string
	Argon2   session.Argon2Params
	KeyKDF   keystore.KDFParams
}

// InitResult is what Init did.
type InitResult struct {
	Admin           string
	InitialPassword string // empty when InitConfig.Password was given
	Imported        []string
	// Follows reports whether the node lets Admin follow the chain (an
	// organisation admin on the ledger); if not, the portal cannot run.
	Follows bool
	Warning string
}

// Init provisions a portal home without --dev: the organisation key sealed
// under the passphrase, the members' keys imported into the keystore, the
// first admin's account with an initial password to change at first
// sign-in, and the settings for later starts. It checks the node: the
// chain answers, and the admin is a member whom the node lets follow the
// chain. Running it again adds key files and leaves existing accounts.
func Init(ctx context.Context, c InitConfig) (*InitResult, error) {
	if c.Home == "" || c.Org == "" || len(c.Nodes) == 0 {
		return nil, errors.New("init: --home, --org and --node are required")
	}
	if len(c.Passphrase) == 0 {
		return nil, fmt.Errorf("init: %w", keyring.ErrNeedPassphrase)
	}
	if c.KeyKDF == (keystore.KDFParams{}) {
		c.KeyKDF = keystore.DefaultKDF
	}
	if err := os.MkdirAll(c.Home, 0o700); err != nil {
		return nil, err
	}
	orgKey, err := keyring.OpenOrgKey(filepath.Join(c.Home, OrgKeyFile), "portal", c.Passphrase, false, keystore.Options{KDF: c.KeyKDF})
	if err != nil {
		return nil, err
	}
	kr, err := keyring.Open(keyring.Config{Dir: filepath.Join(c.Home, "keystore"), OrgKey: orgKey})
	if err != nil {
		return nil, err
	}
	res := &InitResult{Admin: c.Admin}
	for _, path := range c.KeyFiles {
		kf, err := genesis.LoadKeyFile(path)
		if err != nil {
			return nil, fmt.Errorf("init: %s: %w", path, err)
		}
		if org, _, _ := strings.Cut(kf.ID, "/"); org != c.Org {
			return nil, fmt.Errorf("init: %s holds the key of %s, not a member of %s: a portal holds its own organisation's keys only",
				path, kf.ID, c.Org)
		}
		if !kr.Has(kf.ID) {
			if err := kr.Import(kf); err != nil {
				return nil, err
			}
		}
		res.Imported = append(res.Imported, kf.ID)
		if res.Admin == "" {
			res.Admin = kf.ID
		}
	}
	if res.Admin == "" {
		return nil, errors.New("init: give the first admin's key file (--import) or name an imported admin (--admin)")
	}
	if !kr.Has(res.Admin) {
		return nil, fmt.Errorf("init: the keystore holds no key of %s: import it with --import", res.Admin)
	}
	var hc *http.Client
	if c.Genesis != "" {
		g, err := genesis.Load(c.Genesis)
		if err != nil {
			return nil, fmt.Errorf("init: --genesis: %w", err)
		}
		b, err := os.ReadFile(c.Genesis)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(c.Home, GenesisFile), b, 0o600); err != nil {
			return nil, err
		}
		hc = client.HTTPClient(client.NewNodeKeys(g.NodeKeys()))
	}
	for _, a := range c.Nodes {
		if strings.HasPrefix(a, "https://") && hc == nil {
			return nil, fmt.Errorf("init: %s serves TLS: give the consortium's genesis file (--genesis) to authenticate its nodes", a)
		}
	}
	// The node: the chain answers, and the admin may follow it.
	nc, err := client.NewMulti(c.Nodes, client.Options{HTTP: hc})
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := nc.Genesis(cctx); err != nil {
		return nil, fmt.Errorf("init: reaching the node: %w", err)
	}
	key, err := kr.SignKey(res.Admin)
	if err != nil {
		return nil, err
	}
	nc.Authenticate(res.Admin, key)
	_, err = nc.Block(cctx, 0)
	var ce *client.Error
	switch {
	case err == nil:
		res.Follows = true
	case errors.As(err, &ce) && (ce.StatusCode == http.StatusUnauthorized || ce.StatusCode == http.StatusForbidden):
		res.Warning = fmt.Sprintf("the node does not let %s read the chain (%s): it must be an active organisation admin on the "+
			"ledger (genesis, or identity.add_member by an existing admin; for an organisation added by governance, its admins "+
			"named in add_org)", res.Admin, ce.Message)
	default:
		return nil, fmt.Errorf("init: reading from the node as %s: %w", res.Admin, err)
	}
	ss, err := session.Open(session.Config{Dir: filepath.Join(c.Home, "accounts"), Argon2: c.Argon2})
	if err != nil {
		return nil, err
	}
	defer ss.Close()
	if !ss.HasAccount(res.Admin) {
		pw := c.Password
		if pw == "" {
			b := make([]byte, 15)
			if _, err := rand.Read(b); err != nil {
				return nil, err
			}
			pw = base64.RawURLEncoding.EncodeToString(b)
			res.InitialPassword = pw
		}
		if err := ss.CreateInitialAccount(res.Admin, pw); err != nil {
			return nil, err
		}
	}
	st := Settings{Org: c.Org, Nodes: c.Nodes, Identity: res.Admin}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(c.Home, SettingsFile), append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	return res, nil
}
