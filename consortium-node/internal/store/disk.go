package store

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/storage"

	"github.com/almoner/almoner/privacy/integrity"
)

// Write failures and the database's files.
//
// A write failure (no space left, a quota, an I/O error from write or
// fsync) is not corruption: goleveldb writes a block's batch to its
// journal as one checksummed record, so a batch whose write failed is
// either wholly there after a reopen or wholly absent (a torn record at
// the journal's tail is dropped on open, see Open). Nothing that was
// acknowledged is lost, and nothing half-written becomes visible. But the
// open database cannot be written again: goleveldb's journal and manifest
// writers keep the first error for good. So after a write failure the
// database must be closed and opened again once space has returned (Probe
// says when); the node does so by itself.

// ErrWrite marks a failure to write the database: retry once the disk has
// room again (WriteFailure).
var ErrWrite = errors.New("store: write failed")

// WriteFailure reports whether err is a failure to write to the disk —
// ENOSPC, EDQUOT, EIO, EROFS or EFBIG anywhere in its chain, or ErrWrite —
// rather than an integrity failure (ErrCorrupt, goleveldb's corruption
// errors), which it never is.
func WriteFailure(err error) bool {
	if err == nil || Corruption(err) {
		return false
	}
	if errors.Is(err, ErrWrite) {
		return true
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ENOSPC, syscall.EDQUOT, syscall.EIO, syscall.EROFS, syscall.EFBIG:
			return true
		}
	}
	return false
}

// Corruption reports whether err reports data that fails its checks: an
// integrity failure (integrity.ErrFailed, which ErrCorrupt, the raft log's
// consensus.ErrCorrupt and the chain's ledger.ErrIntegrity wrap), or a
// goleveldb or goleveldb storage corruption error anywhere in its chain
// (goleveldb's own errors cannot wrap the marker).
func Corruption(err error) bool {
	var (
		lc *lerrors.ErrCorrupted
		sc *storage.ErrCorrupted
	)
	return errors.Is(err, integrity.ErrFailed) || errors.As(err, &lc) || errors.As(err, &sc)
}

// CorruptFile returns the name of the database file (e.g. "000012.ldb")
// that a goleveldb corruption error in err's chain names, if any.
func CorruptFile(err error) string {
	var fe *FileError
	if errors.As(err, &fe) {
		return filepath.Base(fe.Path)
	}
	var lc *lerrors.ErrCorrupted
	if errors.As(err, &lc) && !lc.Fd.Zero() {
		return fileName(lc.Fd)
	}
	var sc *storage.ErrCorrupted
	if errors.As(err, &sc) && !sc.Fd.Zero() {
		return fileName(sc.Fd)
	}
	return ""
}

// fileName is the name goleveldb's file storage gives fd.
func fileName(fd storage.FileDesc) string {
	switch fd.Type {
	case storage.TypeManifest:
		return fmt.Sprintf("MANIFEST-%06d", fd.Num)
	case storage.TypeJournal:
		return fmt.Sprintf("%06d.log", fd.Num)
	case storage.TypeTable:
		return fmt.Sprintf("%06d.ldb", fd.Num)
	case storage.TypeTemp:
		return fmt.Sprintf("%06d.tmp", fd.Num)
	}
	return fd.String()
}

// OpenOptions configure Open.
type OpenOptions struct {
	// Wrap, if set, wraps the file storage the database is opened on (fault
	// injection: FaultStorage).
	Wrap func(storage.Storage) storage.Storage
	// ScanTableBytes bounds how many bytes of table files (newest first)
	// Open reads in full, checking every block's checksum, before it opens
	// the database; the index blocks of every table are read regardless.
	// 0 means DefaultScanTableBytes; negative reads no table data.
	ScanTableBytes int64
	// ReadOnly opens the database without writing anything (check).
	ReadOnly bool
	// Salvage skips the table files (they are read, with their checksums,
	// only as keys are read): for reading what is intact in a database whose
	// tables are damaged (node.Recover). The journals and the manifest are
	// still checked.
	Salvage bool
}

// DefaultScanTableBytes is how much table data Open verifies by default.
const DefaultScanTableBytes = 256 << 20

