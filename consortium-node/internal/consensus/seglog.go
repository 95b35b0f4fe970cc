package consensus

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/almoner/almoner/privacy/fsync"
)

// The segment log: a raft Storage in a folder of its own, written once
// and fsynced, never compacted by a database (docs/decisions/0046).
//
// The folder holds segments named by a sequence number, 16 hex digits and
// ".seg", with no number missing between the first and the last. A
// segment is a sequence of records:
//
//	length  uint32, little-endian: the bytes of type and payload
//	crc     uint32, little-endian: CRC-32C (Castagnoli) of type and payload
//	type    byte
//	payload
//
// Every segment begins with a state record: the hard state, the snapshot
// and the log's base when the segment was started. The other records
// replay the Storage's changes in order: an entry (replacing any entry at
// or after its index), a hard state, Save's snapshot (which replaces the
// log), CreateSnapshot's snapshot (which keeps it), and Compact's new
// base. The records of one change (a Save's snapshot, entries and hard
// state) are the payload of one batch record, written with one write and
// one fsync, so that a change is replayed whole or not at all.
//
// A new segment is started when the current one passes SegmentBytes and
// each time the log is opened for writing. Segments are deleted, oldest
// first, once every entry they hold is at or below the log's base; so the
// first segment's entries may begin above its state record's base, and
// the gap must be covered by the base that the later records reach.
//
// A crash can leave the last segment with a torn tail — the last record
// cut short, followed only by zero bytes, or with a sector of it reading
// as zeros (nextRecord) — from a write that was never acknowledged: it is
// dropped (the file truncated) on open. Any other
// damage (a bad record that is not at the tail, in any segment, a missing
// segment, records that contradict each other) is an error wrapping
// ErrCorrupt, naming the file.

// Record types.
const (
	recState     = 1 // hard state, snapshot and log base (stateRecord)
	recEntry     = 2 // raftpb.Entry
	recHardState = 3 // raftpb.HardState
	recSnapshot  = 4 // Save's raftpb.Snapshot: replaces the log
	recCreated   = 5 // CreateSnapshot's raftpb.Snapshot: keeps the log
	recCompact   = 6 // the log's new base: index and term, big-endian
	recBatch     = 7 // the records of one change (types 2-6), whole or not at all
)

