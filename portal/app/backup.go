package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/portal/defaults"
	"github.com/almoner/almoner/portal/patientdir"
	"github.com/almoner/almoner/portal/session"
)

// Portal backups (docs/decisions/0016-backup-restore.md): the accounts
// database read from one snapshot, then the files that hold the portal's
// keys and settings — keystore/ (member keys sealed under the
// organisation key), portal-org.key (the organisation key, sealed under
// the passphrase), portal.json, genesis.json and, for --dev portals,
// dev-accounts.txt — and the patient directory (patient-names/, its
// entries sealed under the organisation key as stored) as one archive
// (api.BackupWriter, kind portal). The
// passphrase is never in it (the portal does not have it on disk), and
// neither is the read model (index/), which a restored portal rebuilds
// from its node. The accounts are read first: a member's keys are written
// before their account, so every account in the archive finds its keys.
//
// A running portal serves its backup only on a Unix socket in its home
// (BackupSocket, mode 0600): whoever may ask is whoever may read the home
// folder, which holds the same files. Nothing about backups is reachable
// over the network.

// BackupSocket is the running portal's backup socket in its home.
const BackupSocket = "backup.sock"

// backupFiles are the home's files (besides keystore/) in a backup.
var backupFiles = []string{OrgKeyFile, SettingsFile, GenesisFile, "dev-accounts.txt"}

// patientDirFile is the patient directory in an archive: its entries,
// sealed as stored (patientdir.Export), restored into PatientDirDir.
const patientDirFile = "patient-names.json"

// Parts of a home that are never restored from an archive's files.
const (
	accountsDir = "accounts"
	indexDir    = "index"
	keystoreDir = "keystore"
)

// WriteBackup writes the portal's backup, whose home is home and whose
// organisation is org, to w while the portal runs.
func (p *Portal) WriteBackup(w io.Writer, home, org string) (*api.BackupHeader, error) {
	chain := p.Store.ChainID()
	if chain == "" {
		return nil, errors.New("app: the portal has not read the chain yet; try again when it has")
	}
	h := api.BackupHeader{Kind: api.BackupPortal, ChainID: chain, Org: org, Time: time.Now().UnixNano()}
	h.Height, _ = p.Store.Applied()
	bw, err := api.NewBackupWriter(w, h)
	if err != nil {
		return nil, err
	}
	if err := p.Sessions.Records(bw.Put); err != nil {
		return nil, fmt.Errorf("app: backing up the accounts: %w", err)
	}
	var names bytes.Buffer
	if err := p.Patients.Export(&names); err != nil {
		return nil, fmt.Errorf("app: backing up the patient directory: %w", err)
	}
	if err := bw.File(patientDirFile, 0o600, names.Bytes()); err != nil {
		return nil, err
	}
	files, err := homeFiles(home)
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		full := filepath.Join(home, filepath.FromSlash(name))
		data, err := os.ReadFile(full)
		if errors.Is(err, os.ErrNotExist) {
			continue // a key file replaced meanwhile (written by temp file and rename)
		}
		if err != nil {
			return nil, fmt.Errorf("app: backing up %s: %w", full, err)
		}
		st, err := os.Stat(full)
		if err != nil {
			return nil, err
		}
		if err := bw.File(name, st.Mode().Perm(), data); err != nil {
			return nil, err
		}
	}
	return &h, bw.Close()
}

// homeFiles lists the files of home that a backup holds, as slash paths.
func homeFiles(home string) ([]string, error) {
	var out []string
	for _, f := range backupFiles {
		if st, err := os.Lstat(filepath.Join(home, f)); err == nil && st.Mode().IsRegular() {
			out = append(out, f)
		}
	}
	root := filepath.Join(home, keystoreDir)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) && p == root {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") { // a keystore's temp files start with "."
			return nil
		}
		rel, err := filepath.Rel(home, p)
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil && !errors.Is(err, filepath.SkipDir) {
		return nil, fmt.Errorf("app: listing %s: %w", root, err)
	}
	return out, nil
}

