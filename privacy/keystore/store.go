package keystore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/almoner/almoner/privacy/fsync"
)

// Log attribute keys.
const (
	logKeyID      = "keystore.id"
	logKeyVersion = "keystore.version"
	logKeyProtect = "keystore.protection"
)

// fileSuffix ends every entry file name: "<id>@v<version>.key".
const fileSuffix = ".key"

// checkName validates an entry id or organisation key id: 1..MaxNameLen
// characters of [a-z0-9._-], starting with a letter or digit. Lower case
// only, so that ids map to the same files on case-insensitive file systems.
func checkName(what, s string) error {
	if s == "" || len(s) > MaxNameLen {
		return fmt.Errorf("%w: %s must be 1..%d characters", ErrInvalid, what, MaxNameLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '-' && c != '_') {
			return fmt.Errorf("%w: %s %q: use [a-z0-9._-], starting with a letter or digit", ErrInvalid, what, s)
		}
	}
	return nil
}

// Ref names an entry version: "id" for the current version, "id@vN" for
// version N.
func Ref(id string, version uint32) string {
	return id + "@v" + strconv.FormatUint(uint64(version), 10)
}

// ParseRef splits "id" or "id@vN"; version is 0 for the bare id.
func ParseRef(ref string) (id string, version uint32, err error) {
	id, v, versioned := strings.Cut(ref, "@v")
	if err := checkName("entry id", id); err != nil {
		return "", 0, err
	}
	if !versioned {
		return id, 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n == 0 || v[0] == '0' {
		return "", 0, fmt.Errorf("%w: bad version in %q (want id@vN, N >= 1)", ErrInvalid, ref)
	}
	return id, uint32(n), nil
}

// Entry describes one stored version. Listing reads only headers.
type Entry struct {
	ID      string
	Version uint32
	// Current is true for the highest version of the id, the one Get
	// returns for the bare id.
	Current    bool
	Protection Protection
	// KDF is set for passphrase entries, OrgKeyID for org-key entries.
	KDF      KDFParams
	OrgKeyID string
}

// Ref returns "id@vN".
func (e Entry) Ref() string { return Ref(e.ID, e.Version) }

// Store keeps secrets in a directory, one file per entry version, named
// "<id>@v<N>.key", mode 0600, each written atomically (temporary file, fsync,
// rename or link, fsync of the directory). The highest version of an id is
// its current version.
//
// A Store is safe for concurrent use; changes are serialised within the
// process. Two processes may share a directory: creating a version uses a
// hard link, which fails rather than overwrite when another writer created
// it first (ErrExists), and readers only ever see whole files.
type Store struct {
	dir  string
	opts Options
	log  *slog.Logger
	mu   sync.Mutex // serialises changes
}

// Open opens (creating it with mode 0700 if needed) a store directory. It
// fails with ErrPermissions when the directory is writable by group or
// others.
func Open(dir string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keystore: creating %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a directory", ErrInvalid, dir)
	}
	if checkPerms() && fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("%w: directory %s has mode %04o; want no group or other write access", ErrPermissions, dir, fi.Mode().Perm())
	}
	return &Store{dir: dir, opts: opts, log: opts.logger()}, nil
}

// checkPerms reports whether Unix permission bits mean anything here.
func checkPerms() bool { return runtime.GOOS != "windows" && runtime.GOOS != "plan9" }

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(id string, version uint32) string {
	return filepath.Join(s.dir, Ref(id, version)+fileSuffix)
}

// versions returns the stored versions of id, ascending.
func (s *Store) versions(id string) ([]uint32, error) {
	all, err := s.scan()
	if err != nil {
		return nil, err
	}
	return all[id], nil
}

