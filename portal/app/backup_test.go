package app_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/portal/app"
	"github.com/almoner/almoner/portal/internal/testnode"
)

// TestPortalBackupRestore backs up a provisioned portal (no --dev: its key
// sealed under a passphrase) while it runs, loses its home, and restores
// the backup into a fresh home (docs/operations.md, "Backup and
// restore"): the restored portal starts with the same passphrase — which
// is not in the archive — and the same accounts (changed passwords, a
// member enrolled from the portal, an API token) and keys (the admin signs
// a mutation), and its read model, which is not in the archive, rebuilds
// from the node.
func TestPortalBackupRestore(t *testing.T) {
	n := testnode.Start(t)
	ctx := context.Background()
	pass := []byte("correct horse battery staple")
	home := filepath.Join(t.TempDir(), "portal")
	init := provisioning(n, home, "stmarys", pass)
	init.KeyFiles = []string{genesis.KeyPath(n.Home, "stmarys/admin"), genesis.KeyPath(n.Home, "stmarys/clerk")}
	res, err := app.Init(ctx, init)
	if err != nil {
		t.Fatal(err)
	}
	p, err := startProvisioned(t, home, pass)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			p.Close()
		}
	}()
	waitHealthy(t, p.URL)
	bs, err := app.ServeBackups(p, home, "stmarys", nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(home, app.BackupSocket)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup socket: %v %v", st, err)
	}

	// Accounts and keys worth keeping: the admin's own password, a member
	// enrolled from the portal (keys made in its keystore) who changed
	// the first password, and an API token.
	const adminPW, nursePW = "the admin's own secret 1", "the nurse's own secret 1"
	admin := newClient(t, p.URL)
	admin.login("stmarys/admin", res.InitialPassword)
	admin.changePassword(res.InitialPassword, adminPW)
	first := admin.enrol("stmarys/nurse-7", "records_clerk")
	nurse := newClient(t, p.URL)
	nurse.login("stmarys/nurse-7", first)
	nurse.changePassword(first, nursePW)
	secret := admin.token("read", "write")

	// A patient's name in the portal's off-ledger directory.
	const patientName = "Ana Backup-Marlowe"
	if err := p.Patients.Put("stmarys", "stmarys/patient-ana", patientName); err != nil {
		t.Fatal(err)
	}

	// The backup, while the portal runs and serves sign-ins.
	var archive bytes.Buffer
	bstart := time.Now()
	signins := make(chan int, 1)
	go func() { signins <- newClient(t, p.URL).loginStatus("stmarys/admin", adminPW) }()
	h, err := app.RequestBackup(ctx, home, &archive)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(bstart)
	if s := <-signins; s != http.StatusOK {
		t.Fatalf("a sign-in during the backup: %d", s)
	}
	if h.Kind != api.BackupPortal || h.Org != "stmarys" || h.ChainID != n.Genesis.ChainID {
		t.Fatalf("archive header: %+v", h)
	}
	if bytes.Contains(archive.Bytes(), pass) {
		t.Fatal("the archive holds the passphrase")
	}
	if bytes.Contains(archive.Bytes(), []byte(patientName)) {
		t.Fatal("the archive holds a patient's name in the clear")
	}
	t.Logf("portal backup: %d bytes in %v", archive.Len(), took.Round(time.Millisecond))

	// The machine is lost.
	if err := bs.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(home); err != nil {
		t.Fatal(err)
	}

	// Refused: a damaged archive, a node's archive, a folder in use.
	fresh := filepath.Join(t.TempDir(), "restored")
	bad := bytes.Clone(archive.Bytes())
	bad[len(bad)-40] ^= 1
	if _, err := app.Restore(ctx, app.RestoreConfig{From: bytes.NewReader(bad), Home: fresh}); !errors.Is(err, api.ErrBackupCorrupt) {
		t.Fatalf("a damaged archive: %v", err)
	}
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed restore left %s: %v", fresh, err)
	}
	var nodeArchive bytes.Buffer
	if _, err := n.Client.Backup(ctx, &nodeArchive); err != nil {
		t.Fatal(err)
	}
	_, err = app.Restore(ctx, app.RestoreConfig{From: &nodeArchive, Home: fresh})
	if err == nil || !strings.Contains(err.Error(), "not a portal's") {
		t.Fatalf("a node archive: %v", err)
	}
	used := t.TempDir()
	if err := os.WriteFile(filepath.Join(used, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Restore(ctx, app.RestoreConfig{From: bytes.NewReader(archive.Bytes()), Home: used}); err == nil {
		t.Fatal("restored into a folder in use")
	}
	wrongChain := func(context.Context, app.Settings, *genesis.File) (string, error) { return "another-chain", nil }
	_, err = app.Restore(ctx, app.RestoreConfig{From: bytes.NewReader(archive.Bytes()), Home: fresh, ChainID: wrongChain})
	if err == nil || !strings.Contains(err.Error(), "another-chain") {
		t.Fatalf("a node of another chain: %v", err)
	}
	if ents, err := os.ReadDir(filepath.Dir(fresh)); err != nil || len(ents) != 0 {
		t.Fatalf("the refused restores left %v beside the home (%v)", ents, err)
	}

	// The restore, checked against the node, into a fresh home.
	rep, err := app.Restore(ctx, app.RestoreConfig{From: bytes.NewReader(archive.Bytes()), Home: fresh, ChainID: app.NodeChain(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(fresh, "index")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the read model was restored: %v", err)
	}
	if _, err := startProvisioned(t, fresh, []byte("not the passphrase at all")); err == nil {
		t.Fatal("the restored portal started with a wrong passphrase")
	}
	rstart := time.Now()
	p2, err := startProvisioned(t, fresh, pass)
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	waitHealthy(t, p2.URL) // the read model rebuilt from the node
	height, _ := p2.Store.Applied()
	t.Logf("restored %s; started and rebuilt the read model to height %d in %v", rep, height,
		time.Since(rstart).Round(time.Millisecond))

	// The patient directory, sealed under the same organisation key.
	if got, ok, err := p2.Patients.Name("stmarys", "stmarys/patient-ana"); err != nil || !ok || got != patientName {
		t.Fatalf("the restored patient directory: %q, %v, %v", got, ok, err)
	}

	// The same accounts: passwords as changed, the token.
	admin2 := newClient(t, p2.URL)
	if s := admin2.loginStatus("stmarys/admin", res.InitialPassword); s != http.StatusUnauthorized {
		t.Fatalf("the replaced initial password: %d", s)
	}
	if s := admin2.loginStatus("stmarys/admin", adminPW); s != http.StatusOK {
		t.Fatalf("the admin's sign-in: %d", s)
	}
	if s := newClient(t, p2.URL).loginStatus("stmarys/nurse-7", nursePW); s != http.StatusOK {
		t.Fatalf("the enrolled member's sign-in: %d", s)
	}
	bot := newClient(t, p2.URL)
	bot.gc.SetBearerToken(secret)
	if r := bot.do(`{ viewer { account } }`, nil); dig(r.Data, "viewer", "account") != "stmarys/admin" {
		t.Fatalf("the API token: %s", r.raw)
	}
	// The read model has what happened before the backup, and the keys
	// sign: the admin enrols another member.
	r := admin2.do(`query($id: ID!) { member(id: $id) { id } }`, map[string]any{"id": "stmarys/nurse-7"})
	if dig(r.Data, "member", "id") != "stmarys/nurse-7" {
		t.Fatalf("the rebuilt read model: %s", r.raw)
	}
	admin2.enrol("stmarys/nurse-8", "records_clerk")
}
