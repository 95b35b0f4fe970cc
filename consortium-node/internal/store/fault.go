package store

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/syndtr/goleveldb/leveldb/storage"
)

// FaultStorage wraps a goleveldb storage and fails writes the way a full
// filesystem does, for fault tests (OpenOptions.Wrap; the daemon's
// --fault-disk-file): it has a number of free bytes; a write takes what
// fits and fails the rest with ENOSPC (a short write, as write(2) does),
// creating a file or replacing CURRENT fails with ENOSPC when nothing is
// free, and removing or truncating a file gives its bytes back. Reads are
// untouched. It is safe for concurrent use.
type FaultStorage struct {
	storage.Storage
	dir string

	mu    sync.Mutex
	free  int64                      // < 0: unlimited
	sizes map[storage.FileDesc]int64 // bytes written through this storage
}

var _ storage.Storage = (*FaultStorage)(nil)

// NewFaultStorage wraps s (the storage of folder dir, named in errors)
// with unlimited space.
func NewFaultStorage(s storage.Storage, dir string) *FaultStorage {
	return &FaultStorage{Storage: s, dir: dir, free: -1, sizes: map[storage.FileDesc]int64{}}
}

// SetFree sets the free space in bytes; negative means unlimited (the
// space has returned).
func (f *FaultStorage) SetFree(n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.free = n
}

// Free returns the free space in bytes (negative: unlimited).
func (f *FaultStorage) Free() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.free
}

func (f *FaultStorage) noSpace(op string, fd storage.FileDesc) error {
	return &os.PathError{Op: op, Path: filepath.Join(f.dir, fileName(fd)), Err: syscall.ENOSPC}
}

// take reserves up to n bytes for fd and returns how many fit.
func (f *FaultStorage) take(fd storage.FileDesc, n int64) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.free >= 0 {
		n = min(n, f.free)
		f.free -= n
	}
	f.sizes[fd] += n
	return n
}

func (f *FaultStorage) refund(fd storage.FileDesc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.free >= 0 {
		f.free += f.sizes[fd]
	}
	delete(f.sizes, fd)
}

// Create implements storage.Storage.
func (f *FaultStorage) Create(fd storage.FileDesc) (storage.Writer, error) {
	f.refund(fd) // truncated
	if f.Free() == 0 {
		return nil, f.noSpace("open", fd)
	}
	w, err := f.Storage.Create(fd)
	if err != nil {
		return nil, err
	}
	return &faultWriter{Writer: w, f: f, fd: fd}, nil
}

// Remove implements storage.Storage.
func (f *FaultStorage) Remove(fd storage.FileDesc) error {
	err := f.Storage.Remove(fd)
	if err == nil {
		f.refund(fd)
	}
	return err
}

// Rename implements storage.Storage.
func (f *FaultStorage) Rename(oldfd, newfd storage.FileDesc) error {
	if err := f.Storage.Rename(oldfd, newfd); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.free >= 0 {
		f.free += f.sizes[newfd]
	}
	f.sizes[newfd] = f.sizes[oldfd]
	delete(f.sizes, oldfd)
	return nil
}

// SetMeta implements storage.Storage: it writes a new CURRENT file.
func (f *FaultStorage) SetMeta(fd storage.FileDesc) error {
	const currentSize = 16
	f.mu.Lock()
	full := f.free >= 0 && f.free < currentSize
	f.mu.Unlock()
	if full {
		return &os.PathError{Op: "open", Path: filepath.Join(f.dir, "CURRENT"), Err: syscall.ENOSPC}
	}
	return f.Storage.SetMeta(fd)
}

type faultWriter struct {
	storage.Writer
	f  *FaultStorage
	fd storage.FileDesc
}

func (w *faultWriter) Write(p []byte) (int, error) {
	n := int(w.f.take(w.fd, int64(len(p))))
	if n == len(p) {
		return w.Writer.Write(p)
	}
	if n > 0 {
		if m, err := w.Writer.Write(p[:n]); err != nil {
			return m, err
		}
	}
	return n, w.f.noSpace("write", w.fd)
}

// FaultDisk is a disk's free space that outlives reopens of the database
// on it: Wrap (an OpenOptions.Wrap) puts each database opened with it on a
// FaultStorage with that space, and SetFree changes the space of the one
// opened last. It is safe for concurrent use.
type FaultDisk struct {
	mu   sync.Mutex
	free int64
	cur  *FaultStorage
}

// NewFaultDisk returns a disk with unlimited space.
func NewFaultDisk() *FaultDisk { return &FaultDisk{free: -1} }

// Wrap wraps a database's storage (OpenOptions.Wrap).
func (d *FaultDisk) Wrap(s storage.Storage) storage.Storage {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cur = NewFaultStorage(s, "db")
	d.cur.SetFree(d.free)
	return d.cur
}

// SetFree sets the free bytes (negative: unlimited) and reports whether
// that changed them.
func (d *FaultDisk) SetFree(n int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	changed := n != d.free
	d.free = n
	if d.cur != nil {
		d.cur.SetFree(n)
	}
	return changed
}

// FaultFile is a file written outside the database through a FaultDisk
// (the raft log's segments: consensus.File).
type FaultFile interface {
	Write(p []byte) (int, error)
	Sync() error
	Close() error
}

// WrapFile puts a file that path names on the disk: its writes take from
// the free space of the database opened last (Wrap), and fail with ENOSPC
// as a full filesystem's do. (Its bytes are not given back when it is
// removed: a test sets the free space again instead.)
func (d *FaultDisk) WrapFile(path string, f FaultFile) FaultFile {
	return &faultFile{FaultFile: f, d: d, path: path}
}

type faultFile struct {
	FaultFile
	d    *FaultDisk
	path string
}

func (w *faultFile) Write(p []byte) (int, error) {
	w.d.mu.Lock()
	cur := w.d.cur
	w.d.mu.Unlock()
	if cur == nil {
		return w.FaultFile.Write(p)
	}
	n := int(cur.take(storage.FileDesc{Type: storage.TypeTemp, Num: -1}, int64(len(p))))
	if n == len(p) {
		return w.FaultFile.Write(p)
	}
	if n > 0 {
		if m, err := w.FaultFile.Write(p[:n]); err != nil {
			return m, err
		}
	}
	return n, &os.PathError{Op: "write", Path: w.path, Err: syscall.ENOSPC}
}
