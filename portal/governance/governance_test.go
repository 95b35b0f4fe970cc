package governance_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	gov "github.com/almoner/almoner/consortium-node/contracts/governance"
	govvocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/contracts/quorum"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/governance"
	"github.com/almoner/almoner/portal/readmodel"
)

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func voteOrgs(vs []governance.Vote) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Org+" "+v.Member+" "+strconv.FormatUint(v.Height, 10))
	}
	return out
}

func contractVotes(vs []gov.Vote) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Org+" "+v.Member+" "+strconv.FormatUint(v.Height, 10))
	}
	return out
}

// TestIndexFollowsTheContract runs the harness's scenario on a real
// chain (the production contracts and policy) and checks the index against
// the contract's own view of every proposal (governance.Status at the last
// block's time): kind, proposer, status (expired and rejected included,
// which no event announces), failure reason, every vote with its member
// and height, the deciding height; for the open proposal the tally
// (approved, rejected, missing, needed) as the contract counts it; the
// consortium's organisations and threshold; the change of each kind; and
// the lists, newest first and per status, paging with cursors.
func TestIndexFollowsTheContract(t *testing.T) {
	h := newHarness(t)
	s, err := h.apply(t, h.blocks)
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(t, s); got != h.dumps[len(h.dumps)-1] {
		t.Fatalf("the same chain gave another index:\n%s\nwant:\n%s", got, h.dumps[len(h.dumps)-1])
	}
	r := governance.NewReader(s)
	c, err := r.Consortium()
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := identity.LoadOrgIDs(h.chain.Reader())
	if err != nil {
		t.Fatal(err)
	}
	pct, err := quorum.Percent(h.chain.Reader())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Orgs, sorted(orgs)) || c.Percent != pct || pct != 75 || c.Needed() != 4 {
		t.Fatalf("consortium %+v (needed %d), the chain's %v at %d%%", c, c.Needed(), orgs, pct)
	}
	want := map[string]string{"policy": "executed", "threshold66": "rejected", "node": "executed", "newco": "executed",
		"newco-again": "failed", "short": "expired", "withdrawn": "withdrawn", "removal": "executed", "open": "open", "threshold75": "executed"}
	now := h.times[len(h.times)-1]
	for name, id := range h.ids {
		v, err := gov.Status(h.chain.Reader(), id, now)
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Proposal(id)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Status != want[name] || p.Status != v.State || p.Kind != v.Kind || p.Proposer != v.Proposer || p.Reason != v.Result ||
			p.Height != v.Height || p.Expires != v.Expires || p.Time/1e9 != v.Created {
			t.Errorf("%s: index %+v\ncontract %+v (state %s)", name, p, v.Proposal, v.State)
		}
		if !slices.Equal(voteOrgs(p.Approvals), contractVotes(v.Approvals)) || !slices.Equal(voteOrgs(p.Rejections), contractVotes(v.Rejections)) {
			t.Errorf("%s: votes %v %v, the contract's %v %v", name, voteOrgs(p.Approvals), voteOrgs(p.Rejections), contractVotes(v.Approvals), contractVotes(v.Rejections))
		}
		if v.Decided != 0 && p.Closed != v.Decided {
			t.Errorf("%s: closed at %d, decided at %d", name, p.Closed, v.Decided)
		}
		if p.Status == govvocab.StatusOpen {
			tl := p.Tally(c)
			if tl.Needed != v.Tally.Needed || !slices.Equal(sorted(tl.Approved), sorted(v.Tally.Approved)) ||
				!slices.Equal(sorted(tl.Rejected), sorted(v.Tally.Rejected)) || !slices.Equal(sorted(tl.Missing), sorted(v.Tally.Missing)) {
				t.Errorf("%s: tally %+v, the contract's %+v", name, tl, v.Tally)
			}
		}
	}
	get := func(name string) *governance.Proposal {
		t.Helper()
		p, err := r.Proposal(h.ids[name])
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The tallies at the time: three of four for the policy change; three
	// of five for the second onboarding; the open one now needs all four.
	if tl := get("policy").Tally(c); tl.Needed != 3 || len(tl.Approved) != 3 || !slices.Equal(tl.Missing, []string{"healthreg"}) {
		t.Errorf("policy tally %+v", tl)
	}
	if tl := get("newco-again").Tally(c); tl.Needed != 3 || len(tl.Orgs) != 5 || !strings.Contains(get("newco-again").Reason, "newco") {
		t.Errorf("newco-again tally %+v, reason %q", tl, get("newco-again").Reason)
	}
	if tl := get("open").Tally(c); tl.Needed != 4 || !slices.Equal(tl.Approved, []string{"acme"}) || !slices.Equal(tl.Rejected, []string{"hope"}) ||
		!slices.Equal(tl.Missing, []string{"healthreg", "stmarys"}) {
		t.Errorf("open tally %+v", tl)
	}
	// "short" expired with the first block at or past its expiry.
	if p, at := get("short"), h.blockOf(t, "withdrawn", "proposal_created"); p.Closed != uint64(at) || p.ClosedTime < p.Expires*1e9 ||
		p.Expires != p.Time/1e9+60 || h.times[at-1].Unix() >= p.Expires {
		t.Errorf("short closed at %d (%d), expires %d; expected at block %d", p.Closed, p.ClosedTime, p.Expires, at)
	}
	// The changes, by kind.
	changes := map[string]governance.Change{
		"policy":      {AddRules: []string{reportRule}},
		"threshold66": {Percent: 66},
		"node":        {Node: "hope-n", Org: "hope", RaftID: 7, RaftAddr: "127.0.0.1:7001", APIAddr: "127.0.0.1:7002"},
		"newco":       {Org: "newco", OrgKind: "insurer", OrgName: "NewCo Insurance", Admins: []string{"newco/admin"}},
		"removal":     {Org: "newco"},
		"open":        {RemoveRules: []string{reportRule}},
	}
	for name, ch := range changes {
		if got := get(name).Change; !equalChange(got, ch) {
			t.Errorf("%s: change %+v, want %+v", name, got, ch)
		}
	}
	if s := get("policy").Summary(); s != "change policy: add "+reportRule {
		t.Errorf("summary %q", s)
	}
	// Lists.
	order := []string{"threshold75", "open", "removal", "withdrawn", "short", "newco-again", "newco", "node", "threshold66", "policy"}
	var got []string
	after := ""
	for {
		ps, pg, err := r.Proposals("", after, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			got = append(got, nameOf(h, p.ID))
		}
		if !pg.More {
			break
		}
		after = pg.Cursors[len(pg.Cursors)-1]
	}
	if !slices.Equal(got, order) {
		t.Fatalf("proposals %v, want %v", got, order)
	}
	for status, names := range map[string][]string{"open": {"open"}, "executed": {"threshold75", "removal", "newco", "node", "policy"},
		"expired": {"short"}, "rejected": {"threshold66"}, "failed": {"newco-again"}, "withdrawn": {"withdrawn"}} {
		ps, _, err := r.Proposals(status, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, nameOf(h, p.ID))
		}
		if !slices.Equal(got, names) {
			t.Errorf("%s proposals %v, want %v", status, got, names)
		}
	}
	if _, err := r.Proposal("nope"); !errors.Is(err, readmodel.ErrNotFound) {
		t.Fatalf("unknown proposal: %v", err)
	}
}

