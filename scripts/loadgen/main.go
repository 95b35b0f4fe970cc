// Command loadgen measures end-to-end throughput: it signs N transactions
// of a workload, submits them in batches from several connections, waits
// for every commit, and reports committed signed transactions per second
// and the commit latency of each transaction (submit to committed; a
// request carries a batch, so a transaction's latency is its request's).
//
// The workloads (--workload): onboard (identity.add_member by an
// organisation admin, ~1.9 KB each; the default), gifts (donation.give to
// four hot campaigns from 64 donors), access (record.access under the
// patient's consent by 8 adjusters), consent (consent.grant by 64
// patients), claims (claim.submit and claim.adjudicate, half each) and mix
// (per 20 transactions: 8 gifts, 5 accesses, 2 grants, 3 claim submissions,
// 2 adjudications). What a workload needs (members, campaigns, records and
// their uploads, consents, claims in review and read) is committed first,
// in a setup that is not timed. They run on a dev consortium
// (consortium-node init), whose demo members' keys are in --home.
//
//	go run ./scripts/loadgen --home .almoner/dev --node 127.0.0.1:7070 --txs 20000 --workload mix
//	go run ./scripts/loadgen --home H --nodes 127.0.0.1:7070,127.0.0.1:7071,127.0.0.1:7072
//
// With --nodes the requests go to the nodes in turn (round-robin); each
// request waits on the node it was sent to, so "committed" means applied
// there. The first line of the output is for people ("...: N tx/s; ..."),
// the last a machine-readable summary:
//
//	RESULT workload=... setup_s=... tps=... p50_ms=... p99_ms=... committed=... failed=... ...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/privacy/sign"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// sample is one request's latency and how many of its transactions
// committed: each of them counts with that latency.
type sample struct {
	d time.Duration
	n int
}

