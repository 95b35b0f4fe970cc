package api

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/privacy/integrity"
)

// The backup archive (docs/decisions/0016-backup-restore.md) is what
// GET /v1/backup streams and what `portal backup` writes: a versioned
// header, then database records and files, then an end record and a
// SHA-256 over every byte before it.
//
//	magic    "\x89ALMBK\r\n" (8 bytes)
//	version  1 byte (BackupVersion)
//	header   uvarint length, then BackupHeader in deterministic CBOR
//	records  tag 1: database record: uvarint key length, key, uvarint value length, value
//	                (keys strictly ascending, as a database snapshot yields them)
//	         tag 2: file: uvarint name length, name, uvarint mode, uvarint size, content
//	                (a clean relative slash path, each name once)
//	end      tag 0, uvarint number of database records, uvarint number of files
//	checksum SHA-256 of everything from the magic to the end record (32 bytes)
//
// The checksum detects a corrupted or truncated archive (a stream cut by a
// dying node or a full disk ends without it); it does not authenticate the
// archive: keep backups where only their organisation's operators reach.

// Archive kinds.
const (
	BackupNode   = "node"   // a node's database
	BackupPortal = "portal" // a portal's accounts database and key files
)

// BackupVersion is the archive version this code writes and reads.
const BackupVersion = 1

// BackupContentType is the media type of an archive (GET /v1/backup).
const BackupContentType = "application/vnd.almoner.backup"

// Limits of an archive, checked before anything is allocated.
const (
	MaxBackupHeader = 64 << 10
	MaxBackupKey    = 64 << 10
	MaxBackupValue  = 256 << 20
	MaxBackupFile   = 64 << 20
	MaxBackupName   = 1024
	MaxBackupFiles  = 100_000
)

// Errors of the archive codec. ErrBackupCorrupt marks integrity failures
// (a bad checksum, a truncated or malformed archive); it is
// integrity.ErrFailed.
var (
	ErrBackupCorrupt = integrity.New("backup: corrupt archive")
	ErrBackupVersion = errors.New("backup: unsupported archive version")
)

var backupMagic = []byte("\x89ALMBK\r\n")

const (
	tagEnd  = 0
	tagKV   = 1
	tagFile = 2
)

// BackupHeader says what an archive holds.
type BackupHeader struct {
	_ struct{} `cbor:",toarray"`
	// Kind is BackupNode or BackupPortal.
	Kind    string `json:"kind"`
	ChainID string `json:"chain_id"`
	// Node and RaftID name the node backed up (node archives).
	Node   string `json:"node,omitempty"`
	RaftID uint64 `json:"raft_id,omitempty"`
	// Org is the node's or the portal's organisation.
	Org string `json:"org,omitempty"`
	// Height and Hash are the node's head when the snapshot was taken; a
	// portal archive has the height its read model had reached (the read
	// model itself is not in it).
	Height uint64      `json:"height"`
	Hash   ledger.Hash `json:"hash"`
	// Time is when the snapshot was taken (Unix nanoseconds).
	Time int64 `json:"time"`
}

// Validate checks the header's shape.
func (h *BackupHeader) Validate() error {
	switch {
	case h.Kind != BackupNode && h.Kind != BackupPortal:
		return fmt.Errorf("%w: unknown kind %q", ErrBackupCorrupt, h.Kind)
	case h.ChainID == "":
		return fmt.Errorf("%w: no chain id", ErrBackupCorrupt)
	case h.Kind == BackupNode && (h.Node == "" || h.RaftID == 0):
		return fmt.Errorf("%w: a node archive must name its node and raft id", ErrBackupCorrupt)
	}
	return nil
}

// String describes the archive in one line, for logs and the CLI.
func (h *BackupHeader) String() string {
	who := h.Org
	if h.Kind == BackupNode {
		who = fmt.Sprintf("%s (raft id %d, %s)", h.Node, h.RaftID, h.Org)
	}
	return fmt.Sprintf("%s backup of %s on chain %q at height %d, taken %s", h.Kind, who, h.ChainID, h.Height,
		time.Unix(0, h.Time).UTC().Format(time.RFC3339))
}

// BackupWriter writes an archive. It is not safe for concurrent use.
type BackupWriter struct {
	w       *bufio.Writer
	sum     hash.Hash
	lastKey []byte
	kvs     uint64
	names   map[string]bool
	closed  bool
	err     error
}

// NewBackupWriter writes the magic, version and header to w.
func NewBackupWriter(w io.Writer, h BackupHeader) (*BackupWriter, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	hb, err := codec.Marshal(&h)
	if err != nil {
		return nil, fmt.Errorf("backup: encoding the header: %w", err)
	}
	if len(hb) > MaxBackupHeader {
		return nil, fmt.Errorf("backup: header of %d bytes", len(hb))
	}
	bw := &BackupWriter{w: bufio.NewWriterSize(w, 1<<20), sum: sha256.New(), names: map[string]bool{}}
	bw.write(backupMagic)
	bw.write([]byte{BackupVersion})
	bw.uvarint(uint64(len(hb)))
	bw.write(hb)
	return bw, bw.err
}