func equalChange(a, b governance.Change) bool {
	return a.Org == b.Org && a.OrgKind == b.OrgKind && a.OrgName == b.OrgName && slices.Equal(a.Admins, b.Admins) && a.Node == b.Node &&
		a.RaftID == b.RaftID && a.RaftAddr == b.RaftAddr && a.APIAddr == b.APIAddr && slices.Equal(a.AddRules, b.AddRules) &&
		slices.Equal(a.RemoveRules, b.RemoveRules) && a.Percent == b.Percent
}

func nameOf(h *harness, id string) string {
	for n, x := range h.ids {
		if x == id {
			return n
		}
	}
	return id
}

// blockOf returns the index of the block whose transaction emitted typ for
// the named proposal.
func (h *harness) blockOf(t *testing.T, name, typ string) int {
	t.Helper()
	for i, b := range h.blocks {
		for _, rc := range b.Receipts {
			for _, e := range rc.Events {
				if e.Type == typ && e.Attr("proposal") == h.ids[name] {
					return i
				}
			}
		}
	}
	t.Fatalf("no %s of %s", typ, name)
	return 0
}

func ev(typ string, kv ...string) ledger.Event {
	e := ledger.Event{Contract: "governance", Type: typ}
	if c, t, ok := strings.Cut(typ, "."); ok {
		e.Contract, e.Type = c, t
	}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Attrs = append(e.Attrs, ledger.Attr{Key: kv[i], Value: kv[i+1]})
	}
	return e
}

