package authz_test

import (
	"fmt"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/system"
	"github.com/almoner/almoner/consortium-node/internal/authz"
	"github.com/almoner/almoner/consortium-node/internal/exec"
	"github.com/almoner/almoner/consortium-node/testseed"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
)

const (
	benchPatients = 1000
	benchBlockTxs = 10_000
)

// extraRules returns n valid rules scoped to organisations that are not
// in the benchmark's consortium: they never match, but casbin has to
// consider every one of them on a cache miss.
func extraRules(n int, seed uint64) []policies.Rule {
	rnd := testseed.NewRand(seed)
	objs := policies.Objects()
	roles := policies.Roles()
	out := make([]policies.Rule, 0, n)
	seen := map[policies.Rule]bool{}
	for len(out) < n {
		obj := objs[rnd.IntN(len(objs))]
		acts := policies.Actions(obj)
		r := policies.Rule{Sub: roles[rnd.IntN(len(roles))], Dom: fmt.Sprintf("org-%d", rnd.IntN(5000)), Obj: obj,
			Act: acts[rnd.IntN(len(acts))], Cond: []string{"any", "own", "org", "consent"}[rnd.IntN(4)], Eft: "allow"}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

type benchChain struct {
	c    *chaintest.Chain
	reg  *contracts.Registry
	txs  []*tx.Signed
	ids  []tx.ID
	rows int
}

// newBenchChain: a hospital with benchPatients patients, and a block of
// benchBlockTxs consent grants (each patient grants consents on their own
// records to an insurer: distinct keys, no conflicts), each of which is
// authenticated and authorised.
func newBenchChain(b *testing.B, extra int) *benchChain {
	ms := []chaintest.Member{{ID: "stmarys/admin", Roles: []string{identityvocab.RoleOrgAdmin}}}
	for i := range benchPatients {
		ms = append(ms, chaintest.Member{ID: fmt.Sprintf("stmarys/p%d", i), Roles: []string{identityvocab.RolePatient}})
	}
	rules := append(policies.DefaultRules(), extraRules(extra, 7)...)
	c := chaintest.New(b,
		chaintest.Options{Orgs: []identity.Org{{ID: "stmarys", Kind: identityvocab.KindHospital, Name: "St Mary's"},
			{ID: "acme", Kind: identityvocab.KindInsurer, Name: "Acme"}}, Members: ms, Rules: rules})
	reg, err := system.Registry()
	if err != nil {
		b.Fatal(err)
	}
	bc := &benchChain{c: c, reg: reg, rows: len(rules)}
	start := c.Now.Unix()
	for i := range benchBlockTxs {
		s := c.Sign(fmt.Sprintf("stmarys/p%d", i%benchPatients), consent.Name, "grant", tx.String("consent_id", fmt.Sprintf("c-%d", i)),
			tx.String("grantee", "acme"), tx.String("purpose", "payment"), tx.Strings("categories", []string{"lab"}),
			tx.Int("start", start), tx.Int("end", start+86400))
		enc, _ := s.Encode()
		bc.txs = append(bc.txs, s)
		bc.ids = append(bc.ids, tx.HashID(enc))
	}
	return bc
}

func (bc *benchChain) run(b *testing.B, policy contracts.Authorizer) {
	blk := contracts.Block{ChainID: chaintest.ChainID, Height: 1, Time: bc.c.Now, Policy: policy}
	txns := make([]exec.Txn, len(bc.txs))
	for i, s := range bc.txs {
		txns[i] = bc.reg.Txn(blk, s, bc.ids[i], true) // signatures were checked at admission, as on a node
	}
	res, err := exec.Parallel{}.Execute(bc.c, txns)
	if err != nil {
		b.Fatal(err)
	}
	if err := res.Outcomes[len(txns)-1].Err; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkExecutorAuthorization runs blocks of 10,000 authorised
// transactions on the Block-STM executor with authorisation off
// (contracts.AllowAll), with the default policy, and with 10,000 extra
// policy rows; "cold" starts every block on a fresh enforcer (the first
// block after a policy change, nothing cached). make bench-authz
// reports the ratios.
func BenchmarkExecutorAuthorization(b *testing.B) {
	for _, c := range []struct {
		name  string
		extra int
		off   bool
		cold  bool
	}{
		{"off", 0, true, false},
		{"default", 0, false, false},
		{"rows10k", 10_000, false, false},
		{"default-cold", 0, false, true},
		{"rows10k-cold", 10_000, false, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			bc := newBenchChain(b, c.extra)
			var policy contracts.Authorizer = contracts.AllowAll{}
			if !c.off {
				e, err := authz.Load(bc.c.Scan)
				if err != nil {
					b.Fatal(err)
				}
				policy = e
				if !c.cold {
					bc.run(b, policy) // warm the decision cache
				}
			}
			b.ResetTimer()
			for range b.N {
				if c.cold {
					b.StopTimer()
					e, err := authz.Load(bc.c.Scan)
					if err != nil {
						b.Fatal(err)
					}
					policy = e
					b.StartTimer()
				}
				bc.run(b, policy)
			}
			b.ReportMetric(float64(benchBlockTxs*b.N)/b.Elapsed().Seconds(), "tx/s")
			b.ReportMetric(float64(bc.rows), "rules")
		})
	}
}

// BenchmarkEnforce is the cost of one decision: from the cache, and
// uncached with the default policy and with 10,000 extra rows.
func BenchmarkEnforce(b *testing.B) {
	for _, extra := range []int{0, 10_000} {
		as := []policies.Assignment{{Member: "stmarys/p", Org: "stmarys", Roles: []string{identityvocab.RolePatient}}}
		e, err := policies.New(policies.StaticSource{RuleList: append(policies.DefaultRules(), extraRules(extra, 7)...), AssignmentList: as})
		if err != nil {
			b.Fatal(err)
		}
		req := policies.Request{Sub: "stmarys/p", Dom: "stmarys", Obj: "consent", Act: "grant", Owner: "stmarys/p"}
		b.Run(fmt.Sprintf("cached/rules=%d", len(e.Rules())), func(b *testing.B) {
			for range b.N {
				if d, _ := e.Enforce(req); !d.Allowed {
					b.Fatal("denied")
				}
			}
		})
		b.Run(fmt.Sprintf("uncached/rules=%d", len(e.Rules())), func(b *testing.B) {
			for i := range b.N {
				// A rule change drops the cache; add and remove one per op.
				b.StopTimer()
				r := policies.Rule{Sub: "donor", Dom: fmt.Sprintf("x%d", i), Obj: "gift", Act: "read", Cond: "own", Eft: "allow"}
				if err := e.Apply(policies.Update{AddRules: []policies.Rule{r}}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if d, _ := e.Enforce(req); !d.Allowed {
					b.Fatal("denied")
				}
				b.StopTimer()
				if err := e.Apply(policies.Update{RemoveRules: []policies.Rule{r}}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