// write writes b and adds it to the checksum.
func (w *BackupWriter) write(b []byte) {
	if w.err == nil {
		w.sum.Write(b)
		_, w.err = w.w.Write(b)
	}
}

func (w *BackupWriter) uvarint(v uint64) { w.write(binary.AppendUvarint(nil, v)) }

// Put adds a database record; keys must come in strictly ascending order.
func (w *BackupWriter) Put(key, value []byte) error {
	switch {
	case w.err != nil:
		return w.err
	case w.closed:
		return errors.New("backup: Put after Close")
	case len(key) == 0 || len(key) > MaxBackupKey || len(value) > MaxBackupValue:
		return fmt.Errorf("backup: record of key length %d and value length %d is outside the archive's limits",
			len(key), len(value))
	case w.kvs > 0 && bytes.Compare(key, w.lastKey) <= 0:
		return fmt.Errorf("backup: key %q does not follow %q", key, w.lastKey)
	}
	w.write([]byte{tagKV})
	w.uvarint(uint64(len(key)))
	w.write(key)
	w.uvarint(uint64(len(value)))
	w.write(value)
	w.lastKey = append(w.lastKey[:0], key...)
	w.kvs++
	return w.err
}

// File adds a file under a relative slash path (see CheckBackupName).
func (w *BackupWriter) File(name string, mode fs.FileMode, data []byte) error {
	switch {
	case w.err != nil:
		return w.err
	case w.closed:
		return errors.New("backup: File after Close")
	case len(data) > MaxBackupFile:
		return fmt.Errorf("backup: file %s of %d bytes is over the archive's limit", name, len(data))
	case w.names[name]:
		return fmt.Errorf("backup: file %s twice", name)
	case len(w.names) >= MaxBackupFiles:
		return fmt.Errorf("backup: more than %d files", MaxBackupFiles)
	}
	if err := CheckBackupName(name); err != nil {
		return err
	}
	w.write([]byte{tagFile})
	w.uvarint(uint64(len(name)))
	w.write([]byte(name))
	w.uvarint(uint64(mode.Perm()))
	w.uvarint(uint64(len(data)))
	w.write(data)
	w.names[name] = true
	return w.err
}

// Close writes the end record and the checksum and flushes; it does not
// close the underlying writer.
func (w *BackupWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	w.write([]byte{tagEnd})
	w.uvarint(w.kvs)
	w.uvarint(uint64(len(w.names)))
	if w.err == nil {
		_, w.err = w.w.Write(w.sum.Sum(nil)) // the checksum covers everything before it
	}
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

// CheckBackupName checks a file name in an archive: a clean relative
// slash path of at most MaxBackupName bytes, no "..", no leading "/", no
// backslash or NUL, so that a restore writes only under its target folder.
func CheckBackupName(name string) error {
	if name == "" || len(name) > MaxBackupName || !fs.ValidPath(name) || name == "." || path.Clean(name) != name ||
		strings.ContainsAny(name, "\\\x00") {
		return fmt.Errorf("%w: bad file name %q", ErrBackupCorrupt, name)
	}
	return nil
}

// BackupEntry is one record of an archive: a database record (Key set)
// or a file (Name set).
type BackupEntry struct {
	Key, Value []byte
	Name       string
	Mode       fs.FileMode
	Data       []byte
}

// IsFile reports whether the entry is a file.
func (e *BackupEntry) IsFile() bool { return e.Name != "" }

// BackupReader reads an archive. Entries are returned as they are read:
// the checksum is verified only when Next returns io.EOF, so a restore
// must stage what it reads and keep it only after io.EOF. It is not safe
// for concurrent use.
type BackupReader struct {
	r       *hashReader
	h       BackupHeader
	lastKey []byte
	kvs     uint64
	names   map[string]bool
	done    bool
}

// NewBackupReader reads and checks the magic, version and header.
func NewBackupReader(r io.Reader) (*BackupReader, error) {
	br := &BackupReader{r: &hashReader{r: bufio.NewReaderSize(r, 1<<20), h: sha256.New()}, names: map[string]bool{}}
	magic := make([]byte, len(backupMagic)+1)
	if _, err := io.ReadFull(br.r, magic); err != nil {
		return nil, fmt.Errorf("%w: reading the magic: %v", ErrBackupCorrupt, err)
	}
	if !bytes.Equal(magic[:len(backupMagic)], backupMagic) {
		return nil, fmt.Errorf("%w: not an Almoner backup archive", ErrBackupCorrupt)
	}
	if v := magic[len(backupMagic)]; v != BackupVersion {
		return nil, fmt.Errorf("%w: version %d (this program reads version %d)", ErrBackupVersion, v, BackupVersion)
	}
	hb, err := br.bytes("header", MaxBackupHeader)
	if err != nil {
		return nil, err
	}
	if err := codec.Ledger.Unmarshal(hb, &br.h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrBackupCorrupt, err)
	}
	if err := br.h.Validate(); err != nil {
		return nil, err
	}
	return br, nil
}

