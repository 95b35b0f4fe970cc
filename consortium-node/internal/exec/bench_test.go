package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/privacy/sign"
)

// transferTxn is the benchmark transaction of the ledger-core issue: it
// verifies one Ed25519 signature over 1 KiB (in Prepare, so the result is
// kept across re-executions), increments the sender's nonce and moves 1
// unit from the sender to a receiver.
type transferTxn struct {
	from, to string
	pub      sign.PublicKey
	msg, sig []byte
}

func (t *transferTxn) Prepare() error { return t.pub.Verify(t.msg, t.sig) }

func (t *transferTxn) Run(v View) error {
	nonce, _ := v.Get("nonce/" + t.from)
	v.Set("nonce/"+t.from, binary.BigEndian.AppendUint64(nil, u64(nonce)+1))
	fb, _ := v.Get("bal/" + t.from)
	from := u64(fb)
	if from == 0 {
		return errors.New("insufficient balance")
	}
	tb, _ := v.Get("bal/" + t.to)
	v.Set("bal/"+t.from, binary.BigEndian.AppendUint64(nil, from-1))
	if t.to != t.from {
		v.Set("bal/"+t.to, binary.BigEndian.AppendUint64(nil, u64(tb)+1))
	}
	return nil
}

// benchBlock builds n signed transfers. accounts(i) returns sender and
// receiver of transaction i.
func benchBlock(b *testing.B, n int, accounts func(i int) (string, string)) ([]Txn, mapReader) {
	key, err := sign.GenerateKey(sign.Ed25519, nil)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 1024)
	base := mapReader{}
	txns := make([]Txn, n)
	for i := range txns {
		from, to := accounts(i)
		binary.BigEndian.PutUint64(msg, uint64(i))
		m := append([]byte(nil), msg...)
		txns[i] = &transferTxn{from: from, to: to, pub: key.Public(), msg: m, sig: key.Sign(m)}
		base["bal/"+from] = binary.BigEndian.AppendUint64(nil, 1<<40)
	}
	return txns, base
}

// stripeView is one stripe's state in ideal: its own writes over the base.
type stripeView struct {
	base   Reader
	writes map[string][]byte
}

func (v *stripeView) Get(k string) ([]byte, bool) {
	if w, ok := v.writes[k]; ok {
		return w, w != nil
	}
	b, ok, err := v.base.Get(k)
	if err != nil {
		panic(err)
	}
	return b, ok
}

func (v *stripeView) Set(k string, val []byte) { v.writes[k] = val }
func (v *stripeView) Delete(k string)          { v.writes[k] = nil }
func (v *stripeView) Emit(ledger.Event)        {}

// ideal is the ceiling of any executor on this machine: the block's
// transactions split into GOMAXPROCS contiguous stripes, each prepared and
// run on a goroutine of its own over a view nothing else shares, so there
// is no scheduling, validation, re-execution or merge at all. It is not an
// executor (conflicting writes are not ordered, so its state is not the
// serial one): it is the yardstick for Parallel, what the same work costs
// split perfectly over the cores. On a machine whose cores are not
// independent (hypervisor, shared caches, frequency) it is below
// GOMAXPROCS times serial, and so is any executor.
func ideal(base Reader, txns []Txn) {
	w := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for i := range w {
		stripe := txns[i*len(txns)/w : (i+1)*len(txns)/w]
		wg.Go(func() {
			v := &stripeView{base: base, writes: map[string][]byte{}}
			for _, t := range stripe {
				if t.Prepare() == nil {
					_ = t.Run(v) // a failed transfer still did its reads
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkExecute compares serial and Block-STM execution on blocks of
// 10,000 transactions in the three workloads of the ledger-core issue, and
// both with ideal, the same work split perfectly over the cores: the most
// any executor can reach here (Block-STM's own overhead is parallel/ideal).
// Run with: go test -run=^$ -bench=Execute -count=5 ./consortium-node/internal/exec/
func BenchmarkExecute(b *testing.B) {
	const n = 10_000
	r := rand.New(rand.NewPCG(42, 42))
	random := make([][2]int, n)
	for i := range random {
		random[i] = [2]int{r.IntN(100), r.IntN(100)}
	}
	loads := []struct {
		name     string
		accounts func(i int) (string, string)
	}{
		{"no-conflict", func(i int) (string, string) { return fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i) }},
		{"random-100", func(i int) (string, string) {
			return fmt.Sprintf("a%d", random[i][0]), fmt.Sprintf("a%d", random[i][1])
		}},
		{"one-account", func(i int) (string, string) { return "hot", "hot-receiver" }},
	}
	for _, l := range loads {
		txns, base := benchBlock(b, n, l.accounts)
		b.Run(l.name+"/serial", func(b *testing.B) {
			for b.Loop() {
				if _, err := Serial(base, txns); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
		})
		b.Run(l.name+"/parallel", func(b *testing.B) {
			for b.Loop() {
				if _, err := (Parallel{}).Execute(base, txns); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
		})
		b.Run(l.name+"/ideal", func(b *testing.B) {
			for b.Loop() {
				ideal(base, txns)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}
