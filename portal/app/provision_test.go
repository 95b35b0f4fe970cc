package app_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/portal/app"
	"github.com/almoner/almoner/portal/internal/testnode"
	"github.com/almoner/almoner/portal/keyring"
	"github.com/almoner/almoner/portal/server"
	"github.com/almoner/almoner/privacy/keystore"
)

// provisioning is how these tests provision a portal of org over n (no
// --dev): its key sealed under pass, with cheap key derivation and
// password hashing.
func provisioning(n *testnode.Node, home, org string, pass []byte) app.InitConfig {
	return app.InitConfig{Home: home, Org: org, Nodes: []string{n.URL}, Passphrase: pass, KeyKDF: keystore.MinKDF,
		Argon2: testArgon2()}
}

// startProvisioned starts the portal provisioned in home as the daemon
// does without --dev: with the settings app.Init wrote, its key unsealed
// with pass. The caller closes it.
func startProvisioned(t *testing.T, home string, pass []byte) (*app.Portal, error) {
	t.Helper()
	st, err := app.LoadSettings(home)
	if err != nil {
		t.Fatal(err)
	}
	return app.Start(context.Background(), app.Config{Nodes: st.Nodes, Org: st.Org, Identity: st.Identity,
		Listen: "127.0.0.1:0", Home: home, Passphrase: pass, KeyKDF: keystore.MinKDF, Argon2: testArgon2()})
}

// enrol creates member id with roles from c's (an admin's) session and
// returns the member's initial password.
func (c *client) enrol(id string, roles ...string) string {
	c.t.Helper()
	r := c.do(createMemberDoc, map[string]any{"id": id, "roles": roles})
	pw, _ := dig(r.Data, "createMember", "initialPassword").(string)
	if len(r.Errors) != 0 || pw == "" || dig(r.Data, "createMember", "member", "id") != id {
		c.t.Fatalf("enrolling %s: %s", id, r.raw)
	}
	return pw
}