const (
	recHeader = 9 // length, crc, type
	// maxRecord bounds a record's length: far above any raft entry the
	// node writes (a block's proposal is bounded by the genesis
	// parameters), low enough that a damaged length is not a huge read.
	maxRecord = 1 << 30
	// DefaultSegmentBytes is the size past which a new segment is started.
	DefaultSegmentBytes = 16 << 20
	segSuffix           = ".seg"
	// maxKeptBuffer bounds the write buffer kept between changes.
	maxKeptBuffer = 16 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// LogOptions configure OpenLog.
type LogOptions struct {
	// SegmentBytes is the size past which a new segment is started
	// (default DefaultSegmentBytes).
	SegmentBytes int64
	// ReadOnly opens the log without writing anything: a torn tail is
	// skipped, not dropped, and every change fails.
	ReadOnly bool
	// Wrap, if set, wraps each segment opened for writing (fault tests:
	// store.FaultDisk.WrapFile, a disk that fills).
	Wrap func(path string, f File) File
}

// File is what a segment is written through: an *os.File, or what
// LogOptions.Wrap makes of it.
type File interface {
	Write(p []byte) (int, error)
	Sync() error
	Close() error
}

// LogReport says what OpenLog found.
type LogReport struct {
	// Segments is how many segments the log had.
	Segments int
	// DroppedTail names the segment whose torn tail (a write cut off by a
	// crash, never acknowledged) was dropped, with the bytes dropped.
	DroppedTail      string
	DroppedTailBytes int64
}

// segLog is the segment log backend.
type segLog struct {
	dir      string
	opts     LogOptions
	seqs     []uint64          // live segments, ascending and consecutive
	maxIndex map[uint64]uint64 // the highest entry index written to each segment
	f        File              // the last segment, open for appending; nil when read-only or closed
	size     int64             // bytes of f
	failed   error             // the first failed write: nothing more is written until reopened
	buf      []byte            // the last change's buffer, reused

	// The state a new segment starts with.
	hs   *raftpb.HardState
	snap *raftpb.Snapshot
	base logID
}

// OpenLog opens the segment log in dir, creating it (and dir) when there
// is none. Damage other than a torn tail is an error wrapping ErrCorrupt
// (integrity.ErrFailed) that names the file; the Storage must be closed
// (Close) after use.
func OpenLog(dir string, o LogOptions) (*Storage, *LogReport, error) {
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	rep := &LogReport{}
	if !o.ReadOnly {
		if err := mkdirSynced(dir); err != nil {
			return nil, nil, err
		}
	}
	seqs, err := listSegments(dir)
	if err != nil && !(o.ReadOnly && errors.Is(err, os.ErrNotExist)) {
		return nil, nil, err
	}
	rep.Segments = len(seqs)
	sl := &segLog{dir: dir, opts: o, maxIndex: map[uint64]uint64{}}
	r := &replayer{}
	for i, seq := range seqs {
		last := i == len(seqs)-1
		buf, err := os.ReadFile(sl.path(seq))
		if err != nil {
			return nil, nil, fmt.Errorf("consensus: reading the raft log: %w", err)
		}
		good, err := r.segment(buf, last, sl.path(seq))
		if err != nil {
			return nil, nil, err
		}
		sl.maxIndex[seq] = r.segMax
		if good < len(buf) || good == 0 { // a torn tail (last segment only)
			rep.DroppedTail, rep.DroppedTailBytes = sl.path(seq), int64(len(buf)-good)
			if !o.ReadOnly {
				if err := dropTail(sl.path(seq), good); err != nil {
					return nil, nil, err
				}
			}
			if good == 0 { // started but never written: as if never made
				seqs = seqs[:i]
				break
			}
		}
	}
	sl.seqs = seqs
	l, err := r.result()
	if err != nil {
		return nil, nil, err
	}
	sl.hs, sl.snap, sl.base = l.hs, l.snap, l.base
	s, err := newStorage(sl, l)
	if err != nil {
		if len(seqs) > 0 {
			err = fmt.Errorf("%w (raft log %s)", err, dir)
		}
		return nil, nil, err
	}
	if !o.ReadOnly {
		if err := sl.roll(); err != nil {
			sl.close()
			return nil, nil, err
		}
	}
	return s, rep, nil
}

func (sl *segLog) path(seq uint64) string {
	return filepath.Join(sl.dir, fmt.Sprintf("%016x%s", seq, segSuffix))
}

// listSegments returns the sequence numbers of dir's segments, ascending;
// a number missing between the first and the last is ErrCorrupt.
func listSegments(dir string) ([]uint64, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("consensus: reading the raft log folder: %w", err)
	}
	var seqs []uint64
	for _, de := range des {
		name := de.Name()
		if !strings.HasSuffix(name, segSuffix) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 16, 64)
		if err != nil || len(name) != 16+len(segSuffix) || seq == 0 {
			return nil, fmt.Errorf("%w: %s: not a segment name", ErrCorrupt, filepath.Join(dir, name))
		}
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			return nil, fmt.Errorf("%w: raft log %s: segment %016x%s is missing (between %016x and %016x)", ErrCorrupt,
				dir, seqs[i-1]+1, segSuffix, seqs[i-1], seqs[i])
		}
	}
	return seqs, nil
}

