// Command loadgen measures end-to-end throughput: it signs N transactions
// of a workload, submits them in batches from several connections, waits
// for every commit, and reports committed signed transactions per second
// and the commit latency of each transaction (submit to committed; a
// request carries a batch, so a transaction's latency is its request's).
//
// The workloads (--workload): onboard (identity.add_member by an
// organisation admin, ~1.9 KB each; the default), gifts (donation.give to
// four hot campaigns at a time from 64 donors; each campaign takes
// --gifts-per-campaign, then the next four take their place), access (record.access under the
// patient's consent by 8 adjusters), consent (consent.grant by 64
// patients), claims (claim.submit and claim.adjudicate, half each) and mix
// (per 20 transactions: 8 gifts, 5 accesses, 2 grants, 3 claim submissions,
// 2 adjudications). What a workload needs (members, campaigns, records and
// their uploads, consents, claims in review and read) is committed first,
// in a setup that is not timed. They run on a dev consortium
// (consortium-node init), whose demo members' keys are in --home. Every
// run's ids (members, campaigns, records, consents, claims) carry the run's
// clock, so runs one after another against the same node do not collide.
//
// By default every transaction is signed before the first is sent, and the
// connections send them as fast as they commit (closed loop: the node's
// throughput). With --rate R the load is open: a request of --batch is due
// every batch/R seconds and signed when due (its expiry from the node's
// latest height), whether or not earlier ones have committed; a request due
// while all --concurrency connections are busy is counted as late (late=N:
// the node did not keep up with R). --duration D sends R x D transactions.
//
//	go run ./scripts/loadgen --home .almoner/dev --node 127.0.0.1:7070 --txs 20000 --workload mix
//	go run ./scripts/loadgen --home H --nodes 127.0.0.1:7070,127.0.0.1:7071,127.0.0.1:7072
//	go run ./scripts/loadgen --home H --workload mix --rate 1000 --duration 10m --batch 50
//
// With --nodes the requests go to the nodes in turn (round-robin); each
// request waits on the node it was sent to, so "committed" means applied
// there. The first line of the output is for people ("...: N tx/s; ..."),
// the last a machine-readable summary:
//
//	RESULT workload=... setup_s=... tps=... p50_ms=... p99_ms=... committed=... failed=... ...
//	    ... setup_txs=... offered_tps=... late=...
//
// (setup_txs: transactions the setup committed; offered_tps: --rate, 0 when
// closed loop.)
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
	"github.com/almoner/almoner/scripts/internal/loadkit"
)

func main() { loadkit.Main("loadgen", run) }

// request is the k-th request's signed transactions.
type request struct {
	k    int
	raws [][]byte
}

// pacer schedules the k-th request of an open-loop load at start + k*every.
type pacer struct {
	start time.Time
	every time.Duration
}

func (p pacer) due(k int) time.Time { return p.start.Add(time.Duration(k) * p.every) }