// Header returns the archive's header (not yet covered by a verified
// checksum until Next has returned io.EOF).
func (r *BackupReader) Header() BackupHeader { return r.h }

// uvarint reads a minimally encoded uvarint, so that an archive has one
// encoding only.
func (r *BackupReader) uvarint(what string) (uint64, error) {
	var x uint64
	for i, s := 0, uint(0); i < binary.MaxVarintLen64; i, s = i+1, s+7 {
		b, err := r.r.ReadByte()
		if err != nil {
			return 0, fmt.Errorf("%w: %s: %v", ErrBackupCorrupt, what, noEOF(err))
		}
		if b < 0x80 {
			if (i > 0 && b == 0) || (i == binary.MaxVarintLen64-1 && b > 1) {
				return 0, fmt.Errorf("%w: %s: a non-minimal or overflowing varint", ErrBackupCorrupt, what)
			}
			return x | uint64(b)<<s, nil
		}
		x |= uint64(b&0x7f) << s
	}
	return 0, fmt.Errorf("%w: %s: an overflowing varint", ErrBackupCorrupt, what)
}

// bytes reads a uvarint length of at most limit and that many bytes,
// allocating only as the bytes arrive.
func (r *BackupReader) bytes(what string, limit uint64) ([]byte, error) {
	n, err := r.uvarint(what + " length")
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("%w: %s of %d bytes (at most %d)", ErrBackupCorrupt, what, n, limit)
	}
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, r.r, int64(n)); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBackupCorrupt, what, noEOF(err))
	}
	return buf.Bytes(), nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Next returns the next entry; io.EOF once the end record has been read,
// the checksum verified and nothing follows it. Any other error wraps
// ErrBackupCorrupt (or is the underlying reader's).
func (r *BackupReader) Next() (*BackupEntry, error) {
	if r.done {
		return nil, io.EOF
	}
	tag, err := r.r.ReadByte()
	if err != nil {
		return nil, fmt.Errorf("%w: the archive ends without its end record and checksum (cut short?): %v",
			ErrBackupCorrupt, noEOF(err))
	}
	switch tag {
	case tagKV:
		k, err := r.bytes("key", MaxBackupKey)
		if err != nil {
			return nil, err
		}
		if len(k) == 0 || (r.kvs > 0 && bytes.Compare(k, r.lastKey) <= 0) {
			return nil, fmt.Errorf("%w: database keys out of order", ErrBackupCorrupt)
		}
		v, err := r.bytes("value", MaxBackupValue)
		if err != nil {
			return nil, err
		}
		r.lastKey = append(r.lastKey[:0], k...)
		r.kvs++
		return &BackupEntry{Key: k, Value: v}, nil
	case tagFile:
		nb, err := r.bytes("file name", MaxBackupName)
		if err != nil {
			return nil, err
		}
		name := string(nb)
		if err := CheckBackupName(name); err != nil {
			return nil, err
		}
		if r.names[name] || len(r.names) >= MaxBackupFiles {
			return nil, fmt.Errorf("%w: file %q repeated or too many files", ErrBackupCorrupt, name)
		}
		mode, err := r.uvarint("file mode")
		if err != nil {
			return nil, err
		}
		if mode > 0o777 {
			return nil, fmt.Errorf("%w: file mode %o", ErrBackupCorrupt, mode)
		}
		data, err := r.bytes("file "+name, MaxBackupFile)
		if err != nil {
			return nil, err
		}
		r.names[name] = true
		return &BackupEntry{Name: name, Mode: fs.FileMode(mode), Data: data}, nil
	case tagEnd:
		kvs, err := r.uvarint("record count")
		if err != nil {
			return nil, err
		}
		files, err := r.uvarint("file count")
		if err != nil {
			return nil, err
		}
		if kvs != r.kvs || files != uint64(len(r.names)) {
			return nil, fmt.Errorf("%w: the end record counts %d records and %d files, the archive holds %d and %d",
				ErrBackupCorrupt, kvs, files, r.kvs, len(r.names))
		}
		want := r.r.h.Sum(nil) // of everything consumed so far, before the checksum itself
		got := make([]byte, sha256.Size)
		if _, err := io.ReadFull(r.r.r, got); err != nil {
			return nil, fmt.Errorf("%w: checksum: %v", ErrBackupCorrupt, noEOF(err))
		}
		if !bytes.Equal(got, want) {
			return nil, fmt.Errorf("%w: checksum mismatch: the archive was altered or damaged", ErrBackupCorrupt)
		}
		if _, err := r.r.r.ReadByte(); !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: data after the checksum", ErrBackupCorrupt)
		}
		r.done = true
		return nil, io.EOF
	}
	return nil, fmt.Errorf("%w: unknown record tag %d", ErrBackupCorrupt, tag)
}

// hashReader adds to h exactly the bytes its caller consumes (the
// buffered reader below it may read ahead).
type hashReader struct {
	r *bufio.Reader
	h hash.Hash
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

func (h *hashReader) ReadByte() (byte, error) {
	b, err := h.r.ReadByte()
	if err == nil {
		h.h.Write([]byte{b})
	}
	return b, err
}
