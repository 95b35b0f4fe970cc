package patientdir

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/almoner/almoner/privacy/keystore"

	"github.com/almoner/almoner/portal/defaults"
	"github.com/almoner/almoner/portal/internal/smalldb"
)

// ErrInvalid marks a bad argument (an empty organisation or patient, or a
// name with nothing left to show).
var ErrInvalid = errors.New("patientdir: invalid")

// Config configures a Directory.
type Config struct {
	// Dir is the goleveldb folder; empty keeps the directory in memory
	// (tests).
	Dir string
	// Key seals every entry (the portal's organisation key). Required.
	Key    *keystore.OrgKey
	Logger *slog.Logger
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if c.Key == nil {
		return errors.New("patientdir: Key is required")
	}
	defaults.Logger(&c.Logger)
	return nil
}

// Directory is the store. It is safe for concurrent use.
type Directory struct {
	cfg Config
	db  *leveldb.DB
}

// Open opens or creates the directory.
func Open(cfg Config) (*Directory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db, err := smalldb.OpenOrMemory(cfg.Dir, smalldb.Options(false))
	if err != nil {
		return nil, fmt.Errorf("patientdir: opening %s: %w", cfg.Dir, err)
	}
	return &Directory{cfg: cfg, db: db}, nil
}

// Close closes the database.
func (d *Directory) Close() error { return d.db.Close() }

// Key layout: "n/<patient>\x00<org>" -> the name sealed under the
// organisation key as entry entryID(org, patient), version 1. Ids hold no
// NUL (the ledger's ids are printable).
func key(org, patient string) []byte { return []byte("n/" + patient + "\x00" + org) }
func prefix(patient string) []byte   { return []byte("n/" + patient + "\x00") }

// entryID binds a sealed name to its organisation and patient (keystore
// entry ids are [a-z0-9._-]).
func entryID(org, patient string) string {
	h := sha256.Sum256([]byte(org + "\x00" + patient))
	return "patient-name." + hex.EncodeToString(h[:16])
}

func check(org, patient string) error {
	if org == "" || patient == "" || strings.ContainsRune(org, 0) || strings.ContainsRune(patient, 0) {
		return fmt.Errorf("%w: an organisation and a patient are required", ErrInvalid)
	}
	return nil
}

var syncWrite = &opt.WriteOptions{Sync: true}

// Put keeps name as patient's name at org, replacing the one kept
// before. The name is cleaned as PatientName cleans it.
func (d *Directory) Put(org, patient, name string) error {
	if err := check(org, patient); err != nil {
		return err
	}
	name = clean(name)
	if name == "" {
		return fmt.Errorf("%w: the name is empty", ErrInvalid)
	}
	sealed, err := keystore.Seal(keystore.DefaultOptions(), d.cfg.Key, entryID(org, patient), 1, []byte(name))
	if err != nil {
		return fmt.Errorf("patientdir: sealing: %w", err)
	}
	if err := d.db.Put(key(org, patient), sealed, syncWrite); err != nil {
		return fmt.Errorf("patientdir: write: %w", err)
	}
	return nil
}

// Name returns patient's name as org keeps it; ok is false when org keeps
// none. An entry that does not open under the key is an error wrapping
// keystore's.
func (d *Directory) Name(org, patient string) (name string, ok bool, err error) {
	if err := check(org, patient); err != nil {
		return "", false, err
	}
	b, err := d.db.Get(key(org, patient), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("patientdir: read: %w", err)
	}
	return d.open(org, patient, b)
}

// AnyName returns patient's name as any organisation of this portal keeps
// it (the first in organisation id order): what the patient themself is
// shown. ok is false when none does.
func (d *Directory) AnyName(patient string) (name string, ok bool, err error) {
	if patient == "" || strings.ContainsRune(patient, 0) {
		return "", false, fmt.Errorf("%w: a patient is required", ErrInvalid)
	}
	p := prefix(patient)
	it := d.db.NewIterator(util.BytesPrefix(p), nil)
	defer it.Release()
	if it.Next() {
		org := string(it.Key()[len(p):])
		return d.open(org, patient, append([]byte(nil), it.Value()...))
	}
	if err := it.Error(); err != nil {
		return "", false, fmt.Errorf("patientdir: read: %w", err)
	}
	return "", false, nil
}

// Forget drops the name org keeps for patient (after the patient's last
// record there was erased); forgetting an unknown one is not an error.
func (d *Directory) Forget(org, patient string) error {
	if err := check(org, patient); err != nil {
		return err
	}
	if err := d.db.Delete(key(org, patient), syncWrite); err != nil {
		return fmt.Errorf("patientdir: delete: %w", err)
	}
	return nil
}

func (d *Directory) open(org, patient string, sealed []byte) (string, bool, error) {
	s, err := keystore.Unseal(sealed, d.cfg.Key, entryID(org, patient), 1)
	if err != nil {
		return "", false, fmt.Errorf("patientdir: the name kept by %s: %w", org, err)
	}
	defer s.Destroy()
	return string(s.Bytes()), true, nil
}

// record is one directory entry in a backup: its key and its sealed
// value, as stored (a backup never opens a name).
type record struct {
	Key   string `json:"k"`
	Value []byte `json:"v"`
}

// Export writes every entry, sealed as stored, from one snapshot, as JSON
// (portal backups). It never opens a name.
func (d *Directory) Export(w io.Writer) error {
	snap, err := d.db.GetSnapshot()
	if err != nil {
		return fmt.Errorf("patientdir: snapshot: %w", err)
	}
	defer snap.Release()
	it := snap.NewIterator(util.BytesPrefix([]byte("n/")), &opt.ReadOptions{DontFillCache: true})
	defer it.Release()
	out := []record{}
	for it.Next() {
		out = append(out, record{Key: string(it.Key()), Value: append([]byte(nil), it.Value()...)})
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("patientdir: read: %w", err)
	}
	return json.NewEncoder(w).Encode(out)
}

// Import creates the directory's folder dir (it must not exist) from what
// Export wrote. Entries stay sealed: they open under the organisation key
// they were sealed with. A malformed export is an error wrapping
// ErrInvalid, and dir is then left for the caller to remove.
func Import(dir string, export []byte) error {
	var recs []record
	if err := json.Unmarshal(export, &recs); err != nil {
		return fmt.Errorf("%w: a patient directory export: %v", ErrInvalid, err)
	}
	b := new(leveldb.Batch)
	for _, r := range recs {
		patient, org, ok := strings.Cut(strings.TrimPrefix(r.Key, "n/"), "\x00")
		if !strings.HasPrefix(r.Key, "n/") || !ok || check(org, patient) != nil || len(r.Value) == 0 {
			return fmt.Errorf("%w: a patient directory export holds the entry %q", ErrInvalid, r.Key)
		}
		b.Put([]byte(r.Key), r.Value)
	}
	db, err := leveldb.OpenFile(dir, smalldb.Options(true))
	if err != nil {
		return fmt.Errorf("patientdir: creating %s: %w", dir, err)
	}
	return errors.Join(db.Write(b, syncWrite), db.Close())
}