// TestProvisionWithoutDev provisions a hospital's portal as production
// does (no --dev): its key sealed under a passphrase that is not stored,
// only its own members' key files imported, the first admin's account
// with an initial password that must be changed before anything else;
// then the admin enrols a member from the portal. Another organisation's
// key file is refused; the portal does not start without its passphrase
// or with a wrong one, and starts after a rotation with the new one.
func TestProvisionWithoutDev(t *testing.T) {
	n := testnode.Start(t)
	home := t.TempDir()
	pass := []byte("correct horse battery staple")
	key := func(id string) string { return genesis.KeyPath(n.Home, id) }
	init := provisioning(n, home, "stmarys", pass)

	bad := init
	bad.KeyFiles = []string{key("stmarys/admin"), key("acme/adjuster")}
	if _, err := app.Init(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "own organisation's keys only") {
		t.Fatalf("importing another organisation's key: %v", err)
	}
	nopass := init
	nopass.Passphrase = nil
	if _, err := app.Init(context.Background(), nopass); !errors.Is(err, keyring.ErrNeedPassphrase) {
		t.Fatalf("init without a passphrase: %v", err)
	}
	init.KeyFiles = []string{key("stmarys/admin"), key("stmarys/clerk")}
	res, err := app.Init(context.Background(), init)
	if err != nil {
		t.Fatal(err)
	}
	if res.Admin != "stmarys/admin" || !res.Follows || len(res.InitialPassword) < 12 || len(res.Imported) != 2 {
		t.Fatalf("init: %+v", res)
	}
	raw, err := os.ReadFile(filepath.Join(home, app.OrgKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keystore.ParseHeader(raw); err != nil {
		t.Fatalf("the portal's key is not a sealed keystore entry: %v", err)
	}

	if _, err := startProvisioned(t, home, nil); !errors.Is(err, keyring.ErrNeedPassphrase) {
		t.Fatalf("start without the passphrase: %v", err)
	}
	if _, err := startProvisioned(t, home, []byte("wrong passphrase here")); err == nil {
		t.Fatal("started with a wrong passphrase")
	}
	newPass := []byte("a new passphrase after rotation")
	if err := keyring.Reseal(filepath.Join(home, app.OrgKeyFile), "portal", pass, newPass, keystore.Options{KDF: init.KeyKDF}); err != nil {
		t.Fatal(err)
	}
	p, err := startProvisioned(t, home, newPass)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	waitHealthy(t, p.URL)

	// Outside --dev, introspection is for signed-in users and tokens.
	anon := newClient(t, p.URL)
	if r := anon.do(`{ __schema { queryType { name } } }`, nil); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous introspection on a production portal: %s", r.raw)
	}
	if r := anon.do(`{ __typename nodeStatus { chainId } }`, nil); len(r.Errors) != 0 {
		t.Fatalf("an anonymous query: %s", r.raw)
	}
	admin := newClient(t, p.URL)
	if s := admin.loginStatus("stmarys/admin", res.InitialPassword); s != http.StatusOK {
		t.Fatalf("admin sign-in with the initial password: %d", s)
	}
	if r := admin.do(createMemberDoc, map[string]any{"id": "stmarys/nurse-7", "roles": []string{"records_clerk"}}); r.code() != "FORBIDDEN" {
		t.Fatalf("enrolling before changing the initial password: %s", r.raw)
	}
	admin.changePassword(res.InitialPassword, "the admin's own secret 1")
	if r := admin.do(`{ __schema { queryType { name } } }`, nil); len(r.Errors) != 0 {
		t.Fatalf("a signed-in admin's introspection: %s", r.raw)
	}
	pw := admin.enrol("stmarys/nurse-7", "records_clerk")
	nurse := newClient(t, p.URL)
	if s := nurse.loginStatus("stmarys/nurse-7", pw); s != http.StatusOK {
		t.Fatalf("the new member's sign-in: %d", s)
	}
	// The portal holds no dev accounts: acme's members do not exist here.
	if s := newClient(t, p.URL).loginStatus("acme/adjuster", "whatever it is"); s != http.StatusUnauthorized {
		t.Fatalf("another organisation's member signing in: %d", s)
	}
}

// TestProvisionLaterOrganisation onboards an insurer by governance (its
// admin's keys made with keygen, only the public halves in the proposal)
// and provisions its portal with the admin's key file: the node lets the
// admin follow the chain, and the admin enrols a member from the portal.
func TestProvisionLaterOrganisation(t *testing.T) {
	n, p := startPortal(t, server.Config{})
	kf, err := genesis.NewKeyFile("newco/admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(t.TempDir(), "newco_admin.json")
	if err := kf.Save(keyPath); err != nil {
		t.Fatal(err)
	}
	sk, ek := publicKeys(t, kf)
	admin := map[string]any{"member": "newco/admin", "signKey": sk, "encKey": ek}
	id := as(t, p, "stmarys/admin").ok("proposeAddOrganisation", addOrgDoc, map[string]any{"id": "newco", "admins": []any{admin}})
	as(t, p, "acme/admin").ok("approveProposal", approveDoc2, map[string]any{"p": id})
	as(t, p, "hope/admin").ok("approveProposal", approveDoc2, map[string]any{"p": id})

	home := t.TempDir()
	init := provisioning(n, home, "newco", []byte("newco's own passphrase"))
	init.KeyFiles = []string{keyPath}
	res, err := app.Init(context.Background(), init)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Follows || res.Admin != "newco/admin" {
		t.Fatalf("init of the new organisation's portal: %+v", res)
	}
	q, _ := runPortal(t, app.Config{Nodes: []string{n.URL}, Org: "newco", Identity: "newco/admin", Home: home,
		Passphrase: init.Passphrase, KeyKDF: init.KeyKDF})
	c := newClient(t, q.URL)
	if s := c.loginStatus("newco/admin", res.InitialPassword); s != http.StatusOK {
		t.Fatalf("the new organisation's admin signing in: %d", s)
	}
	c.changePassword(res.InitialPassword, "newco admin secret 9")
	c.enrol("newco/adjuster", "claims_adjuster")
}
