package mempooltest

import (
	"context"
	"testing"

	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/tx"
)

// BenchAdd admits raws (valid signed transactions, each of which p must accept) into p on every iteration of b,
// then forgets them (not timed) so that the next iteration admits them again, and reports ns/tx.
// (Allocations are reported with -benchmem or the caller's b.ReportAllocs.)
func BenchAdd(b *testing.B, p *mempool.Pool, raws [][]byte) {
	b.Helper()
	all := make([]tx.ID, len(raws))
	for i, raw := range raws {
		all[i] = tx.HashID(raw)
	}
	for b.Loop() { // the first call resets the timer: the setup above is not timed
		res, err := p.Add(context.Background(), raws)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
		b.StopTimer()
		p.Done(all)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(raws)), "ns/tx")
}