// scan maps every id in the directory to its versions, ascending. Files that
// are not entry files (temporaries, strays) are ignored.
func (s *Store) scan() (map[string][]uint32, error) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("keystore: reading %s: %w", s.dir, err)
	}
	out := map[string][]uint32{}
	for _, de := range des {
		name, ok := strings.CutSuffix(de.Name(), fileSuffix)
		if !ok || !de.Type().IsRegular() {
			continue
		}
		id, v, err := ParseRef(name)
		if err != nil || v == 0 || Ref(id, v) != name {
			continue
		}
		out[id] = append(out[id], v)
	}
	for id := range out {
		slices.Sort(out[id])
	}
	return out, nil
}

// resolve turns a ref into an id and an existing version.
func (s *Store) resolve(ref string) (string, uint32, error) {
	id, v, err := ParseRef(ref)
	if err != nil {
		return "", 0, err
	}
	vs, err := s.versions(id)
	if err != nil {
		return "", 0, err
	}
	switch {
	case len(vs) == 0:
		return "", 0, fmt.Errorf("%w: %s", ErrNotFound, id)
	case v == 0:
		return id, vs[len(vs)-1], nil
	case !slices.Contains(vs, v):
		return "", 0, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	return id, v, nil
}

// read reads one entry file, refusing files other users can access.
func (s *Store) read(id string, version uint32) ([]byte, error) {
	path := s.path(id, version)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, Ref(id, version))
	}
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if checkPerms() && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; want 0600", ErrPermissions, path, fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxEntrySize+1))
	if err != nil {
		return nil, fmt.Errorf("keystore: reading %s: %w", path, err)
	}
	return b, nil
}