// TestEvents applies single transactions with hand-made events after the
// real chain (or in place of one of its blocks): well-formed ones change
// the index as the contract would (a vote that leaves the threshold out of
// reach rejects; a proposal is created from its transaction's arguments);
// malformed ones fail with readmodel.ErrCorrupt and change nothing.
func TestEvents(t *testing.T) {
	h := newHarness(t)
	end := len(h.blocks)
	expiresLater := strconv.FormatInt(h.times[end-1].Unix()+3600, 10)
	proposeArgs := tx.Args{tx.String(govvocab.ArgKind, "change_policy"),
		tx.Strings(govvocab.ArgAddRules, []string{"donor * report read any deny"})}
	created := func(kv ...string) ledger.Event {
		base := []string{"proposal", txPlaceholder, "kind", "change_policy", "proposer", acme, "expires", expiresLater}
		for i := 0; i+1 < len(kv); i += 2 {
			for j := 0; j < len(base); j += 2 {
				if base[j] == kv[i] {
					base[j+1] = kv[i+1]
				}
			}
		}
		return ev("proposal_created", base...)
	}
	approve := func(name, member string) ledger.Event {
		return ev("proposal_approved", "proposal", h.ids[name], "org", strings.Split(member, "/")[0], "member", member)
	}
	cases := []struct {
		name     string
		at       int // block index replaced (default: after the chain)
		sender   string
		contract string
		method   string
		args     tx.Args
		evs      []ledger.Event
		ok       func(t *testing.T, r *governance.Reader, id string)
	}{
		{name: "vote out of reach rejects", sender: healthreg, method: "approve", evs: []ledger.Event{approve("open", healthreg)},
			ok: func(t *testing.T, r *governance.Reader, _ string) {
				p, err := r.Proposal(h.ids["open"])
				if err != nil || p.Status != govvocab.StatusRejected || p.Closed != uint64(end) || len(p.Approvals) != 2 {
					t.Fatalf("%+v %v", p, err)
				}
			}},
		{name: "proposal from its arguments", sender: acme, method: "propose", args: proposeArgs,
			evs: []ledger.Event{created(), ev("proposal_approved", "proposal", txPlaceholder, "org", "acme", "member", acme)},
			ok: func(t *testing.T, r *governance.Reader, id string) {
				p, err := r.Proposal(id)
				if err != nil || p.Status != govvocab.StatusOpen || !slices.Equal(p.Change.AddRules,
					[]string{"donor,*,report,read,any,deny"}) ||
					len(p.Approvals) != 1 || p.Proposer != acme {
					t.Fatalf("%+v %v", p, err)
				}
				ps, _, err := r.Proposals(govvocab.StatusOpen, "", 1)
				if err != nil || len(ps) != 1 || ps[0].ID != id {
					t.Fatalf("newest open: %v %v", ps, err)
				}
			}},
		{name: "vote on an unknown proposal", sender: healthreg, method: "approve",
			evs: []ledger.Event{ev("proposal_approved", "proposal", "nope", "org", "healthreg", "member", healthreg)}},
		{name: "an organisation votes twice", sender: acme, method: "reject",
			evs: []ledger.Event{ev("proposal_rejected", "proposal", h.ids["open"], "org", "acme", "member", acme)}},
		{name: "a vote for another member", sender: healthreg, method: "approve", evs: []ledger.Event{approve("open", stmarys)}},
		{name: "a vote for another organisation", sender: healthreg, method: "approve",
			evs: []ledger.Event{ev("proposal_approved", "proposal", h.ids["open"], "org", "stmarys", "member", healthreg)}},
		{name: "a vote on an executed proposal", sender: healthreg, method: "approve", evs: []ledger.Event{approve("policy", healthreg)}},
		{name: "a vote on an expired proposal", at: h.blockOf(t, "withdrawn", "proposal_created"), sender: acme, method: "approve",
			evs: []ledger.Event{approve("short", acme)}},
		{name: "executed below the threshold", sender: healthreg, method: "approve",
			evs: []ledger.Event{ev("proposal_executed", "proposal", h.ids["open"], "kind", "change_policy")}},
		{name: "threshold reached without a decision", at: h.blockOf(t, "policy", "proposal_executed"), sender: hope, method: "approve",
			evs: []ledger.Event{approve("policy", hope)}},
		{name: "executed as another kind", at: h.blockOf(t, "policy", "proposal_executed"), sender: hope, method: "approve",
			evs: []ledger.Event{approve("policy", hope), ev("proposal_executed", "proposal", h.ids["policy"], "kind", "add_org")}},
		{name: "failed without a reason", at: h.blockOf(t, "newco-again", "proposal_failed"), sender: hope, method: "approve",
			evs: []ledger.Event{approve("newco-again", hope), ev("proposal_failed", "proposal", h.ids["newco-again"])}},
		{name: "withdrawn twice", sender: stmarys, method: "withdraw", evs: []ledger.Event{ev("proposal_withdrawn", "proposal", h.ids["withdrawn"])}},
		{name: "created under another id", sender: acme, method: "propose", args: proposeArgs, evs: []ledger.Event{created("proposal", h.ids["open"])}},
		{name: "created twice", sender: acme, method: "propose", args: proposeArgs, evs: []ledger.Event{created(), created()}},
		{name: "created by another member", sender: acme, method: "propose", args: proposeArgs, evs: []ledger.Event{created("proposer", hope)}},
		{name: "created as another kind", sender: acme, method: "propose", args: proposeArgs, evs: []ledger.Event{created("kind", "set_threshold")}},
		{name: "created expired", sender: acme, method: "propose", args: proposeArgs,
			evs: []ledger.Event{created("expires", strconv.FormatInt(h.times[end-1].Unix()+1, 10))}},
		{name: "created with a bad rule", sender: acme, method: "propose",
			args: tx.Args{tx.String(govvocab.ArgKind, "change_policy"),
				tx.Strings(govvocab.ArgAddRules, []string{"nonsense"})},
			evs: []ledger.Event{created()}},
		{name: "created outside a governance call", sender: acme, contract: "identity", method: "set_roles", args: proposeArgs, evs: []ledger.Event{created()}},
		{name: "threshold 0", sender: acme, method: "approve", evs: []ledger.Event{ev("threshold_changed", "percent", "0")}},
		{name: "threshold 100", sender: acme, method: "approve", evs: []ledger.Event{ev("threshold_changed", "percent", "100")}},
		{name: "unknown organisation removed", sender: acme, method: "approve", evs: []ledger.Event{ev("identity.org_removed", "org", "newco")}},
		{name: "organisation added twice", sender: acme, method: "approve", evs: []ledger.Event{ev("identity.org_added", "org", "acme")}},
		{name: "a good event, then a bad one", sender: healthreg, method: "approve",
			evs: []ledger.Event{approve("open", healthreg), ev("proposal_approved", "proposal", "nope", "org", "healthreg", "member", healthreg)}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at := c.at
			if at == 0 {
				at = end
			}
			contract := c.contract
			if contract == "" {
				contract = "governance"
			}
			s, err := h.apply(t, h.blocks[:at])
			if err != nil {
				t.Fatal(err)
			}
			before := dump(t, s)
			b, ok := h.block(at, uint64(1_000_000+i), c.sender, contract, c.method, c.args, c.evs)
			if !ok {
				t.Fatal("the block does not check")
			}
			err = h.applyMore(s, b)
			if c.ok != nil {
				if err != nil {
					t.Fatal(err)
				}
				c.ok(t, governance.NewReader(s), b.Txs[0].ID.String())
				consistent(t, s)
				return
			}
			if !errors.Is(err, readmodel.ErrCorrupt) {
				t.Fatalf("want ErrCorrupt, got %v", err)
			}
			if after := dump(t, s); after != before {
				t.Fatalf("the refused block changed the index:\n%s\nwant:\n%s", after, before)
			}
		})
	}
}