// persist appends c's records to the last segment and fsyncs it.
func (sl *segLog) persist(c *change) error {
	switch {
	case sl.opts.ReadOnly:
		return errors.New("consensus: the raft log is open read-only")
	case sl.failed != nil:
		return fmt.Errorf("consensus: a write to the raft log failed earlier; reopen it: %w", sl.failed)
	case sl.f == nil:
		return errors.New("consensus: the raft log is closed")
	}
	if sl.size >= sl.opts.SegmentBytes {
		if err := sl.roll(); err != nil {
			return err
		}
	}
	buf := append(sl.buf[:0], make([]byte, recHeader)...) // the batch's header, filled in below
	var err error
	maxIdx := sl.maxIndex[sl.cur()]
	if c.snap != nil {
		buf, err = appendProtoRecord(buf, recSnapshot, c.snap)
	}
	if err == nil && c.created != nil {
		buf, err = appendProtoRecord(buf, recCreated, c.created)
	}
	if err == nil && c.compact != nil {
		buf = appendRecord(buf, recCompact, c.compact.encode())
	}
	for _, e := range c.ents {
		if err != nil {
			break
		}
		buf, err = appendProtoRecord(buf, recEntry, e)
		maxIdx = max(maxIdx, e.GetIndex())
	}
	if err == nil && c.hs != nil {
		buf, err = appendProtoRecord(buf, recHardState, c.hs)
	}
	if err != nil {
		return err
	}
	if len(buf)-recHeader+1 > maxRecord {
		return fmt.Errorf("consensus: a raft log change of %d bytes is over the limit", len(buf))
	}
	sealRecord(buf, recBatch)
	if err := sl.write(buf); err != nil {
		return err
	}
	if cap(buf) <= maxKeptBuffer {
		sl.buf = buf[:0] // kept for the next change: a block's entry is written without growing a buffer
	}
	sl.maxIndex[sl.cur()] = maxIdx
	if c.snap != nil {
		md := c.snap.GetMetadata()
		sl.snap, sl.base = c.snap, logID{md.GetIndex(), md.GetTerm()}
	}
	if c.created != nil {
		sl.snap = c.created
	}
	if c.compact != nil {
		sl.base = *c.compact
	}
	if c.hs != nil {
		sl.hs = c.hs
	}
	if c.snap != nil || c.compact != nil {
		sl.release()
	}
	return nil
}

func (sl *segLog) cur() uint64 { return sl.seqs[len(sl.seqs)-1] }

// write appends buf to the last segment and fsyncs it; a failure stops
// every later write (the tail is dropped when the log is reopened).
func (sl *segLog) write(buf []byte) error {
	if _, err := sl.f.Write(buf); err != nil {
		sl.failed = err
		return fmt.Errorf("consensus: writing the raft log: %w", err)
	}
	if err := sl.f.Sync(); err != nil {
		sl.failed = err
		return fmt.Errorf("consensus: syncing the raft log: %w", err)
	}
	sl.size += int64(len(buf))
	return nil
}

// roll starts the next segment with a state record, durably (the file
// and the folder's entry fsynced), and makes it the one appended to.
func (sl *segLog) roll() error {
	seq := uint64(1)
	if len(sl.seqs) > 0 {
		seq = sl.cur() + 1
	}
	rec, err := encodeState(sl.hs, sl.snap, sl.base)
	if err != nil {
		return err
	}
	p := sl.path(seq)
	of, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("consensus: starting a raft log segment: %w", err)
	}
	var f File = of
	if sl.opts.Wrap != nil {
		f = sl.opts.Wrap(p, of)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(p)
		return fmt.Errorf("consensus: starting raft log segment %s: %w", p, err)
	}
	first := appendRecord(nil, recState, rec)
	if _, err := f.Write(first); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := syncDir(sl.dir); err != nil {
		return fail(err)
	}
	if sl.f != nil {
		sl.f.Close() // fsynced at its last write
	}
	sl.f, sl.size = f, int64(len(first))
	sl.seqs = append(sl.seqs, seq)
	sl.maxIndex[seq] = 0
	return nil
}

// release deletes the oldest segments whose entries are all at or below
// the log's base (never the last one). A segment that cannot be deleted
// now is tried again after the next compaction.
func (sl *segLog) release() {
	for len(sl.seqs) > 1 && sl.maxIndex[sl.seqs[0]] <= sl.base.index {
		if err := os.Remove(sl.path(sl.seqs[0])); err != nil && !errors.Is(err, os.ErrNotExist) {
			return
		}
		delete(sl.maxIndex, sl.seqs[0])
		sl.seqs = sl.seqs[1:]
	}
}

func (sl *segLog) close() error {
	if sl.f == nil {
		return nil
	}
	err := sl.f.Close()
	sl.f = nil
	return err
}

// appendRecord appends a record of type typ to buf.
func appendRecord(buf []byte, typ byte, payload []byte) []byte {
	off := len(buf)
	buf = append(append(buf, make([]byte, recHeader)...), payload...)
	sealRecord(buf[off:], typ)
	return buf
}

// sealRecord fills in the header of the record rec (a header's room,
// then the payload).
func sealRecord(rec []byte, typ byte) {
	binary.LittleEndian.PutUint32(rec[0:4], uint32(len(rec)-8))
	rec[8] = typ
	binary.LittleEndian.PutUint32(rec[4:8], crc32.Checksum(rec[8:], castagnoli))
}