// Disk is a database open on its folder: the goleveldb handle and the file
// storage under it, which Probe writes through.
type Disk struct {
	DB   *leveldb.DB
	dir  string
	stor storage.Storage
	// Scan is what Open found in the files before opening them.
	Scan *ScanReport
	// DroppedTail is set when a torn journal or manifest tail (a write cut
	// off by a crash or a full disk, never acknowledged) was dropped.
	DroppedTail bool
}

// Open verifies the database files in dir (ScanFiles: the journals and
// the manifest in full, the tables' indexes and, newest first, up to
// ScanTableBytes of their data) and opens the database with Options. A
// journal or manifest whose only fault is a torn last record is opened,
// dropping that record (DroppedTail); any other fault is an error wrapping
// ErrCorrupt that names the file (FileError). A database locked by a
// running node is an error that says so.
func Open(dir string, o OpenOptions) (*Disk, error) {
	stor, err := storage.OpenFile(dir, o.ReadOnly)
	if err != nil {
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("store: %s is in use (is the node still running? stop it first): %w", dir, err)
		}
		return nil, fmt.Errorf("store: opening %s: %w", dir, err)
	}
	if o.Wrap != nil {
		stor = o.Wrap(stor)
	}
	d := &Disk{dir: dir, stor: stor}
	budget := o.ScanTableBytes
	if budget == 0 {
		budget = DefaultScanTableBytes
	}
	if d.Scan, err = scanFiles(dir, budget, !o.Salvage); err != nil {
		stor.Close()
		return nil, err
	}
	opts := Options()
	opts.ReadOnly = o.ReadOnly
	if d.Scan.TornJournal {
		opts.Strict &^= opt.StrictJournal
	}
	if d.Scan.TornManifest {
		opts.Strict &^= opt.StrictManifest
	}
	d.DB, err = leveldb.Open(stor, opts)
	if err != nil {
		stor.Close()
		if Corruption(err) {
			return nil, corruptAt(dir, err, "the database failed goleveldb's checks on open")
		}
		return nil, fmt.Errorf("store: opening %s: %w", dir, err)
	}
	d.DroppedTail = d.Scan.TornJournal || d.Scan.TornManifest
	return d, nil
}

// corruptAt wraps a goleveldb corruption error with ErrCorrupt, naming
// the file when goleveldb did.
func corruptAt(dir string, err error, what string) error {
	if f := CorruptFile(err); f != "" {
		return &FileError{Path: filepath.Join(dir, f), Err: fmt.Errorf("%s: %w", what, err)}
	}
	return fmt.Errorf("%w: %s: %s: %w", ErrCorrupt, dir, what, err)
}

// Dir returns the database folder.
func (d *Disk) Dir() string { return d.dir }

// probeNum is the file number of Probe's temporary file: far above any
// number goleveldb allocates.
const probeNum = 1 << 40

// Probe reports whether the disk under the database takes size more bytes
// now: it writes a temporary file of size bytes through the database's own
// storage, syncs it and removes it. A nil error means a reopened database
// can write again; a failure to write is an error for which WriteFailure
// is true.
func (d *Disk) Probe(size int) error {
	fd := storage.FileDesc{Type: storage.TypeTemp, Num: probeNum}
	w, err := d.stor.Create(fd)
	if err != nil {
		return fmt.Errorf("%w: probing for space: %w", ErrWrite, err)
	}
	chunk := bytes.Repeat([]byte{0x5a}, 64<<10)
	for left := size; left > 0 && err == nil; left -= len(chunk) {
		_, err = w.Write(chunk[:min(left, len(chunk))])
	}
	if err == nil {
		err = w.Sync()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if rerr := d.stor.Remove(fd); err == nil && rerr != nil && !strings.Contains(rerr.Error(), "not exist") {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("%w: probing for space: %w", ErrWrite, err)
	}
	return nil
}

// Close closes the database and releases its folder.
func (d *Disk) Close() error {
	err := d.DB.Close()
	if serr := d.stor.Close(); err == nil {
		err = serr
	}
	return err
}

// ClearHalted removes the halt record (SetHalted), durably. The node does
// so only for a halt an older version recorded after a write failure,
// which is not a reason to stay halted.
func (s *Store) ClearHalted() error {
	if err := s.db.Delete(kHalt, &opt.WriteOptions{Sync: true}); err != nil {
		return fmt.Errorf("store: clearing the halt record: %w", err)
	}
	return nil
}
