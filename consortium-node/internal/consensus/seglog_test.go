package consensus

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/almoner/almoner/consortium-node/testseed"
	"github.com/almoner/almoner/privacy/integrity"
)

var logSeed = flag.Uint64("log-seed", 0, "seed of TestLogCrashAnywhere (0: from the clock)")

// segFiles returns the paths of dir's segments, ascending.
func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(m)
	return m
}

// onBoundary reports whether b is whole records.
func onBoundary(b []byte) bool {
	for off := 0; off < len(b); {
		_, _, end, ok, _ := nextRecord(b, off)
		if !ok {
			return false
		}
		off = end
	}
	return true
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// copyDir copies the files of dir into a new temporary directory.
func copyDir(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, de.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func openLog(t *testing.T, dir string, o LogOptions) (*Storage, *LogReport) {
	t.Helper()
	s, rep, err := OpenLog(dir, o)
	if err != nil {
		t.Fatalf("OpenLog: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, rep
}

// TestLogTornTail cuts the last segment at every byte of the last Save's
// records, as a crash during that write may leave it, and appends zeros
// as a filesystem that extended the file but never wrote it does. The log
// opens, drops the torn tail, keeps everything the earlier Save made
// durable, and holds either all of the last Save or none of it.
func TestLogTornTail(t *testing.T) {
	dir := t.TempDir()
	s, _ := openLog(t, dir, LogOptions{})
	mustSave(t, s, hardState(1, 1, 5), entries(1, 5, 1), nil)
	v1 := capture(t, s)
	seg := segFiles(t, dir)[0]
	size1 := fileSize(t, seg)
	big := entries(6, 8, 2)
	big[1].Data = bytes.Repeat([]byte("block "), 400) // the record spans sectors
	mustSave(t, s, hardState(2, 1, 8), big, nil)
	v2 := capture(t, s)
	size2 := fileSize(t, seg)
	s.Close()
	whole, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}

	check := func(t *testing.T, dir string, wantDrop bool) {
		t.Helper()
		got, rep := openLog(t, dir, LogOptions{})
		if (rep.DroppedTail != "") != wantDrop {
			t.Errorf("DroppedTail = %q, want a drop: %v", rep.DroppedTail, wantDrop)
		}
		g := capture(t, got)
		switch {
		case proto.Equal(g.hs, v2.hs):
			equalView(t, g, v2)
		case proto.Equal(g.hs, v1.hs):
			equalView(t, g, v1)
		default:
			t.Fatalf("hard state %v is neither the first Save's nor the second's", g.hs)
		}
		got.Close()
		again, rep := openLog(t, dir, LogOptions{})
		if rep.DroppedTail != "" {
			t.Errorf("a second open dropped %q again", rep.DroppedTail)
		}
		equalView(t, capture(t, again), g)
	}
	for cut := size1; cut < size2; cut++ {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, filepath.Base(seg)), whole[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprint("cut at ", cut), func(t *testing.T) {
			check(t, d, !onBoundary(whole[:cut]))
		})
	}
	t.Run("zeros after the tail", func(t *testing.T) {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, filepath.Base(seg)), append(bytes.Clone(whole), make([]byte, 4096)...),
			0o600); err != nil {
			t.Fatal(err)
		}
		check(t, d, true)
	})
	t.Run("a sector of the last record never written", func(t *testing.T) {
		d := t.TempDir()
		b := bytes.Clone(whole)
		s := (size1/512 + 2) * 512
		if s+512 > size2 {
			t.Fatalf("the last record (%d to %d) spans no whole sector", size1, size2)
		}
		clear(b[s : s+512])
		if err := os.WriteFile(filepath.Join(d, filepath.Base(seg)), b, 0o600); err != nil {
			t.Fatal(err)
		}
		check(t, d, true)
	})
	t.Run("a segment started but not written", func(t *testing.T) {
		for _, n := range []int{0, 5, recHeader + 2} {
			d := t.TempDir()
			if err := os.WriteFile(filepath.Join(d, filepath.Base(seg)), whole, 0o600); err != nil {
				t.Fatal(err)
			}
			next := filepath.Join(d, fmt.Sprintf("%016x%s", 2, segSuffix))
			if err := os.WriteFile(next, appendRecord(nil, recState, []byte("0123456789abcdef0123"))[:n], 0o600); err != nil {
				t.Fatal(err)
			}
			got, rep := openLog(t, d, LogOptions{})
			equalView(t, capture(t, got), v2)
			got.Close()
			if rep.DroppedTail != next {
				t.Errorf("DroppedTail = %q, want %s", rep.DroppedTail, next)
			}
			// Dropped, and started again by the open: whole, with its state.
			if b, err := os.ReadFile(next); err != nil || len(b) == 0 || !onBoundary(b) {
				t.Errorf("segment 2 after the open: %d bytes, %v", len(b), err)
			}
		}
	})
}

