// Command overload measures a node's memory under sustained overload
// (hardening issue, item 3): it finds the rate the node sustains for
// transactions of a given size (a closed loop: each connection waits for
// its batch to commit), then sends for a while at a multiple of that rate
// whatever the node answers (an open loop, as a flood of clients would),
// sampling the node process's resident memory, and finally waits for the
// node to drain what it accepted.
//
//	go run ./scripts/overload --home H --node 127.0.0.1:7070 --pid PID
//
// The transactions are identity.add_member calls of one organisation admin,
// padded to --size bytes (two padding arguments the contract ignores). The
// last line is machine-readable:
//
//	RESULT sustainable_tps=... offered_tps=... accepted=... busy=... max_rss_mib=... drain_s=...
package main

import (
	"bufio"
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
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
	"github.com/almoner/almoner/scripts/internal/loadkit"
)

func main() { loadkit.Main("overload", run) }

type config struct {
	home, addr, admin   string
	pid, size, batch    int
	conc, maxInflight   int
	calibrate, duration time.Duration
	factor              float64
}

func run() error {
	var c config
	flag.StringVar(&c.home, "home", ".almoner/dev", "consortium folder (genesis.json, keys/)")
	flag.StringVar(&c.addr, "node", "127.0.0.1:7070", "node API address")
	flag.StringVar(&c.admin, "as", "stmarys/admin", "organisation admin who signs")
	flag.IntVar(&c.pid, "pid", 0, "the node's process id, whose resident memory is sampled (required)")
	flag.IntVar(&c.size, "size", 60<<10, "bytes per transaction (at most 64 KiB)")
	flag.IntVar(&c.batch, "batch", 16, "transactions per request")
	flag.IntVar(&c.conc, "concurrency", 8, "connections of the closed loop that finds the sustainable rate")
	flag.IntVar(&c.maxInflight, "max-inflight", 2048, "most requests of the open loop in flight at once")
	flag.DurationVar(&c.calibrate, "calibrate", 20*time.Second, "how long to measure the sustainable rate")
	flag.DurationVar(&c.duration, "duration", 60*time.Second, "how long to overload")
	flag.Float64Var(&c.factor, "factor", 2, "offered rate as a multiple of the sustainable rate")
	flag.Parse()
	if c.pid <= 0 || c.size <= 0 || c.size > tx.MaxTxBytes || c.batch <= 0 || c.conc <= 0 || c.factor <= 0 {
		return errors.New("--pid is required; --size in (0, 64 KiB]; --batch, --concurrency and --factor positive")
	}
	s, err := newSigner(c)
	if err != nil {
		return err
	}
	cl := client.New(c.addr, nil)
	ctx := context.Background()
	rss := newSampler(c.pid)
	defer rss.stop()

	fmt.Fprintf(os.Stderr, "calibrating for %v: %d connections, batches of %d transactions of %d bytes...\n",
		c.calibrate, c.conc, c.batch, c.size)
	sustained, err := closedLoop(ctx, cl, s, c)
	if err != nil {
		return err
	}
	calRSS := rss.reset()
	offered := c.factor * sustained
	fmt.Fprintf(os.Stderr, "sustainable: %.0f tx/s (max RSS %.0f MiB); offering %.0f tx/s for %v...\n",
		sustained, calRSS, offered, c.duration)
	o := openLoop(ctx, cl, s, c, offered)
	floodRSS := rss.reset()
	fmt.Fprintf(os.Stderr, "offered %d, accepted %d, busy %d, other errors %d, not sent (client at %d in flight) %d\n",
		o.offered, o.accepted, o.busy, o.failed, c.maxInflight, o.overrun)

	start := time.Now()
	var pending int
	for time.Since(start) < 5*time.Minute {
		st, err := cl.Status(ctx)
		if err == nil && st.Pending == 0 {
			pending = 0
			break
		}
		if err == nil {
			pending = st.Pending
		}
		time.Sleep(200 * time.Millisecond)
	}
	drain := time.Since(start)
	endRSS := rss.reset()
	fmt.Printf("overload: sustainable %.0f tx/s of %d bytes; at %.1fx (%.0f tx/s offered for %v) max RSS %.0f MiB "+
		"(calibration %.0f MiB), %d accepted, %d busy; drained in %.1f s (%d left), RSS then %.0f MiB\n",
		sustained, c.size, c.factor, offered, c.duration, floodRSS, calRSS, o.accepted, o.busy, drain.Seconds(), pending, endRSS)
	fmt.Printf("RESULT sustainable_tps=%.0f offered_tps=%.0f tx_bytes=%d accepted=%d busy=%d failed=%d overrun=%d "+
		"max_rss_mib=%.0f calibration_rss_mib=%.0f drain_s=%.1f left=%d\n", sustained, offered, c.size, o.accepted,
		o.busy, o.failed, o.overrun, floodRSS, calRSS, drain.Seconds(), pending)
	return nil
}

// signer makes padded add_member transactions, each for a new member.
type signer struct {
	g         *genesis.File
	admin     string
	key       *sign.PrivateKey
	enc, pub  string
	pad       string
	run       int64
	next      atomic.Uint64
	expiry    uint64
	expiryMu  sync.Mutex
	cl        *client.Client
	lastCheck time.Time
}