// Put stores secret as version 1 of a new id, sealed under p. It fails with
// ErrExists when the id already has versions (use Rotate).
func (s *Store) Put(id string, secret []byte, p Protector) error {
	if err := checkName("entry id", id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vs, err := s.versions(id)
	if err != nil {
		return err
	}
	if len(vs) > 0 {
		return fmt.Errorf("%w: %s (use Rotate for a new version)", ErrExists, id)
	}
	if err := s.create(id, 1, secret, p); err != nil {
		return err
	}
	s.log.Info("keystore: entry created", logKeyID, id, logKeyVersion, 1, logKeyProtect, p.protection().String())
	return nil
}

func (s *Store) create(id string, version uint32, secret []byte, p Protector) error {
	entry, err := Seal(s.opts, p, id, version, secret)
	if err != nil {
		return err
	}
	return writeFile(s.dir, filepath.Base(s.path(id, version)), entry, false)
}

// Get opens ref ("id" for the current version, "id@vN" for version N)
// with p. The caller should Destroy the secret after use.
func (s *Store) Get(ref string, p Protector) (*Secret, error) {
	id, v, err := s.resolve(ref)
	if err != nil {
		return nil, err
	}
	b, err := s.read(id, v)
	if err != nil {
		return nil, err
	}
	return Unseal(b, p, id, v)
}

// Rotate adds a new version of id holding secret, sealed under p, which
// becomes the current version; earlier versions stay readable as "id@vN"
// until deleted. p must open the current version, so that all versions of an
// id stay under one protector (Rewrap changes it for all of them). It
// returns the new version's entry.
func (s *Store) Rotate(id string, secret []byte, p Protector) (Entry, error) {
	if err := checkName("entry id", id); err != nil {
		return Entry{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vs, err := s.versions(id)
	if err != nil {
		return Entry{}, err
	}
	if len(vs) == 0 {
		return Entry{}, fmt.Errorf("%w: %s (use Put for a new id)", ErrNotFound, id)
	}
	cur := vs[len(vs)-1]
	if cur == ^uint32(0) {
		return Entry{}, fmt.Errorf("%w: %s has no versions left", ErrInvalid, id)
	}
	b, err := s.read(id, cur)
	if err != nil {
		return Entry{}, err
	}
	old, err := Unseal(b, p, id, cur)
	if err != nil {
		return Entry{}, err
	}
	old.Destroy()
	next := cur + 1
	if err := s.create(id, next, secret, p); err != nil {
		return Entry{}, err
	}
	s.log.Info("keystore: entry rotated", logKeyID, id, logKeyVersion, next)
	return s.entry(id, next, true)
}

// Rewrap re-encrypts every version of id from old to new (a new passphrase,
// new KDF parameters, an organisation key, or the reverse). Each file is
// replaced atomically, one after the other; if Rewrap stops half way, call
// it again with the same arguments: versions that new already opens are
// skipped.
func (s *Store) Rewrap(id string, old, new Protector) error {
	if err := checkName("entry id", id); err != nil {
		return err
	}
	if old == nil || new == nil {
		return fmt.Errorf("%w: nil protector", ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vs, err := s.versions(id)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	for _, v := range vs {
		b, err := s.read(id, v)
		if err != nil {
			return err
		}
		sec, err := Unseal(b, old, id, v)
		if isWrongKey(err) {
			if done, err2 := Unseal(b, new, id, v); err2 == nil {
				done.Destroy()
				continue // already rewrapped by an earlier, interrupted call
			}
		}
		if err != nil {
			return err
		}
		entry, err := Seal(s.opts, new, id, v, sec.Bytes())
		sec.Destroy()
		if err != nil {
			return err
		}
		if err := writeFile(s.dir, filepath.Base(s.path(id, v)), entry, true); err != nil {
			return err
		}
		s.log.Info("keystore: entry rewrapped", logKeyID, id, logKeyVersion, v, logKeyProtect, new.protection().String())
	}
	return nil
}

func isWrongKey(err error) bool {
	return errors.Is(err, ErrWrongPassphrase) || errors.Is(err, ErrWrongOrgKey) || errors.Is(err, ErrWrongProtector)
}

// Delete removes ref: "id@vN" removes one earlier version (crypto-shredding
// it, as far as the file system allows), "id" removes every version. The
// current version cannot be deleted on its own: rotate first, or delete the
// id.
func (s *Store) Delete(ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, v, err := ParseRef(ref)
	if err != nil {
		return err
	}
	vs, err := s.versions(id)
	if err != nil {
		return err
	}
	if len(vs) == 0 || v != 0 && !slices.Contains(vs, v) {
		return fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	del := vs
	if v != 0 {
		if v == vs[len(vs)-1] {
			return fmt.Errorf("%w: %s is the current version of %s; rotate first or delete %s", ErrInvalid, ref, id, id)
		}
		del = []uint32{v}
	}
	for _, dv := range del { // ascending: the current version goes last
		if err := os.Remove(s.path(id, dv)); err != nil {
			return fmt.Errorf("keystore: %w", err)
		}
	}
	if err := fsync.Dir(s.dir); err != nil {
		return fmt.Errorf("keystore: syncing directory: %w", err)
	}
	s.log.Info("keystore: entry deleted", logKeyID, id, logKeyVersion, v)
	return nil
}

// List describes every stored version, sorted by id and version. It reads
// headers only and opens nothing.
func (s *Store) List() ([]Entry, error) {
	all, err := s.scan()
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, id := range slices.Sorted(maps.Keys(all)) {
		vs := all[id]
		for i, v := range vs {
			e, err := s.entry(id, v, i == len(vs)-1)
			if errors.Is(err, ErrNotFound) {
				continue // deleted while listing
			}
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *Store) entry(id string, v uint32, current bool) (Entry, error) {
	b, err := s.read(id, v)
	if err != nil {
		return Entry{}, err
	}
	h, err := ParseHeader(b)
	if err != nil {
		return Entry{}, fmt.Errorf("%s: %w", Ref(id, v), err)
	}
	if h.ID != id || h.Version != v {
		return Entry{}, fmt.Errorf("%w: file %s holds %s", ErrIntegrity, Ref(id, v), Ref(h.ID, h.Version))
	}
	return Entry{ID: id, Version: v, Current: current, Protection: h.Protection, KDF: h.KDF, OrgKeyID: h.OrgKeyID}, nil
}