// pollHeight keeps *h at the node's height until ctx ends (paced runs sign
// each request's expiry from it).
func pollHeight(ctx context.Context, cl *client.Client, h *atomic.Uint64) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if s, err := cl.Status(cctx); err == nil && s.Height > h.Load() {
			h.Store(s.Height)
		}
		cancel()
	}
}

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
	rate := flag.Float64("rate", 0, "offered load in tx/s: a request of --batch is sent every batch/rate seconds, "+
		"signed when due, whether or not earlier ones committed (open loop, at most --concurrency in flight; 0: as fast as they commit)")
	duration := flag.Duration("duration", 0, "with --rate: send for this long (--txs becomes rate x duration)")
	perCampaign := flag.Int("gifts-per-campaign", defaultGiftsPerCampaign, "gifts a load campaign takes before the next "+
		"takes its place")
	flag.Parse()
	if *rate < 0 || *duration < 0 || *duration > 0 && *rate == 0 {
		return errors.New("--rate must not be negative; --duration needs --rate")
	}
	if *duration > 0 {
		*n = int(*rate * duration.Seconds())
	}
	if *n <= 0 || *batch <= 0 || *conc <= 0 || *perCampaign <= 0 {
		return errors.New("--txs, --batch, --concurrency and --gifts-per-campaign must be positive")
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
		keys: map[string]*sign.PrivateKey{}, n: *n, perCampaign: *perCampaign}
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
	window := gf.Params.ReplayWindow
	var (
		next                    = make(chan request)
		committed, failed, late atomic.Int64
		wg                      sync.WaitGroup
		errMu                   sync.Mutex
		firstErr                error
		latMu                   sync.Mutex
		lat                     []loadkit.Sample
		txBytes, produced       int
		start                   time.Time
		feedErr                 = make(chan error, 1)
	)
	if *rate > 0 {
		// Paced: each request is signed when it is due (with an expiry from
		// the node's latest height, so that a long run never outlives the
		// replay window), on one goroutine, which also keeps the workload's
		// own state (its counters) single-threaded.
		var height atomic.Uint64
		height.Store(st.Height)
		pollCtx, stopPoll := context.WithCancel(ctx)
		defer stopPoll()
		go pollHeight(pollCtx, cl, &height)
		fmt.Fprintf(os.Stderr,
			"submitting %d transactions (%s) at %.0f tx/s to %s in batches of %d from up to %d connections...\n",
			*n, *workload, *rate, strings.Join(addrs, ","), *batch, *conc)
		start = time.Now()
		go func() {
			defer close(next)
			p := pacer{start: start, every: time.Duration(float64(*batch) / *rate * float64(time.Second))}
			for k, lo := 0, 0; lo < *n; k, lo = k+1, lo+*batch {
				time.Sleep(time.Until(p.due(k)))
				raws := make([][]byte, min(*batch, *n-lo))
				for j := range raws {
					c, err := g.next(*workload, lo+j)
					if err == nil {
						raws[j], err = g.sign(c, height.Load()+window)
					}
					if err != nil {
						feedErr <- err
						return
					}
					txBytes += len(raws[j])
				}
				produced += len(raws)
				select {
				case next <- request{k, raws}:
				default: // every connection busy: the node is not keeping up with the rate
					late.Add(1)
					next <- request{k, raws}
				}
			}
		}()
	} else {
		fmt.Fprintf(os.Stderr, "signing %d transactions (%s)...\n", *n, *workload)
		raws := make([][]byte, *n)
		for i := range raws {
			c, err := g.next(*workload, i)
			if err != nil {
				return err
			}
			if raws[i], err = g.sign(c, st.Height+window); err != nil {
				return err
			}
			txBytes += len(raws[i])
		}
		produced = len(raws)
		fmt.Fprintf(os.Stderr, "submitting to %s in batches of %d from %d connections...\n",
			strings.Join(addrs, ","), *batch, *conc)
		start = time.Now()
		go func() {
			defer close(next)
			k := 0
			for b := range slices.Chunk(raws, *batch) {
				next <- request{k, b}
				k++
			}
		}()
	}
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for req := range next {
				c := cls[req.k%len(cls)] // request k goes to node k mod len(nodes)
				t0 := time.Now()
				res, err := c.Submit(ctx, req.raws, client.SubmitOptions{Wait: true, Timeout: 60 * time.Second})
				if err != nil {
					errMu.Lock()
					firstErr = errors.Join(firstErr, err)
					errMu.Unlock()
					continue
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
				lat = append(lat, loadkit.Sample{D: d, N: ok})
				latMu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	select {
	case err := <-feedErr:
		return err
	default:
	}
	loadkit.SortByLatency(lat)
	var reqP50 time.Duration
	if len(lat) > 0 {
		reqP50 = lat[len(lat)/2].D
	}
	total := int(committed.Load())
	p50, p99 := loadkit.Percentile(lat, total, 0.50), loadkit.Percentile(lat, total, 0.99)
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
	fmt.Printf("RESULT workload=%s setup_s=%.1f tps=%.1f p50_ms=%.1f p99_ms=%.1f committed=%d failed=%d seconds=%.3f "+
		"blocks=%d requests=%d batch=%d concurrency=%d nodes=%d tx_bytes=%d setup_txs=%d offered_tps=%.1f late=%d\n",
		*workload, setup.Seconds(), tps, loadkit.Ms(p50), loadkit.Ms(p99), total, failed.Load(), el.Seconds(),
		blocks, len(lat), *batch, *conc, len(addrs), txBytes/max(produced, 1), g.setupTxs, *rate, late.Load())
	return firstErr
}

// awaitLeader waits until every node reports a raft leader.
func awaitLeader(ctx context.Context, cls []*client.Client, addrs []string, limit time.Duration) error {
	return loadkit.Await("a raft leader", limit, func() error {
		for i, c := range cls {
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			s, err := c.Status(cctx)
			cancel()
			switch {
			case err != nil:
				return fmt.Errorf("%s: %w", addrs[i], err)
			case s.Raft.Leader == 0:
				return fmt.Errorf("%s: no raft leader yet", addrs[i])
			}
		}
		return nil
	})
}