func newSigner(c config) (*signer, error) {
	g, err := genesis.Load(filepath.Join(c.home, "genesis.json"))
	if err != nil {
		return nil, err
	}
	kf, key, err := genesis.LoadSignKey(c.home, "", c.admin)
	if err != nil {
		return nil, err
	}
	ek, err := kf.EncryptionKey()
	if err != nil {
		return nil, err
	}
	s := &signer{g: g, admin: c.admin, key: key, enc: ek.String(), pub: key.Public().String(),
		run: time.Now().UnixNano(), cl: client.New(c.addr, nil)}
	probe, err := s.sign(0)
	if err != nil {
		return nil, err
	}
	// Two padding arguments (one argument is at most tx.MaxArgBytes).
	if pad := c.size - len(probe) - 16; pad > 0 {
		s.pad = strings.Repeat("x", pad/2)
	}
	return s, nil
}

func (s *signer) sign(height uint64) ([]byte, error) {
	i := s.next.Add(1)
	args := tx.Args{tx.String(identityvocab.ArgID, fmt.Sprintf("%s/ovl-%x-%d", identity.OrgOf(s.admin), s.run, i)),
		tx.Strings(identityvocab.ArgRoles, []string{identityvocab.RolePatient}),
		tx.String(identityvocab.ArgSignKey, s.pub), tx.String(identityvocab.ArgEncKey, s.enc)}
	if s.pad != "" {
		args = append(args, tx.String("pad_1", s.pad), tx.String("pad_2", s.pad))
	}
	return tx.SignEncoded(tx.Body{ChainID: s.g.ChainID, Sender: s.admin, Nonce: i,
		Expiry: height + s.g.Params.ReplayWindow, Call: tx.Call{Contract: "identity", Method: "add_member", Args: args}},
		s.key)
}

// batch signs n transactions valid from the node's current height (asked
// at most once a second).
func (s *signer) batch(ctx context.Context, n int) ([][]byte, error) {
	s.expiryMu.Lock()
	if time.Since(s.lastCheck) > time.Second {
		st, err := s.cl.Status(ctx)
		if err != nil {
			s.expiryMu.Unlock()
			return nil, err
		}
		s.expiry, s.lastCheck = st.Height, time.Now()
	}
	h := s.expiry
	s.expiryMu.Unlock()
	out := make([][]byte, n)
	for i := range out {
		var err error
		if out[i], err = s.sign(h); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// closedLoop returns the committed transactions per second of c.conc
// connections that each submit a batch and wait for it to commit.
func closedLoop(ctx context.Context, cl *client.Client, s *signer, c config) (float64, error) {
	var committed atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	end := time.Now().Add(c.calibrate)
	start := time.Now()
	for range c.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				raws, err := s.batch(ctx, c.batch)
				if err == nil {
					var res []api.TxStatus
					res, err = cl.Submit(ctx, raws, client.SubmitOptions{Wait: true, Timeout: time.Minute})
					for _, r := range res {
						if r.Status == api.StatusCommitted && r.Receipt != nil {
							committed.Add(1)
						}
					}
				}
				if err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(committed.Load()) / time.Since(start).Seconds(), nil
}

type openResult struct{ offered, accepted, busy, failed, overrun int64 }

// openLoop offers rate transactions per second for c.duration in batches,
// whatever the node answers: a batch leaves on its tick even when earlier
// ones have not been answered (up to c.maxInflight requests in flight).
func openLoop(ctx context.Context, cl *client.Client, s *signer, c config, rate float64) openResult {
	var r openResult
	var accepted, busy, failed, overrun atomic.Int64
	inflight := make(chan struct{}, c.maxInflight)
	tick := time.NewTicker(time.Duration(float64(c.batch) / rate * float64(time.Second)))
	defer tick.Stop()
	var wg sync.WaitGroup
	for end := time.Now().Add(c.duration); time.Now().Before(end); <-tick.C {
		r.offered += int64(c.batch)
		select {
		case inflight <- struct{}{}:
		default:
			overrun.Add(int64(c.batch))
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-inflight; wg.Done() }()
			raws, err := s.batch(ctx, c.batch)
			if err != nil {
				failed.Add(int64(c.batch))
				return
			}
			res, err := cl.Submit(ctx, raws, client.SubmitOptions{})
			var ce *client.Error
			switch {
			case errors.As(err, &ce) && ce.StatusCode == 503:
				busy.Add(int64(c.batch))
			case err != nil:
				failed.Add(int64(c.batch))
			}
			for _, x := range res {
				switch {
				case x.Status == api.StatusPending || x.Status == api.StatusCommitted:
					accepted.Add(1)
				case strings.Contains(x.Error, "busy") || strings.Contains(x.Error, "full"):
					busy.Add(1)
				default:
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	r.accepted, r.busy, r.failed, r.overrun = accepted.Load(), busy.Load(), failed.Load(), overrun.Load()
	return r
}

// sampler keeps the largest resident set size (MiB) of a process, read
// from /proc every 100 ms.
type sampler struct {
	mu   sync.Mutex
	max  float64
	done chan struct{}
}

func newSampler(pid int) *sampler {
	s := &sampler{done: make(chan struct{})}
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := rssMiB(pid); err == nil {
				s.mu.Lock()
				s.max = max(s.max, v)
				s.mu.Unlock()
			}
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// reset returns the largest sample since the last reset.
func (s *sampler) reset() float64 {
	time.Sleep(150 * time.Millisecond) // one more sample
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.max
	s.max = 0
	return m
}

func (s *sampler) stop() { close(s.done) }

func rssMiB(pid int) (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fields := strings.Fields(rest)
			if i := slices.Index(fields, "kB"); i == 1 {
				kb, err := strconv.ParseFloat(fields[0], 64)
				return kb / 1024, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
