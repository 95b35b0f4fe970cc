package app

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/authz"
	"github.com/almoner/almoner/portal/defaults"
	"github.com/almoner/almoner/portal/keyring"
	"github.com/almoner/almoner/portal/patientdir"
	"github.com/almoner/almoner/portal/readmodel"
	"github.com/almoner/almoner/portal/records"
	"github.com/almoner/almoner/portal/server"
	"github.com/almoner/almoner/portal/session"
	"github.com/almoner/almoner/privacy/keystore"
	"github.com/almoner/almoner/privacy/sign"
)

// Config configures a portal.
type Config struct {
	// Node is a node API address; Nodes are more (any of the consortium's
	// nodes: its organisation's first). Requests go to the first that
	// answers, Node first; a node that dies is failed over to the next
	// address, without a restart, and the read model resumes its stream
	// there (client.NewMulti). At least one address is required.
	Node  string
	Nodes []string
	// Listen is the HTTP listen address (default 127.0.0.1:8080).
	Listen string
	// Home holds index/ (the read model), accounts/, keystore/,
	// patient-names/ (the off-ledger patient directory) and the
	// organisation key file.
	Home string
	// DevHome, if set, is a dev consortium folder (genesis.json, keys/):
	// every member with a key file there (of Org only, when Org is set)
	// gets its keys imported and an account with a random password
	// (written to Home/dev-accounts.txt).
	DevHome string
	// Org is the organisation this portal serves. A consortium runs one
	// portal per organisation, holding only its members' keys; empty
	// serves every organisation whose keys it holds (the one-process
	// demo).
	Org string
	// Identity is the member the portal signs its node API reads as
	// (blocks, the stream, proofs, the policy): one whom the policy allows
	// chain/follow. Default: an organisation admin (of Org, when set),
	// auditor or consortium admin whose key the keystore holds.
	Identity string
	Logger   *slog.Logger
	// Argon2 for account passwords (default session.DefaultArgon2).
	Argon2 session.Argon2Params
	// Server overrides server settings (Schema, Sessions, Health and
	// Logger are filled in).
	Server server.Config
	// Modules are domain schema modules; ReadModules their read-model
	// modules. Both come after the built-in ones (modules.go: donations).
	Modules     []schema.Module
	ReadModules []readmodel.Module
	// ClaimsKeys is a folder of hospitals' claims fingerprint keys
	// (claimdoc: <org>.key; a hospital's portal holds its own). Empty:
	// DevHome's claims-keys, if there is one. The portal files claims
	// only for hospitals whose key it holds.
	ClaimsKeys string
	// Passphrase seals the portal's organisation key, which seals every
	// member key in its keystore (keyring.OpenOrgKey). Required unless
	// DevHome is set; never stored by the portal.
	Passphrase []byte
	// KeyKDF is the argon2id cost of sealing the organisation key
	// (default keystore.DefaultKDF).
	KeyKDF keystore.KDFParams
	// GenesisWait bounds waiting for the node at start (default 60s).
	GenesisWait time.Duration
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if len(c.nodeAddrs()) == 0 || c.Home == "" {
		return errors.New("app: Node (or Nodes) and Home are required")
	}
	for _, a := range c.nodeAddrs() {
		if strings.TrimSpace(a) == "" {
			return errors.New("app: an empty node address in Nodes")
		}
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	defaults.Logger(&c.Logger)
	if c.KeyKDF == (keystore.KDFParams{}) {
		c.KeyKDF = keystore.DefaultKDF
	}
	defaults.Set(&c.GenesisWait, 60*time.Second)
	return nil
}

// nodeAddrs returns Node, then those of Nodes that differ from it.
func (c *Config) nodeAddrs() []string {
	var out []string
	if c.Node != "" {
		out = append(out, c.Node)
	}
	for _, a := range c.Nodes {
		if a != c.Node {
			out = append(out, a)
		}
	}
	return out
}

// GenesisFile is the consortium's genesis file in Home (portal init
// --genesis): the node keys that authenticate a node API over TLS.
const GenesisFile = "genesis.json"

// OrgKeyFile is the portal's organisation key in Home: sealed under the
// passphrase (plain only for --dev portals).
const OrgKeyFile = "portal-org.key"

// PatientDirDir is the folder, in Home, of the portal's patient directory
// (portal/patientdir): patients' names, sealed under the organisation key.
const PatientDirDir = "patient-names"

// Portal is a running portal.
type Portal struct {
	// URL is the portal's base URL.
	URL string
	// DevAccounts maps demo account ids to passwords (with DevHome).
	DevAccounts map[string]string
	Follower    *readmodel.Follower
	Store       *readmodel.Store
	Sessions    *session.Store
	// Patients is the off-ledger patient directory (patient-names/).
	Patients *patientdir.Directory

	schema  *schema.Schema
	srv     *server.Server
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closers []func() error
}

// Start starts a portal; Close stops it.
func Start(ctx context.Context, cfg Config) (p *Portal, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Home, 0o700); err != nil {
		return nil, err
	}
	p = &Portal{}
	opened := p // p is nil on an error return
	defer func() {
		if err != nil {
			opened.closeAll()
		}
	}()
	log := cfg.Logger
	hc, nodeKeys, err := nodeHTTP(cfg)
	if err != nil {
		return nil, err
	}
	nc, err := client.NewMulti(cfg.nodeAddrs(), client.Options{HTTP: hc, Logger: log})
	if err != nil {
		return nil, err
	}
	g, err := waitGenesis(ctx, nc, cfg.GenesisWait)
	if err != nil {
		return nil, err
	}
	reg := readmodel.NewRegistry()
	for _, m := range append(builtinReadModules(), cfg.ReadModules...) {
		if err := reg.Register(m); err != nil {
			return nil, err
		}
	}
	indexDir := filepath.Join(cfg.Home, "index")
	p.Store, err = readmodel.Open(indexDir, reg)
	if errors.Is(err, readmodel.ErrModules) {
		// Built by another portal version: the index is derived data,
		// rebuilt from the node's blocks.
		log.Warn("rebuilding the read model from the node", "reason", err)
		if err = os.RemoveAll(indexDir); err == nil {
			p.Store, err = readmodel.Open(indexDir, reg)
		}
	}
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.Store.Close)
	if c := p.Store.ChainID(); c != "" && c != g.ChainID {
		return nil, fmt.Errorf("the read model in %s is of chain %q but the node serves %q: delete the folder to rebuild it", indexDir, c, g.ChainID)
	}
	if p.Sessions, err = session.Open(session.Config{Dir: filepath.Join(cfg.Home, "accounts"), Argon2: cfg.Argon2, Logger: log}); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.Sessions.Close)
	orgKey, err := keyring.OpenOrgKey(filepath.Join(cfg.Home, OrgKeyFile), "portal", cfg.Passphrase, cfg.DevHome != "",
		keystore.Options{KDF: cfg.KeyKDF})
	if err != nil {
		return nil, err
	}
	kr, err := keyring.Open(keyring.Config{Dir: filepath.Join(cfg.Home, "keystore"), OrgKey: orgKey, Logger: log})
	if err != nil {
		return nil, err
	}
	// Patients' names from the records this portal's organisation keeps:
	// off the ledger, sealed under the organisation key (patientdir).
	if p.Patients, err = patientdir.Open(patientdir.Config{Dir: filepath.Join(cfg.Home, PatientDirDir), Key: orgKey, Logger: log}); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.Patients.Close)
	if cfg.DevHome != "" {
		if p.DevAccounts, err = devAccounts(cfg.Home, cfg.DevHome, cfg.Org, g, kr, p.Sessions); err != nil {
			return nil, err
		}
	}
	if err := authenticate(ctx, nc, kr, g, cfg.Org, cfg.Identity, log); err != nil {
		return nil, err
	}
	if nodeKeys != nil {
		// Nodes added after genesis are on the ledger.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if ns, err := nc.Nodes(cctx); err == nil {
			m := map[string]sign.PublicKey{}
			for _, n := range ns {
				m[n.ID] = n.SignKey
			}
			nodeKeys.Add(m)
		}
		cancel()
	}
	if p.Follower, err = readmodel.NewFollower(readmodel.FollowerConfig{Store: p.Store, Source: nc, Logger: log}); err != nil {
		return nil, err
	}
	claimsKeys, err := loadClaimsKeys(cfg.ClaimsKeys, cfg.DevHome)
	if err != nil {
		return nil, err
	}
	if cfg.Org != "" {
		// A hospital's portal holds its own claims key only: another
		// hospital's would let it invert that hospital's fingerprints.
		for org := range claimsKeys {
			if org != cfg.Org {
				delete(claimsKeys, org)
			}
		}
	}
	if len(claimsKeys) == 0 {
		log.Info("no claims fingerprint keys: this portal files no claims (--claims-keys)")
	}
	recs := records.New(nc, kr)
	sch, err := schema.Build(schema.Config{ChainID: g.ChainID, Store: p.Store, Blocks: p.Follower, Node: nc, Signer: kr, Keys: kr,
		Records: recs, Sessions: p.Sessions, Patients: p.Patients,
		Policy: authz.New(p.Store), Logger: log}, append(builtinModules(claimsKeys, recs), cfg.Modules...)...)
	if err != nil {
		return nil, err
	}
	p.schema = sch
	sc := cfg.Server
	sc.Schema, sc.Sessions, sc.Health, sc.Logger = sch, p.Sessions, p.Follower, log
	// The genesis file as `almoner` writes it (genesis.File.Save), so its
	// fingerprint matches a copy made by the consortium's tools.
	gj, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, err
	}
	sc.Genesis = append(gj, '\n')
	if cfg.DevHome != "" {
		sc.Limits.AnonymousIntrospection = true // demos: GraphiQL works signed out
	}
	if p.srv, err = server.New(sc); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w (is another portal running? use --listen)", cfg.Listen, err)
	}
	p.URL = "http://" + ln.Addr().String()
	fctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		if err := p.Follower.Run(fctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("read model stopped", "err", err)
		}
	}()
	go func() {
		defer p.wg.Done()
		if err := p.srv.Serve(ln); err != nil {
			log.Error("portal server", "err", err)
		}
	}()
	return p, nil
}