// BackupServer serves a running portal's backups on its BackupSocket.
type BackupServer struct {
	srv  *http.Server
	path string
	done chan struct{}
}

// ServeBackups serves p's backups on home's BackupSocket until Close: GET
// /backup answers the archive. It refuses to start when another portal
// answers on the socket (two portals on one home).
func ServeBackups(p *Portal, home, org string, log *slog.Logger) (*BackupServer, error) {
	defaults.Logger(&log)
	sock := filepath.Join(home, BackupSocket)
	if c, err := net.DialTimeout("unix", sock, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("app: a portal already serves %s: is another portal running on this home?", sock)
	}
	_ = os.Remove(sock) // left by a portal that stopped without cleaning up
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("app: backup socket %s: %w (a home path too long for a socket?)", sock, err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w.Header().Set("Content-Type", api.BackupContentType)
		h, err := p.WriteBackup(w, home, org)
		if err != nil {
			log.Error("portal backup failed", "err", err)
			panic(http.ErrAbortHandler) // a truncated archive, never a complete-looking one
		}
		log.Info("portal backup served", "height", h.Height, "duration", time.Since(start).Round(time.Millisecond))
	})
	b := &BackupServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, path: sock,
		done: make(chan struct{})}
	go func() {
		defer close(b.done)
		if err := b.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("backup socket", "err", err)
		}
	}()
	return b, nil
}

// Close stops serving and removes the socket.
func (b *BackupServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := b.srv.Shutdown(ctx)
	<-b.done
	_ = os.Remove(b.path)
	return err
}

// RequestBackup asks the portal running on home for its backup and
// streams it into w, checking it as it arrives: it returns the header
// once the whole archive is in w and its checksum verified.
func RequestBackup(ctx context.Context, home string, w io.Writer) (*api.BackupHeader, error) {
	sock := filepath.Join(home, BackupSocket)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://portal/backup", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("app: no portal answers on %s (is it running on this home?): %w", sock, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("app: the portal answered %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	br, err := api.NewBackupReader(io.TeeReader(resp.Body, w))
	if err != nil {
		return nil, err
	}
	for {
		if _, err := br.Next(); errors.Is(err, io.EOF) {
			h := br.Header()
			if h.Kind != api.BackupPortal {
				return nil, fmt.Errorf("%w: a %s archive from a portal", api.ErrBackupCorrupt, h.Kind)
			}
			return &h, nil
		} else if err != nil {
			return nil, err
		}
	}
}

// RestoreConfig configures a portal restore.
type RestoreConfig struct {
	// From is the archive (a portal backup).
	From io.Reader
	// Home is the portal home to create; it must not exist or be empty.
	Home string
	// ChainID, if set, is called once the archive is read and verified,
	// before anything is moved into Home, with the restored settings and
	// genesis file (nil without one): it returns the chain the portal's
	// node serves, which must be the archive's.
	ChainID func(ctx context.Context, s Settings, g *genesis.File) (string, error)
	Logger  *slog.Logger
}

