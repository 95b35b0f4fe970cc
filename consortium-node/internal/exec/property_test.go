package exec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/testseed"
)

var seedFlag = flag.Uint64("exec.seed", 0, "seed for the randomised executor test (0: time-based)")

// mapReader is committed state in memory.
type mapReader map[string][]byte

func (m mapReader) Get(k string) ([]byte, bool, error) {
	v, ok := m[k]
	return v, ok, nil
}

// progTxn is a random transaction program: it reads some keys, computes a
// value from what it read, may fail or panic depending on that value,
// writes or deletes keys, and emits an event. Its behaviour depends on the
// values it reads, so wrong speculative reads change its effects.
type progTxn struct {
	id        int
	reads     []string
	writes    []string
	deletes   []string
	failMod   uint64 // fail when sum % failMod == 0 (0: never)
	panicMod  uint64
	prepFails bool
	prepared  int // how many times Prepare ran
}

func (p *progTxn) Prepare() error {
	p.prepared++
	if p.prepFails {
		return fmt.Errorf("bad signature on tx %d", p.id)
	}
	return nil
}

func u64(b []byte) uint64 {
	if len(b) < 8 {
		return uint64(len(b))
	}
	return binary.BigEndian.Uint64(b)
}

func (p *progTxn) Run(v View) error {
	sum := uint64(p.id)
	for _, k := range p.reads {
		val, ok := v.Get(k)
		if ok {
			sum = sum*31 + u64(val)
		} else {
			sum = sum*31 + 7
		}
	}
	for i, k := range p.writes {
		// A write-then-read of the same key must see the own write.
		b := binary.BigEndian.AppendUint64(nil, sum+uint64(i))
		v.Set(k, b)
		if got, ok := v.Get(k); !ok || !bytes.Equal(got, b) {
			panic("own write not visible")
		}
	}
	for _, k := range p.deletes {
		v.Delete(k)
	}
	v.Emit(ledger.Event{Contract: "prop", Type: "ran", Attrs: []ledger.Attr{{Key: "sum", Value: fmt.Sprint(sum)}}})
	if p.failMod != 0 && sum%p.failMod == 0 {
		return fmt.Errorf("tx %d: insufficient funds (sum %d)", p.id, sum)
	}
	if p.panicMod != 0 && sum%p.panicMod == 0 {
		var m map[string]int
		m["boom"]++ // a real runtime panic
	}
	return nil
}

type workload struct {
	name string
	keys func(r *rand.Rand, tx int) string
}

func genBlock(r *rand.Rand, n int, w workload) []Txn {
	txns := make([]Txn, n)
	for i := range txns {
		p := &progTxn{id: i}
		for j := r.IntN(4); j >= 0; j-- {
			p.reads = append(p.reads, w.keys(r, i))
		}
		for j := r.IntN(3); j >= 0; j-- {
			p.writes = append(p.writes, w.keys(r, i))
		}
		if r.IntN(6) == 0 {
			p.deletes = append(p.deletes, w.keys(r, i))
		}
		if r.IntN(3) == 0 {
			p.failMod = uint64(2 + r.IntN(5))
		}
		if r.IntN(5) == 0 {
			p.panicMod = uint64(3 + r.IntN(7))
		}
		p.prepFails = r.IntN(40) == 0
		txns[i] = p
	}
	return txns
}

var workloads = []workload{
	{"no-conflict", func(r *rand.Rand, tx int) string { return fmt.Sprintf("acct/%d/%d", tx, r.IntN(3)) }},
	{"random-100", func(r *rand.Rand, tx int) string { return fmt.Sprintf("acct/%d", r.IntN(100)) }},
	{"random-10", func(r *rand.Rand, tx int) string { return fmt.Sprintf("acct/%d", r.IntN(10)) }},
	{"contended", func(r *rand.Rand, tx int) string { return "acct/hot" }},
}

func cloneTxns(txns []Txn) []Txn {
	out := make([]Txn, len(txns))
	for i, t := range txns {
		c := *t.(*progTxn)
		c.prepared = 0
		out[i] = &c
	}
	return out
}

func outcomeString(o Outcome) string {
	e := "ok"
	if o.Err != nil {
		e = o.Err.Error()
	}
	return fmt.Sprintf("%s %v", e, o.Events)
}