// TestLogCorrupt damages a log in ways no crash does: OpenLog refuses with
// ErrCorrupt (integrity.ErrFailed) naming the place, and changes nothing.
func TestLogCorrupt(t *testing.T) {
	// Segments: 1 (state only, started by the open), 2 (state, entries
	// 1-3), 3 (state, entries 4-6), 4 (state, entries 7-9, hard state).
	build := func(t *testing.T) string {
		dir := t.TempDir()
		s, _ := openLog(t, dir, LogOptions{SegmentBytes: 1})
		mustSave(t, s, nil, entries(1, 3, 1), nil)
		mustSave(t, s, nil, entries(4, 6, 1), nil)
		mustSave(t, s, hardState(1, 1, 9), entries(7, 9, 1), nil)
		s.Close()
		if n := len(segFiles(t, dir)); n != 4 {
			t.Fatalf("%d segments, want 4", n)
		}
		return dir
	}
	seg := func(dir string, n int) string { return filepath.Join(dir, fmt.Sprintf("%016x%s", n, segSuffix)) }
	edit := func(t *testing.T, path string, f func(b []byte) []byte) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, f(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string) string // returns what the error must name
	}{
		{"flipped byte in an earlier segment", func(t *testing.T, dir string) string {
			edit(t, seg(dir, 2), func(b []byte) []byte { b[len(b)-4] ^= 1; return b })
			return seg(dir, 2)
		}},
		{"torn tail in an earlier segment", func(t *testing.T, dir string) string {
			edit(t, seg(dir, 3), func(b []byte) []byte { return b[:len(b)-3] })
			return seg(dir, 3)
		}},
		{"flipped byte in the last record", func(t *testing.T, dir string) string {
			edit(t, seg(dir, 4), func(b []byte) []byte { b[len(b)-2] ^= 0x10; return b })
			return seg(dir, 4)
		}},
		{"flipped byte before the last record", func(t *testing.T, dir string) string {
			edit(t, seg(dir, 3), func(b []byte) []byte { b[40] ^= 0x80; return b })
			return seg(dir, 3)
		}},
		{"missing segment", func(t *testing.T, dir string) string {
			if err := os.Remove(seg(dir, 3)); err != nil {
				t.Fatal(err)
			}
			return "missing"
		}},
		{"missing first segments", func(t *testing.T, dir string) string {
			for _, n := range []int{1, 2} { // segment 1 alone holds nothing the others lack
				if err := os.Remove(seg(dir, n)); err != nil {
					t.Fatal(err)
				}
			}
			return "missing"
		}},
		{"unknown record type", func(t *testing.T, dir string) string {
			edit(t, seg(dir, 2), func(b []byte) []byte { return append(b, appendRecord(nil, 99, []byte("x"))...) })
			return seg(dir, 2)
		}},
		{"segment without its state", func(t *testing.T, dir string) string {
			edit(t, seg(dir, 2), func(b []byte) []byte {
				_, _, end, _, _ := nextRecord(b, 0)
				return b[end:]
			})
			return seg(dir, 2)
		}},
		{"state that does not follow", func(t *testing.T, dir string) string {
			st, _ := encodeState(hardState(7, 7, 0), nil, logID{})
			edit(t, seg(dir, 4), func([]byte) []byte { return appendRecord(nil, recState, st) })
			return seg(dir, 4)
		}},
		{"entry out of place", func(t *testing.T, dir string) string {
			edit(t, seg(dir, 4), func(b []byte) []byte {
				b, _ = appendProtoRecord(b, recEntry, entry(12, 1))
				return append(b, appendRecord(nil, recHardState, nil)...)
			})
			return seg(dir, 4)
		}},
		{"commit beyond the log", func(t *testing.T, dir string) string {
			edit(t, seg(dir, 4), func(b []byte) []byte {
				b, _ = appendProtoRecord(b, recHardState, hardState(1, 1, 30))
				return b
			})
			return "commit"
		}},
		{"not a segment name", func(t *testing.T, dir string) string {
			if err := os.WriteFile(filepath.Join(dir, "zz.seg"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return "zz.seg"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := build(t)
			want := tt.damage(t, dir)
			before := map[string][]byte{}
			for _, f := range segFiles(t, dir) {
				before[f], _ = os.ReadFile(f)
			}
			for _, ro := range []bool{true, false} {
				s, _, err := OpenLog(dir, LogOptions{ReadOnly: ro})
				if !errors.Is(err, ErrCorrupt) || !errors.Is(err, integrity.ErrFailed) || !strings.Contains(err.Error(), want) {
					t.Fatalf("OpenLog(read-only %v) = %v, %v; want ErrCorrupt naming %q", ro, s, err, want)
				}
			}
			after := segFiles(t, dir)
			if len(after) != len(before) {
				t.Fatalf("segments %v after a refused open, were %d", after, len(before))
			}
			for _, f := range after {
				if b, _ := os.ReadFile(f); !bytes.Equal(b, before[f]) {
					t.Errorf("%s changed by a refused open", f)
				}
			}
		})
	}
}

// TestLogCrashAnywhere drives a log through random appends, conflicting
// suffixes, commits, snapshots and compactions with small segments, and
// after each step simulates a crash during the next one: the files as
// that step left them, with the last segment cut anywhere after what the
// step before had made durable. Every such log opens, and holds every
// entry the step before had committed, with the same term. The seed is
// printed; rerun one with -log-seed.
func TestLogCrashAnywhere(t *testing.T) {
	rng := testseed.Rand(t, *logSeed, "-log-seed")
	dir := t.TempDir()
	s, _ := openLog(t, dir, LogOptions{SegmentBytes: 300})
	var term, commit uint64 = 1, 0
	for step := range 150 {
		before := capture(t, s)
		pre := copyDir(t, dir)
		segs := segFiles(t, dir)
		acked := map[string]int64{}
		for _, f := range segs {
			acked[f] = fileSize(t, f)
		}

		first, _ := s.FirstIndex()
		last, _ := s.LastIndex()
		switch op := rng.IntN(10); {
		case op < 5: // append, sometimes replacing an uncommitted suffix
			from := last + 1
			if rng.IntN(3) == 0 && last > commit {
				from = commit + 1 + rng.Uint64N(last-commit)
				term++
			}
			n := 1 + rng.Uint64N(4)
			commit = min(from+n-1, commit+rng.Uint64N(n+1))
			mustSave(t, s, hardState(term, 1, commit), entries(from, from+n-1, term), nil)
		case op < 7 && commit >= first: // snapshot and compact
			at := first + rng.Uint64N(commit-first+1)
			if si := before.snap.GetMetadata().GetIndex(); at > si {
				if _, err := s.CreateSnapshot(at, &raftpb.ConfState{Voters: []uint64{1}}, []byte("state")); err != nil {
					t.Fatal(err)
				}
				if rng.IntN(2) == 0 {
					if err := s.Compact(at); err != nil {
						t.Fatal(err)
					}
				}
			}
		case op < 8 && last > 0: // a snapshot from the leader replaces the log
			term++
			at := last + 1 + rng.Uint64N(3)
			commit = at
			mustSave(t, s, hardState(term, 1, commit), nil, snapshot(at, term, []uint64{1}, "leader's"))
		default: // a commit
			if commit < last {
				commit += 1 + rng.Uint64N(last-commit)
				mustSave(t, s, hardState(term, 1, commit), nil, nil)
			}
		}
		after := segFiles(t, dir)
		lastSeg := after[len(after)-1]
		size := fileSize(t, lastSeg)
		cut := acked[lastSeg] // 0 for a segment the step started
		if size > cut {
			cut += rng.Int64N(size - cut + 1)
		}
		crashed := copyDir(t, dir)
		if err := os.Truncate(filepath.Join(crashed, filepath.Base(lastSeg)), cut); err != nil {
			t.Fatal(err)
		}
		if cut < size { // the write was not durable: no segment was released after it
			for _, f := range segs {
				if _, err := os.Stat(filepath.Join(crashed, filepath.Base(f))); errors.Is(err, os.ErrNotExist) {
					b, _ := os.ReadFile(filepath.Join(pre, filepath.Base(f)))
					if err := os.WriteFile(filepath.Join(crashed, filepath.Base(f)), b, 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		got, _, err := OpenLog(crashed, LogOptions{SegmentBytes: 300})
		if err != nil {
			t.Fatalf("step %d: a crash cutting %s at %d of %d bytes: %v", step, filepath.Base(lastSeg), cut, size, err)
		}
		g := capture(t, got)
		got.Close()
		if g.hs.GetCommit() < before.hs.GetCommit() {
			t.Fatalf("step %d: commit %d after the crash, %d before", step, g.hs.GetCommit(), before.hs.GetCommit())
		}
		for i, e := range before.ents {
			idx := before.first + uint64(i)
			if idx > before.hs.GetCommit() || idx < g.first {
				continue
			}
			if gt := g.terms[idx-g.first]; gt != e.GetTerm() {
				t.Fatalf("step %d: committed entry %d has term %d after the crash, %d before", step, idx, gt, e.GetTerm())
			}
		}
		if g.first > before.first && g.first-1 > before.hs.GetCommit() && g.snap.GetMetadata().GetIndex() < g.first-1 {
			t.Fatalf("step %d: the log's base moved to %d, above the commit %d", step, g.first-1, before.hs.GetCommit())
		}
	}
	if n := len(segFiles(t, dir)); n > 40 {
		t.Errorf("%d segments left: compaction does not release them", n)
	}
}

// FuzzLogSegment opens a log whose segments are the fuzzer's bytes (split
// in two): it never panics, and refuses anything but a log it can replay
// with ErrCorrupt.
func FuzzLogSegment(f *testing.F) {
	dir := f.TempDir()
	s, _, err := OpenLog(dir, LogOptions{SegmentBytes: 200})
	if err != nil {
		f.Fatal(err)
	}
	_ = s.Save(hardState(1, 1, 3), entries(1, 4, 1), nil)
	_, _ = s.CreateSnapshot(2, &raftpb.ConfState{Voters: []uint64{1}}, []byte("x"))
	_ = s.Compact(2)
	_ = s.Save(hardState(2, 1, 4), entries(4, 5, 2), snapshot(3, 1, []uint64{1}, "y"))
	s.Close()
	var all []byte
	for _, p := range segFiles(f, dir) {
		b, _ := os.ReadFile(p)
		f.Add(b, 0)
		all = append(all, b...)
	}
	f.Add(all, len(all)/2)
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		dir := t.TempDir()
		parts := [][]byte{data}
		if split > 0 && split < len(data) {
			parts = [][]byte{data[:split], data[split:]}
		}
		for i, p := range parts {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%016x%s", i+1, segSuffix)), p, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		for _, ro := range []bool{true} { // writing (truncating a torn tail) is TestLogTornTail's
			s, _, err := OpenLog(dir, LogOptions{ReadOnly: ro})
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("OpenLog: %v; want ErrCorrupt", err)
				}
				continue
			}
			if _, err := s.Capture(nil); err != nil {
				t.Fatal(err)
			}
			s.Close()
		}
	})
}

// FuzzLogReplay replays the fuzzer's bytes as the records of a last
// segment, in memory (the decoder under OpenLog, thousands of times
// faster): it never panics, and what it accepts builds a Storage or is
// refused with ErrCorrupt.
func FuzzLogReplay(f *testing.F) {
	st, _ := encodeState(hardState(1, 1, 2), snapshot(2, 1, []uint64{1}, "s"), logID{2, 1})
	seg := appendRecord(nil, recState, st)
	batch := make([]byte, recHeader)
	batch, _ = appendProtoRecord(batch, recEntry, entry(3, 1))
	batch, _ = appendProtoRecord(batch, recHardState, hardState(1, 1, 3))
	sealRecord(batch, recBatch)
	seg = append(seg, batch...)
	seg = appendRecord(seg, recCompact, logID{3, 1}.encode())
	f.Add(seg)
	f.Add(seg[:len(seg)-5])
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &replayer{}
		good, err := r.segment(data, true, "fuzz")
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("segment: %v; want ErrCorrupt", err)
			}
			return
		}
		if good > len(data) {
			t.Fatalf("sound part %d of %d bytes", good, len(data))
		}
		l, err := r.result()
		if err == nil {
			_, err = newStorage(nil, l)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("result: %v; want ErrCorrupt", err)
		}
	})
}