// NodeChain returns a RestoreConfig.ChainID that asks nodes (when empty,
// the restored settings' nodes) for the chain they serve, authenticating
// TLS nodes by the restored genesis file's node keys.
func NodeChain(nodes []string) func(context.Context, Settings, *genesis.File) (string, error) {
	return func(ctx context.Context, s Settings, g *genesis.File) (string, error) {
		if len(nodes) == 0 {
			nodes = s.Nodes
		}
		if len(nodes) == 0 {
			return "", errors.New("no node address: give one (--node)")
		}
		var hc *http.Client
		if g != nil {
			hc = client.HTTPClient(client.NewNodeKeys(g.NodeKeys()))
		}
		nc, err := client.NewMulti(nodes, client.Options{HTTP: hc})
		if err != nil {
			return "", err
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		ng, err := nc.Genesis(cctx)
		if err != nil {
			return "", err
		}
		return ng.ChainID, nil
	}
}

// RestoreReport says what a portal restore did.
type RestoreReport struct {
	Header   api.BackupHeader
	Records  int
	Files    []string
	Duration time.Duration
}

// Restore creates a portal home from a portal backup: the accounts
// database and the key and settings files; the read model is rebuilt from
// the node when the portal starts. Everything is written to a staging
// folder beside Home and moved into place only when the checksum and the
// chain have been verified; on error nothing is left at Home.
func Restore(ctx context.Context, cfg RestoreConfig) (*RestoreReport, error) {
	start := time.Now()
	if cfg.From == nil || cfg.Home == "" {
		return nil, errors.New("app: From and Home are required")
	}
	if ents, err := os.ReadDir(cfg.Home); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("app: %s is not empty; restore into a fresh folder", cfg.Home)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	br, err := api.NewBackupReader(cfg.From)
	if err != nil {
		return nil, err
	}
	h := br.Header()
	if h.Kind != api.BackupPortal {
		return nil, fmt.Errorf("app: this is a %s backup, not a portal's (consortium-node restore takes node backups)", h.Kind)
	}
	stage, err := api.StageRestore(cfg.Home)
	if err != nil {
		return nil, err
	}
	defer stage.Abandon()
	staging := stage.Dir()
	rep := &RestoreReport{Header: h}
	if err := restoreInto(staging, br, rep); err != nil {
		return nil, err
	}
	st, err := LoadSettings(staging)
	if err != nil {
		return nil, err
	}
	var g *genesis.File
	if _, err := os.Stat(filepath.Join(staging, GenesisFile)); err == nil {
		if g, err = genesis.Load(filepath.Join(staging, GenesisFile)); err != nil {
			return nil, err
		}
		if g.ChainID != h.ChainID {
			return nil, fmt.Errorf("%w: its genesis file is of chain %q, its header of %q",
				api.ErrBackupCorrupt, g.ChainID, h.ChainID)
		}
	}
	if cfg.ChainID != nil {
		chain, err := cfg.ChainID(ctx, st, g)
		if err != nil {
			return nil, fmt.Errorf("app: reading the node's chain, to check the backup is of it: %w", err)
		}
		if chain != h.ChainID {
			return nil, fmt.Errorf("app: the backup is of chain %q but the node serves %q", h.ChainID, chain)
		}
	}
	if err := stage.Commit(); err != nil {
		return nil, err
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// restoreInto writes the archive's accounts and files under dir.
func restoreInto(dir string, br *api.BackupReader, rep *RestoreReport) error {
	ld, err := session.NewLoader(filepath.Join(dir, accountsDir))
	if err != nil {
		return err
	}
	defer func() {
		if ld != nil {
			ld.Close()
		}
	}()
	for {
		e, err := br.Next()
		if errors.Is(err, io.EOF) {
			err := ld.Close()
			ld = nil
			return err
		}
		if err != nil {
			return err
		}
		if !e.IsFile() {
			if err := ld.Put(e.Key, e.Value); err != nil {
				return err
			}
			rep.Records++
			continue
		}
		top, _, _ := strings.Cut(e.Name, "/")
		if top == accountsDir || top == indexDir || top == PatientDirDir || path.Base(e.Name) == BackupSocket {
			return fmt.Errorf("%w: a file named %s", api.ErrBackupCorrupt, e.Name)
		}
		if e.Name == patientDirFile {
			if err := patientdir.Import(filepath.Join(dir, PatientDirDir), e.Data); err != nil {
				return fmt.Errorf("%w: %w", api.ErrBackupCorrupt, err)
			}
			rep.Files = append(rep.Files, e.Name)
			continue
		}
		full := filepath.Join(dir, filepath.FromSlash(e.Name))
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			return err
		}
		if err := writeFileSync(full, e.Data, e.Mode.Perm()&0o600); err != nil {
			return err
		}
		rep.Files = append(rep.Files, e.Name)
	}
}

// writeFileSync creates path (it must not exist) with data, durably.
func writeFileSync(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode|0o400)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// String summarises a restore in one line, for the command.
func (r *RestoreReport) String() string {
	b, _ := json.Marshal(r.Files)
	return fmt.Sprintf("%s: %d account records, files %s, in %v", r.Header.String(), r.Records, b,
		r.Duration.Round(time.Millisecond))
}