func diffResults(t *testing.T, label string, want, got *Result) {
	t.Helper()
	if len(want.Outcomes) != len(got.Outcomes) {
		t.Fatalf("%s: %d outcomes, want %d", label, len(got.Outcomes), len(want.Outcomes))
	}
	for i := range want.Outcomes {
		if a, b := outcomeString(want.Outcomes[i]), outcomeString(got.Outcomes[i]); a != b {
			t.Fatalf("%s: tx %d outcome\n got %s\nwant %s", label, i, b, a)
		}
	}
	if len(want.Writes) != len(got.Writes) {
		t.Fatalf("%s: %d writes, want %d", label, len(got.Writes), len(want.Writes))
	}
	for i := range want.Writes {
		a, b := want.Writes[i], got.Writes[i]
		if a.Key != b.Key || a.Deleted != b.Deleted || !bytes.Equal(a.Value, b.Value) {
			t.Fatalf("%s: write %d: got %+v want %+v", label, i, b, a)
		}
	}
}

// TestParallelEqualsSerial is the executor's property test: on random
// blocks of every workload, with failing and panicking transactions,
// Block-STM gives exactly the serial result. Replay a failure with
// -exec.seed=N.
func TestParallelEqualsSerial(t *testing.T) {
	seed := testseed.Seed(t, *seedFlag, "-exec.seed")
	r := testseed.NewRand(seed)
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	for round := 0; round < rounds; round++ {
		for _, w := range workloads {
			n := 1 + r.IntN(300)
			base := mapReader{}
			for i := 0; i < 50; i++ {
				base[w.keys(r, r.IntN(n))] = binary.BigEndian.AppendUint64(nil, r.Uint64())
			}
			txns := genBlock(r, n, w)
			want, err := Serial(base, cloneTxns(txns))
			if err != nil {
				t.Fatal(err)
			}
			for _, workers := range []int{1, 2, 4, 8} {
				run := cloneTxns(txns)
				var from Reader = base
				if workers%4 == 0 { // as blocks run on a node: through a per-block cache
					from = NewCachedReader(base)
				}
				got, err := Parallel{Workers: workers}.Execute(from, run)
				if err != nil {
					t.Fatal(err)
				}
				diffResults(t, fmt.Sprintf("seed %d round %d %s n=%d workers=%d", seed, round, w.name, n, workers), want, got)
				for i, tx := range run {
					if p := tx.(*progTxn).prepared; p != 1 {
						t.Fatalf("tx %d prepared %d times, want exactly once", i, p)
					}
				}
			}
		}
	}
}

type errReader struct{ err error }

func (e errReader) Get(string) ([]byte, bool, error) { return nil, false, e.err }

// TestStorageErrorAbortsBlock: an I/O error is a node fault, not a failed
// transaction.
func TestStorageErrorAbortsBlock(t *testing.T) {
	io := errors.New("disk on fire")
	txns := []Txn{&progTxn{id: 1, reads: []string{"a"}}}
	if _, err := Serial(errReader{io}, txns); !errors.Is(err, io) {
		t.Fatalf("serial: %v", err)
	}
	if _, err := (Parallel{Workers: 2}).Execute(errReader{io}, cloneTxns(txns)); !errors.Is(err, io) {
		t.Fatalf("parallel: %v", err)
	}
}

// TestFailedTxChangesNothing: a failing or panicking transaction leaves no
// writes and no events, and says why it failed.
func TestFailedTxChangesNothing(t *testing.T) {
	fail := &progTxn{id: 0, writes: []string{"x"}, failMod: 1}
	boom := &progTxn{id: 0, writes: []string{"y"}, panicMod: 1}
	for _, ex := range []func(Reader, []Txn) (*Result, error){Serial, Parallel{}.Execute} {
		res, err := ex(mapReader{}, []Txn{fail, boom})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Writes) != 0 {
			t.Fatalf("failed txs wrote %v", res.Writes)
		}
		if e := res.Outcomes[0].Err; e == nil || !bytes.Contains([]byte(e.Error()), []byte("insufficient funds")) {
			t.Fatalf("outcome 0: %v", e)
		}
		if e := res.Outcomes[1].Err; !errors.Is(e, ErrPanic) || len(res.Outcomes[1].Events) != 0 {
			t.Fatalf("outcome 1: %v %v", e, res.Outcomes[1].Events)
		}
	}
}