func appendProtoRecord(buf []byte, typ byte, m proto.Message) ([]byte, error) {
	off := len(buf)
	buf, err := proto.MarshalOptions{}.MarshalAppend(append(buf, make([]byte, recHeader)...), m)
	if err != nil {
		return nil, fmt.Errorf("consensus: encoding a raft log record: %w", err)
	}
	if len(buf)-off-recHeader >= maxRecord {
		return nil, fmt.Errorf("consensus: a raft log record of %d bytes is over the limit", len(buf)-off)
	}
	sealRecord(buf[off:], typ)
	return buf, nil
}

// encodeState is a state record's payload: the hard state and the
// snapshot (each a uvarint length, 0 for none, and its protobuf), then
// the base (index and term, big-endian).
func encodeState(hs *raftpb.HardState, snap *raftpb.Snapshot, base logID) ([]byte, error) {
	var h, sn []byte
	var err error
	if hs != nil {
		h, err = deterministic.Marshal(hs)
	}
	if err == nil && snap != nil {
		sn, err = deterministic.Marshal(snap)
	}
	if err != nil {
		return nil, fmt.Errorf("consensus: encoding a raft log state: %w", err)
	}
	out := binary.AppendUvarint(nil, uint64(len(h)))
	out = binary.AppendUvarint(append(out, h...), uint64(len(sn)))
	return append(append(out, sn...), base.encode()...), nil
}

var deterministic = proto.MarshalOptions{Deterministic: true}

// decodeState decodes encodeState's payload.
func decodeState(p []byte) (*raftpb.HardState, *raftpb.Snapshot, logID, error) {
	var parts [2][]byte
	for i := range parts {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return nil, nil, logID{}, fmt.Errorf("%w: malformed state record", ErrCorrupt)
		}
		parts[i], p = p[k:k+int(n)], p[k+int(n):]
	}
	base, err := decodeLogID(p)
	if err != nil {
		return nil, nil, logID{}, err
	}
	var hs *raftpb.HardState
	if len(parts[0]) > 0 {
		hs = new(raftpb.HardState)
		if err := proto.Unmarshal(parts[0], hs); err != nil {
			return nil, nil, logID{}, fmt.Errorf("%w: state record's hard state: %w", ErrCorrupt, err)
		}
	}
	var snap *raftpb.Snapshot
	if len(parts[1]) > 0 {
		snap = new(raftpb.Snapshot)
		if err := proto.Unmarshal(parts[1], snap); err != nil {
			return nil, nil, logID{}, fmt.Errorf("%w: state record's snapshot: %w", ErrCorrupt, err)
		}
	}
	return hs, snap, base, nil
}

// nextRecord decodes the record at buf[off:] (buf is a whole segment):
// its type, payload and end. ok is false when the record is not whole and
// sound; torn then says whether it is a torn tail, the mark a write cut
// off by a crash leaves: the record cut short by the end of buf, or
// followed by nothing but zero bytes, or ending the segment with a sector
// of it (512 bytes, as the file is laid out) that reads as zeros (a write
// whose sectors did not all reach the disk). A bad checksum without such
// a mark is damage, not a crash.
func nextRecord(buf []byte, off int) (typ byte, payload []byte, end int, ok, torn bool) {
	rest := buf[off:]
	zeros := len(bytes.Trim(rest, "\x00")) == 0
	if len(rest) < recHeader {
		return 0, nil, 0, false, true
	}
	n := int64(binary.LittleEndian.Uint32(rest[0:4]))
	if n < 1 || n > maxRecord {
		return 0, nil, 0, false, zeros
	}
	if int64(len(rest)) < 8+n {
		return 0, nil, 0, false, true
	}
	body := rest[8 : 8+n]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(rest[4:8]) {
		end := off + 8 + int(n)
		return 0, nil, 0, false, zeros || (end == len(buf) && zeroSector(buf, off, end))
	}
	return body[0], body[1:], off + 8 + int(n), true, false
}

