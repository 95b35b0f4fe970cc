// Command loadgen measures end-to-end throughput: it signs N identity
// transactions (an organisation admin onboarding members, each a distinct
// key), submits them to a node in batches from several connections, waits
// for every commit, and reports committed signed transactions per second.
//
//	go run ./scripts/loadgen --home .almoner/dev --node 127.0.0.1:7070 --txs 20000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/tx"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run() error {
	home := flag.String("home", ".almoner/dev", "consortium folder (genesis.json, keys/)")
	addr := flag.String("node", "127.0.0.1:7070", "node API address")
	n := flag.Int("txs", 20000, "transactions to send")
	batch := flag.Int("batch", 250, "transactions per request")
	conc := flag.Int("concurrency", 8, "concurrent requests")
	admin := flag.String("as", "stmarys/admin", "organisation admin who signs")
	flag.Parse()

	g, err := genesis.Load(filepath.Join(*home, "genesis.json"))
	if err != nil {
		return err
	}
	kf, err := genesis.LoadKeyFile(genesis.KeyPath(*home, *admin))
	if err != nil {
		return err
	}
	key, err := kf.SignKey()
	if err != nil {
		return err
	}
	// The new members' keys: one shared encryption key and a signing key
	// per member would cost key generation time that is not the node's;
	// reuse the admin's encryption key and a fixed signing key.
	ek, err := kf.EncryptionKey()
	if err != nil {
		return err
	}
	ctx := context.Background()
	cl := client.New(*addr, nil)
	st, err := cl.Status(ctx)
	if err != nil {
		return err
	}
	org := identity.OrgOf(*admin)
	run := time.Now().UnixNano()
	fmt.Fprintf(os.Stderr, "signing %d transactions...\n", *n)
	raws := make([][]byte, *n)
	for i := range raws {
		s, err := tx.Sign(tx.Body{ChainID: g.ChainID, Sender: *admin, Nonce: uint64(i), Expiry: st.Height + g.Params.ReplayWindow,
			Call: tx.Call{Contract: "identity", Method: "add_member", Args: tx.Args{
				tx.String("id", fmt.Sprintf("%s/load-%x-%d", org, run, i)), tx.Strings("roles", []string{"patient"}),
				tx.String("sign_key", key.Public().String()), tx.String("enc_key", ek.String()),
			}}}, key)
		if err != nil {
			return err
		}
		if raws[i], err = s.Encode(); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "submitting to %s in batches of %d from %d connections...\n", *addr, *batch, *conc)
	var (
		next, committed, failed atomic.Int64
		wg                      sync.WaitGroup
		errMu                   sync.Mutex
		firstErr                error
		latMu                   sync.Mutex
		lat                     []time.Duration
	)
	start := time.Now()
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(int64(*batch))) - *batch
				if lo >= len(raws) {
					return
				}
				hi := min(lo+*batch, len(raws))
				t0 := time.Now()
				res, err := cl.Submit(ctx, raws[lo:hi], client.SubmitOptions{Wait: true, Timeout: 60 * time.Second})
				if err != nil {
					errMu.Lock()
					firstErr = errors.Join(firstErr, err)
					errMu.Unlock()
					return
				}
				d := time.Since(t0)
				latMu.Lock()
				lat = append(lat, d)
				latMu.Unlock()
				for _, r := range res {
					switch {
					case r.Status == api.StatusCommitted && r.Receipt != nil && r.Receipt.OK():
						committed.Add(1)
					default:
						failed.Add(1)
						errMu.Lock()
						if firstErr == nil {
							firstErr = fmt.Errorf("tx %s: %s %s", r.ID, r.Status, r.Error)
						}
						errMu.Unlock()
					}
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	var p50 time.Duration
	if len(lat) > 0 {
		p50 = lat[len(lat)/2]
	}
	end, err := cl.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("committed %d signed txs (%d failed) in %.2fs: %.0f tx/s; %d blocks; median batch latency %v\n",
		committed.Load(), failed.Load(), el.Seconds(), float64(committed.Load())/el.Seconds(), end.Height-st.Height, p50.Round(time.Millisecond))
	return firstErr
}