// Schema is the GraphQL schema the portal serves.
func (p *Portal) Schema() *schema.Schema { return p.schema }

// Close stops the server and the follower and closes the stores.
func (p *Portal) Close() error {
	var err error
	if p.srv != nil {
		// In-flight requests get up to 15 s to finish (a large upload, a
		// slow machine).
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err = p.srv.Shutdown(ctx)
		cancel()
	}
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
	return errors.Join(err, p.closeAll())
}

func (p *Portal) closeAll() error {
	var err error
	for i := len(p.closers) - 1; i >= 0; i-- {
		err = errors.Join(err, p.closers[i]())
	}
	p.closers = nil
	return err
}

func waitGenesis(ctx context.Context, nc *client.Client, wait time.Duration) (*genesis.File, error) {
	deadline := time.Now().Add(wait)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		g, err := nc.Genesis(cctx)
		cancel()
		if err == nil {
			return g, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("reaching the node for its genesis: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// devAccounts imports the dev members' keys and creates their accounts
// once; passwords are kept in Home/dev-accounts.txt (0600).
func devAccounts(home, devHome, org string, g *genesis.File, kr *keyring.Keyring, ss *session.Store) (map[string]string, error) {
	path := filepath.Join(home, "dev-accounts.txt")
	out := map[string]string{}
	if f, err := os.Open(path); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if id, pw, ok := strings.Cut(sc.Text(), " "); ok {
				out[id] = pw
			}
		}
		f.Close()
	}
	var added []string
	for _, m := range g.Members {
		if org != "" && m.Org != org {
			continue // another organisation's members are its own portal's
		}
		kf, err := genesis.LoadKeyFile(genesis.KeyPath(devHome, m.ID))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !kr.Has(m.ID) {
			if err := kr.Import(kf); err != nil {
				return nil, err
			}
		}
		if !ss.HasAccount(m.ID) {
			b := make([]byte, 12)
			if _, err := rand.Read(b); err != nil {
				return nil, err
			}
			pw := base64.RawURLEncoding.EncodeToString(b)
			if err := ss.CreateAccount(m.ID, pw); err != nil {
				return nil, err
			}
			out[m.ID] = pw
			added = append(added, m.ID)
		}
	}
	if len(added) > 0 {
		ids := make([]string, 0, len(out))
		for id := range out {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		var b strings.Builder
		for _, id := range ids {
			fmt.Fprintf(&b, "%s %s\n", id, out[id])
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// nodeHTTP returns the HTTP client for the node API: over TLS it trusts
// the node keys of the consortium's genesis file (DevHome's, or the one
// portal init copied into Home); nil (the default client) when the portal
// has no genesis file and every node address is plain http.
func nodeHTTP(cfg Config) (*http.Client, *client.NodeKeys, error) {
	path := filepath.Join(cfg.Home, GenesisFile)
	if cfg.DevHome != "" {
		path = filepath.Join(cfg.DevHome, "genesis.json")
	}
	g, err := genesis.Load(path)
	if err == nil {
		keys := client.NewNodeKeys(g.NodeKeys())
		return client.HTTPClient(keys), keys, nil
	}
	for _, a := range cfg.nodeAddrs() {
		if strings.HasPrefix(a, "https://") {
			return nil, nil, fmt.Errorf("node %s serves TLS: the portal authenticates it by the node keys of the consortium's "+
				"genesis file, which it does not have (%v): give it to portal init --genesis, or use --dev", a, err)
		}
	}
	return nil, nil, nil
}

// authenticate makes the node client sign its reads as member as or, by
// default, as the first member of org (any organisation, when empty) in
// the genesis file whose key the keyring holds and whom the node lets
// follow the chain (the policy gives chain/follow to organisation admins,
// auditors and consortium admins): each candidate is tried with one read.
// Without one the portal reads anonymously, the node refuses its blocks,
// and the log says what to do.
func authenticate(ctx context.Context, nc *client.Client, kr *keyring.Keyring, g *genesis.File, org, as string,
	log *slog.Logger) error {
	var candidates []string
	if as != "" {
		candidates = []string{as}
	}
	for _, m := range g.Members {
		if as == "" && (org == "" || m.Org == org) && kr.Has(m.ID) {
			candidates = append(candidates, m.ID)
		}
	}
	for _, id := range candidates {
		key, err := kr.SignKey(id)
		if err != nil {
			return fmt.Errorf("the portal's node identity %s: %w", id, err)
		}
		nc.Authenticate(id, key)
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err = nc.Block(cctx, 0)
		cancel()
		var ce *client.Error
		if errors.As(err, &ce) && (ce.StatusCode == http.StatusUnauthorized || ce.StatusCode == http.StatusForbidden) {
			if as != "" {
				return fmt.Errorf("the node refuses reads by %s (%s): name a member whom the policy allows chain/follow "+
					"(an organisation admin)", id, ce.Message)
			}
			continue
		}
		log.Info("reading from the node as", "identity", id)
		return nil
	}
	log.Warn("this portal holds no key of a member whom the node lets follow the chain (an organisation admin): "+
		"the node will refuse its reads; create the first admin with portal init, or name one with --identity", "org", org)
	return nil
}

// loadClaimsKeys reads the claims fingerprint keys in dir or, when dir
// is empty, in the dev consortium's folder; none when there is neither.
func loadClaimsKeys(dir, devHome string) (map[string]*claimdoc.Key, error) {
	if dir == "" && devHome != "" {
		dir = filepath.Join(devHome, claimdoc.KeyDir)
	}
	if dir == "" {
		return nil, nil
	}
	return claimdoc.LoadKeys(dir)
}