// percentile returns the q-quantile (0 < q <= 1, nearest rank) of the
// per-transaction latencies that samples, sorted by d, stand for.
func percentile(samples []sample, total int, q float64) time.Duration {
	if total == 0 {
		return 0
	}
	rank := int(q*float64(total) + 0.999999) // ceil, tolerant of float noise
	rank = max(1, min(rank, total))
	seen := 0
	for _, s := range samples {
		if seen += s.n; seen >= rank {
			return s.d
		}
	}
	return samples[len(samples)-1].d
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func run() error {
	home := flag.String("home", ".almoner/dev", "consortium folder (genesis.json, keys/)")
	addr := flag.String("node", "127.0.0.1:7070", "node API address")
	nodes := flag.String("nodes", "", "comma-separated node API addresses to spread requests over round-robin (overrides --node)")
	n := flag.Int("txs", 20000, "transactions to send")
	batch := flag.Int("batch", 250, "transactions per request")
	conc := flag.Int("concurrency", 8, "concurrent requests")
	workload := flag.String("workload", wOnboard, "what to send: "+strings.Join(workloads, ", ")+
		" (mix: per 20 txs 8 gifts, 5 record accesses, 2 consent grants, 3 claim submissions, 2 adjudications)")
	waitLeader := flag.Duration("wait-leader", 0, "first wait up to this long for every node to report a raft leader (0: don't)")
	flag.Parse()
	if *n <= 0 || *batch <= 0 || *conc <= 0 {
		return errors.New("--txs, --batch and --concurrency must be positive")
	}
	if err := validWorkload(*workload); err != nil {
		return err
	}

	addrs := []string{*addr}
	if *nodes != "" {
		addrs = addrs[:0]
		for _, a := range strings.Split(*nodes, ",") {
			if a = strings.TrimSpace(a); a != "" {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) == 0 {
			return errors.New("--nodes: no address")
		}
	}
	cls := make([]*client.Client, len(addrs))
	for i, a := range addrs {
		cls[i] = client.New(a, nil)
	}

	gf, err := genesis.Load(filepath.Join(*home, "genesis.json"))
	if err != nil {
		return err
	}
	ctx := context.Background()
	if *waitLeader > 0 {
		if err := awaitLeader(ctx, cls, addrs, *waitLeader); err != nil {
			return err
		}
	}
	cl := cls[0]
	g := &gen{cl: cl, g: gf, home: *home, run: strconv.FormatInt(time.Now().UnixNano(), 36), now: time.Now(),
		keys: map[string]*sign.PrivateKey{}, n: *n}
	if err := g.loadKeys(); err != nil {
		return err
	}
	for _, c := range cls { // reads (the node directory) are for members
		c.Authenticate("stmarys/admin", g.keys["stmarys/admin"])
	}
	if err := g.findCustodian(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	if err := g.setup(ctx, *workload, *n, func(s string) { fmt.Fprintln(os.Stderr, s+"...") }); err != nil {
		return fmt.Errorf("setting up the %s workload: %w", *workload, err)
	}
	setup := time.Since(t0)
	st, err := cl.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "signing %d transactions (%s)...\n", *n, *workload)
	raws := make([][]byte, *n)
	var txBytes int
	for i := range raws {
		c, err := g.next(*workload, i)
		if err != nil {
			return err
		}
		if raws[i], err = g.sign(c, st.Height+gf.Params.ReplayWindow); err != nil {
			return err
		}
		txBytes += len(raws[i])
	}
	fmt.Fprintf(os.Stderr, "submitting to %s in batches of %d from %d connections...\n", strings.Join(addrs, ","), *batch, *conc)
	var (
		next, committed, failed atomic.Int64
		wg                      sync.WaitGroup
		errMu                   sync.Mutex
		firstErr                error
		latMu                   sync.Mutex
		lat                     []sample
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
				c := cls[(lo / *batch)%len(cls)] // request k goes to node k mod len(nodes)
				t0 := time.Now()
				res, err := c.Submit(ctx, raws[lo:hi], client.SubmitOptions{Wait: true, Timeout: 60 * time.Second})
				if err != nil {
					errMu.Lock()
					firstErr = errors.Join(firstErr, err)
					errMu.Unlock()
					return
				}
				d := time.Since(t0)
				ok := 0
				for _, r := range res {
					switch {
					case r.Status == api.StatusCommitted && r.Receipt != nil && r.Receipt.OK():
						ok++
					default:
						failed.Add(1)
						errMu.Lock()
						if firstErr == nil {
							firstErr = fmt.Errorf("tx %s: %s %s", r.ID, r.Status, r.Error)
						}
						errMu.Unlock()
					}
				}
				committed.Add(int64(ok))
				latMu.Lock()
				lat = append(lat, sample{d, ok})
				latMu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	slices.SortFunc(lat, func(a, b sample) int { return int(a.d - b.d) })
	var reqP50 time.Duration
	if len(lat) > 0 {
		reqP50 = lat[len(lat)/2].d
	}
	total := int(committed.Load())
	p50, p99 := percentile(lat, total, 0.50), percentile(lat, total, 0.99)
	end, err := cl.Status(ctx)
	if err != nil {
		return err
	}
	tps := float64(total) / el.Seconds()
	blocks := end.Height - st.Height
	// For people; scripts read the RESULT line.
	fmt.Printf("%s: committed %d signed txs (%d failed) in %.2fs: %.0f tx/s; %d blocks; median batch latency %v; per-tx commit latency p50 %v p99 %v; %d node(s)\n",
		*workload, total, failed.Load(), el.Seconds(), tps, blocks, reqP50.Round(time.Millisecond),
		p50.Round(time.Millisecond), p99.Round(time.Millisecond), len(addrs))
	fmt.Printf("RESULT workload=%s setup_s=%.1f tps=%.1f p50_ms=%.1f p99_ms=%.1f committed=%d failed=%d seconds=%.3f blocks=%d requests=%d batch=%d concurrency=%d nodes=%d tx_bytes=%d\n",
		*workload, setup.Seconds(), tps, ms(p50), ms(p99), total, failed.Load(), el.Seconds(), blocks, len(lat), *batch, *conc, len(addrs), txBytes/len(raws))
	return firstErr
}

// awaitLeader waits until every node reports a raft leader.
func awaitLeader(ctx context.Context, cls []*client.Client, addrs []string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var why error
		for i, c := range cls {
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			s, err := c.Status(cctx)
			cancel()
			switch {
			case err != nil:
				why = fmt.Errorf("%s: %w", addrs[i], err)
			case s.Raft.Leader == 0:
				why = fmt.Errorf("%s: no raft leader yet", addrs[i])
			}
			if why != nil {
				break
			}
		}
		if why == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for a raft leader: %w", why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