// zeroSector reports whether a 512-byte sector of buf within [from, to)
// (clipped to it: the record's first and last sectors may hold others'
// bytes) is all zeros.
func zeroSector(buf []byte, from, to int) bool {
	const sector = 512
	for s := from - from%sector; s < to; s += sector {
		if len(bytes.Trim(buf[max(s, from):min(s+sector, to)], "\x00")) == 0 {
			return true
		}
	}
	return false
}

// replayer rebuilds a Storage's state from the records of its segments.
type replayer struct {
	started bool // a state record was read
	hs      *raftpb.HardState
	snap    *raftpb.Snapshot
	base    logID
	ents    []*raftpb.Entry // from start on
	start   uint64
	// gapOK: no entry or log-replacing snapshot was read yet, so the
	// first entry may lie above base+1 (its predecessors were in a
	// deleted segment; the final base must cover them).
	gapOK  bool
	segMax uint64 // the highest entry index in the segment being read
}

// segment applies the records of one segment (file, for errors) and
// returns the length of its sound part: all of buf, or less when the last
// segment (last) has a torn tail.
func (r *replayer) segment(buf []byte, last bool, file string) (int, error) {
	r.segMax = 0
	if len(buf) == 0 && !last {
		return 0, fmt.Errorf("%w: raft log %s is empty", ErrCorrupt, file)
	}
	for off, i := 0, 0; off < len(buf); i++ {
		typ, p, end, ok, torn := nextRecord(buf, off)
		if !ok {
			if last && torn {
				return off, nil
			}
			return 0, fmt.Errorf("%w: raft log %s: damaged record at byte %d", ErrCorrupt, file, off)
		}
		if (i == 0) != (typ == recState) {
			return 0, fmt.Errorf("%w: raft log %s: record %d at byte %d has type %d (a segment begins with its "+
				"state, and only there)", ErrCorrupt, file, i, off, typ)
		}
		if err := r.apply(typ, p); err != nil {
			return 0, fmt.Errorf("%w (raft log %s, byte %d)", err, file, off)
		}
		off = end
	}
	return len(buf), nil
}

func (r *replayer) apply(typ byte, p []byte) error {
	switch typ {
	case recState:
		hs, snap, base, err := decodeState(p)
		if err != nil {
			return err
		}
		if !r.started {
			r.started, r.hs, r.snap, r.base, r.gapOK = true, hs, snap, base, true
			return nil
		}
		a, _ := deterministic.Marshal(hs)
		b, _ := deterministic.Marshal(r.hs)
		sm, rm := snap.GetMetadata(), r.snap.GetMetadata()
		if !bytes.Equal(a, b) || sm.GetIndex() != rm.GetIndex() || sm.GetTerm() != rm.GetTerm() || base != r.base {
			return fmt.Errorf("%w: a segment's state does not follow from the segments before it", ErrCorrupt)
		}
	case recEntry:
		e := new(raftpb.Entry)
		if err := proto.Unmarshal(p, e); err != nil {
			return fmt.Errorf("%w: entry: %w", ErrCorrupt, err)
		}
		return r.entry(e)
	case recHardState:
		hs := new(raftpb.HardState)
		if err := proto.Unmarshal(p, hs); err != nil {
			return fmt.Errorf("%w: hard state: %w", ErrCorrupt, err)
		}
		r.hs = hs
	case recSnapshot, recCreated:
		snap := new(raftpb.Snapshot)
		if err := proto.Unmarshal(p, snap); err != nil {
			return fmt.Errorf("%w: snapshot: %w", ErrCorrupt, err)
		}
		si := snap.GetMetadata().GetIndex()
		if si == 0 || (r.snap != nil && si <= r.snap.GetMetadata().GetIndex()) {
			return fmt.Errorf("%w: snapshot at %d does not follow the one at %d", ErrCorrupt, si,
				r.snap.GetMetadata().GetIndex())
		}
		r.snap = snap
		if typ == recSnapshot {
			r.base, r.ents, r.gapOK = logID{si, snap.GetMetadata().GetTerm()}, nil, false
		}
	case recCompact:
		id, err := decodeLogID(p)
		if err != nil {
			return err
		}
		return r.compact(id)
	case recBatch:
		for off := 0; off < len(p); {
			typ, q, end, ok, _ := nextRecord(p, off)
			if !ok || typ == recState || typ == recBatch {
				return fmt.Errorf("%w: malformed batch record", ErrCorrupt)
			}
			if err := r.apply(typ, q); err != nil {
				return err
			}
			off = end
		}
	default:
		return fmt.Errorf("%w: unknown record type %d", ErrCorrupt, typ)
	}
	return nil
}

