package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

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

// BenchmarkExecute compares serial and Block-STM execution on blocks of
// 10,000 transactions in the three workloads of the ledger-core issue.
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
	}
}