func (r *replayer) entry(e *raftpb.Entry) error {
	i := e.GetIndex()
	if i <= r.base.index {
		return fmt.Errorf("%w: entry %d at or below the log's base %d", ErrCorrupt, i, r.base.index)
	}
	r.segMax = max(r.segMax, i)
	gap := len(r.ents) > 0 && r.start > r.base.index+1
	switch {
	case len(r.ents) == 0:
		if i != r.base.index+1 && !r.gapOK {
			return fmt.Errorf("%w: entry %d follows the log's base %d", ErrCorrupt, i, r.base.index)
		}
		if i == r.base.index+1 && e.GetTerm() < r.base.term {
			return fmt.Errorf("%w: entry %d has term %d below the base's %d", ErrCorrupt, i, e.GetTerm(), r.base.term)
		}
		r.start = i
	case i < r.start && gap: // replaces entries that follow the gap
		r.ents, r.start = r.ents[:0], i
	case i < r.start || i > r.start+uint64(len(r.ents)):
		return fmt.Errorf("%w: entry %d does not follow the log [%d, %d]", ErrCorrupt, i, r.start,
			r.start+uint64(len(r.ents))-1)
	default:
		r.ents = r.ents[:i-r.start]
		prev := r.base.term
		if len(r.ents) > 0 {
			prev = r.ents[len(r.ents)-1].GetTerm()
		} else if i != r.base.index+1 {
			prev = 0 // after the gap: unknown
		}
		if e.GetTerm() < prev {
			return fmt.Errorf("%w: entry %d has term %d below the previous term %d", ErrCorrupt, i, e.GetTerm(), prev)
		}
	}
	r.ents = append(r.ents, e)
	r.gapOK = false
	return nil
}

func (r *replayer) compact(id logID) error {
	if id.index <= r.base.index {
		return fmt.Errorf("%w: compaction to %d at or below the log's base %d", ErrCorrupt, id.index, r.base.index)
	}
	last := r.base.index
	if len(r.ents) > 0 {
		last = r.start + uint64(len(r.ents)) - 1
	}
	switch {
	case id.index > last && !(len(r.ents) == 0 && r.gapOK):
		return fmt.Errorf("%w: compaction to %d beyond the log's last entry %d", ErrCorrupt, id.index, last)
	case len(r.ents) > 0 && id.index >= r.start:
		if t := r.ents[id.index-r.start].GetTerm(); t != id.term {
			return fmt.Errorf("%w: compaction to %d at term %d; the entry has term %d", ErrCorrupt, id.index, id.term, t)
		}
		r.ents, r.start = r.ents[id.index-r.start+1:], id.index+1
	}
	r.base = id
	return nil
}

// result is the replayed state; entries left above a gap that no base
// covers are ErrCorrupt (a segment that held them is missing).
func (r *replayer) result() (*loaded, error) {
	if len(r.ents) > 0 && r.start != r.base.index+1 {
		return nil, fmt.Errorf("%w: the raft log's entries begin at %d but its base is %d: a segment is missing",
			ErrCorrupt, r.start, r.base.index)
	}
	return &loaded{hs: r.hs, snap: r.snap, base: r.base, ents: r.ents}, nil
}

// dropTail truncates the file at path to size bytes, durably.
func dropTail(path string, size int) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("consensus: dropping a torn raft log tail: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(int64(size)); err != nil {
		return fmt.Errorf("consensus: dropping a torn raft log tail: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("consensus: dropping a torn raft log tail: %w", err)
	}
	if size == 0 {
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("consensus: removing an empty raft log segment: %w", err)
		}
		return syncDir(filepath.Dir(path))
	}
	return nil
}

// mkdirSynced creates dir if it does not exist, durably.
func mkdirSynced(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("consensus: creating the raft log folder: %w", err)
	}
	return syncDir(filepath.Dir(filepath.Clean(dir)))
}

// syncDir fsyncs a folder, making the files created, renamed or removed
// in it durable.
func syncDir(dir string) error {
	if err := fsync.Dir(dir); err != nil {
		return fmt.Errorf("consensus: syncing folder: %w", err)
	}
	return nil
}
