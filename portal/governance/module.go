package governance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	consortium "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	governance "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity/memberid"
	identity "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/quorum"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
	"github.com/almoner/almoner/portal/readmodel"
)

// ModuleName is the read-model module's name (key space "x/governance/").
const ModuleName = "governance"

// ErrEvent marks a committed governance event the index cannot apply (an
// unknown proposal, a vote on a closed one, arguments that do not match
// the event); it wraps readmodel.ErrCorrupt so the follower stops rather
// than index a wrong vote.
var ErrEvent = fmt.Errorf("%w: governance", readmodel.ErrCorrupt)

// DefaultPercent is the threshold until a set_threshold proposal executes
// (package quorum, which the contracts count with).
const DefaultPercent = quorum.DefaultPercent

// Needed is how many of orgs organisations must approve at pct percent,
// counted as the contracts count (package quorum): strictly more than pct%.
func Needed(orgs int, pct uint64) int { return quorum.Needed(orgs, pct) }

// Vote is one organisation's approval or rejection.
type Vote struct {
	Org    string `json:"org"`
	Member string `json:"member"`
	Height uint64 `json:"height"`
	Time   int64  `json:"time"` // Unix ns, block time
	TxID   string `json:"tx_id"`
}

// Change is what a proposal asks for, by kind; fields another kind does
// not use are empty.
type Change struct {
	// Org is the organisation added or removed (add_org, remove_org), or
	// the node's organisation (add_node).
	Org     string `json:"org,omitempty"`
	OrgKind string `json:"org_kind,omitempty"` // add_org
	OrgName string `json:"org_name,omitempty"` // add_org
	// Admins are the member ids of a new organisation's admins (add_org).
	Admins []string `json:"admins,omitempty"`
	// Node is the node added or removed (add_node, remove_node; add_org
	// with the organisation's node).
	Node     string `json:"node,omitempty"`
	RaftID   uint64 `json:"raft_id,omitempty"`
	RaftAddr string `json:"raft_addr,omitempty"`
	APIAddr  string `json:"api_addr,omitempty"`
	// AddRules and RemoveRules are policy rules "sub,dom,obj,act,cond,eft"
	// (change_policy).
	AddRules    []string `json:"add_rules,omitempty"`
	RemoveRules []string `json:"remove_rules,omitempty"`
	// Percent is the new threshold (set_threshold).
	Percent uint64 `json:"percent,omitempty"`
}

// Proposal is a governance proposal with its votes.
type Proposal struct {
	ID       string `json:"id"` // the proposing transaction's id
	Kind     string `json:"kind"`
	Proposer string `json:"proposer"`
	Change   Change `json:"change"`
	Status   string `json:"status"`
	// Reason says why execution failed (status failed).
	Reason     string `json:"reason,omitempty"`
	Approvals  []Vote `json:"approvals"`
	Rejections []Vote `json:"rejections"`
	Height     uint64 `json:"height"`  // proposed at
	Time       int64  `json:"time"`    // Unix ns, block time
	Expires    int64  `json:"expires"` // Unix seconds, block time
	// Closed is the height at which it stopped being open: the deciding
	// vote, the withdrawal, or the first block at or past its expiry (0
	// while open); ClosedTime that block's time (Unix ns).
	Closed     uint64 `json:"closed,omitempty"`
	ClosedTime int64  `json:"closed_time,omitempty"`
	// Orgs and Percent are the organisations and the threshold the last
	// vote was counted against (for an expired or withdrawn proposal:
	// those at its closing). An open proposal is counted against the
	// current ones (Reader.Tally).
	Orgs    []string `json:"orgs,omitempty"`
	Percent uint64   `json:"percent,omitempty"`
	Updated uint64   `json:"updated"` // height of the last change
	Seq     string   `json:"seq"`     // index suffix
}

// Tally is where a proposal's vote stands: Needed of Orgs must approve;
// Approved and Rejected are the organisations (of Orgs) that voted,
// Missing those that have not.
type Tally struct {
	Orgs     []string
	Percent  uint64
	Needed   int
	Approved []string
	Rejected []string
	Missing  []string
}

// TallyOf counts p's votes against orgs at pct percent, as the contract
// does: votes of organisations no longer in orgs do not count.
func TallyOf(p *Proposal, orgs []string, pct uint64) Tally {
	t := Tally{Orgs: orgs, Percent: pct, Needed: Needed(len(orgs), pct), Approved: []string{}, Rejected: []string{}, Missing: []string{}}
	voted := map[string]bool{}
	for _, v := range p.Approvals {
		if slices.Contains(orgs, v.Org) && !voted[v.Org] {
			t.Approved, voted[v.Org] = append(t.Approved, v.Org), true
		}
	}
	for _, v := range p.Rejections {
		if slices.Contains(orgs, v.Org) && !voted[v.Org] {
			t.Rejected, voted[v.Org] = append(t.Rejected, v.Org), true
		}
	}
	for _, o := range orgs {
		if !voted[o] {
			t.Missing = append(t.Missing, o)
		}
	}
	return t
}

// Keys.
const (
	orgsKey      = "orgs"
	thresholdKey = "threshold"
	openKey      = "open"
)

func proposalKey(id string) string      { return "p/" + id }
func allKey(seq string) string          { return "a/" + seq }
func statusPrefix(status string) string { return "s/" + status + "/" }
func orgOf(member string) string        { return memberid.OrgOf(member) }

func bad(format string, v ...any) error {
	return fmt.Errorf("%w: %s", ErrEvent, fmt.Sprintf(format, v...))
}

// Module returns the read-model module.
func Module() readmodel.Module {
	return readmodel.Module{Name: ModuleName, Genesis: genesisState, Block: applyBlock}
}

// openRef is an open proposal with its expiry (Unix seconds).
type openRef struct {
	ID      string `json:"id"`
	Expires int64  `json:"expires"`
}

// state is the module's consortium state while a block is applied.
type state struct {
	orgs  []string // sorted
	pct   uint64
	open  []openRef // in proposal order
	dirty bool
	// pending is a proposal whose approvals reached the threshold in
	// transaction pendingTx: the contract decides it (executed or failed)
	// in the same transaction.
	pending   string
	pendingTx int
}

func genesisState(w *readmodel.Txn, g *genesis.File) error {
	st := &state{orgs: []string{}, pct: DefaultPercent, open: []openRef{}}
	for _, o := range g.Organisations {
		st.orgs = append(st.orgs, o.ID)
	}
	slices.Sort(st.orgs)
	return st.save(w)
}

func loadState(w *readmodel.Txn) (*state, error) {
	st := &state{}
	ok, err := w.GetJSON(orgsKey, &st.orgs)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, bad("no organisations: the index predates the governance module (delete it to rebuild)")
	}
	if _, err := w.GetJSON(openKey, &st.open); err != nil {
		return nil, err
	}
	b, ok, err := w.Get(thresholdKey)
	if err != nil {
		return nil, err
	}
	if st.pct, err = strconv.ParseUint(string(b), 10, 64); !ok || err != nil {
		return nil, bad("threshold %.24q", b)
	}
	return st, nil
}

func (st *state) save(w *readmodel.Txn) error {
	w.Put(thresholdKey, []byte(strconv.FormatUint(st.pct, 10)))
	if err := w.PutJSON(orgsKey, st.orgs); err != nil {
		return err
	}
	return w.PutJSON(openKey, st.open)
}

// unix is e's block time as the contract compares it with expiries.
func unix(e readmodel.CallEvent) int64 { return time.Unix(0, e.Time).Unix() }

func applyBlock(w *readmodel.Txn, b *api.Block) error {
	st, err := loadState(w)
	if err != nil {
		return err
	}
	err = readmodel.EachEvent(b, []string{governance.Name, identity.Name}, func(e readmodel.CallEvent) error {
		return st.apply(w, e)
	})
	if err != nil {
		return err
	}
	if st.pending != "" {
		return bad("proposal %s reached its threshold without a decision", st.pending)
	}
	if err := st.expire(w, b.Header.Height, b.Header.Time); err != nil {
		return err
	}
	if !st.dirty {
		return nil
	}
	return st.save(w)
}

func (st *state) apply(w *readmodel.Txn, e readmodel.CallEvent) error {
	if st.pending != "" && st.pendingTx != e.Tx {
		return bad("proposal %s reached its threshold without a decision", st.pending)
	}
	switch e.Contract + "." + e.Type {
	case identity.Name + "." + identity.EventOrgAdded:
		id := e.Attr(identity.AttrOrg)
		i, found := slices.BinarySearch(st.orgs, id)
		if id == "" || found {
			return bad("org_added of organisation %.80q", id)
		}
		st.orgs, st.dirty = slices.Insert(st.orgs, i, id), true
	case identity.Name + "." + identity.EventOrgRemoved:
		id := e.Attr(identity.AttrOrg)
		i, found := slices.BinarySearch(st.orgs, id)
		if !found {
			return bad("org_removed of unknown organisation %.80q", id)
		}
		st.orgs, st.dirty = slices.Delete(st.orgs, i, i+1), true
	case governance.Name + "." + governance.EventThresholdChanged:
		pct, err := strconv.ParseUint(e.Attr(governance.AttrPercent), 10, 64)
		if err != nil || pct < 1 || pct > 99 {
			return bad("threshold_changed to %.24q", e.Attr(governance.AttrPercent))
		}
		st.pct, st.dirty = pct, true
	case governance.Name + "." + governance.EventProposalCreated:
		return st.created(w, e)
	case governance.Name + "." + governance.EventProposalApproved:
		return st.voted(w, e, true)
	case governance.Name + "." + governance.EventProposalRejected:
		return st.voted(w, e, false)
	case governance.Name + "." + governance.EventProposalExecuted, governance.Name + "." + governance.EventProposalFailed:
		return st.decided(w, e)
	case governance.Name + "." + governance.EventProposalWithdrawn:
		p, err := st.loadOpen(w, e)
		if err != nil {
			return err
		}
		return st.close(w, p, governance.StatusWithdrawn, e.Height, e.Time, true)
	}
	return nil // policy_changed (portal/authz) and events added later
}

func load(w *readmodel.Txn, id string) (*Proposal, error) {
	return readmodel.MustLoadJSON[Proposal](w, proposalKey(id), ErrEvent, fmt.Sprintf("proposal %.80q", id))
}

// loadOpen loads the proposal e names, which must be open and unexpired
// at e's block (the contract accepts nothing else).
func (st *state) loadOpen(w *readmodel.Txn, e readmodel.CallEvent) (*Proposal, error) {
	p, err := load(w, e.Attr(governance.AttrProposal))
	if err != nil {
		return nil, err
	}
	if p.Status != governance.StatusOpen {
		return nil, bad("%s of proposal %s, which is %s", e.Type, p.ID, p.Status)
	}
	if unix(e) >= p.Expires {
		return nil, bad("%s of proposal %s after its expiry", e.Type, p.ID)
	}
	return p, nil
}

// put stores p, moving its status index entry from prev.
func put(w *readmodel.Txn, p *Proposal, prev string, height uint64) error {
	if prev != "" && prev != p.Status {
		w.Delete(statusPrefix(prev) + p.Seq)
	}
	w.Put(statusPrefix(p.Status)+p.Seq, []byte(p.ID))
	p.Updated = height
	return w.PutJSON(proposalKey(p.ID), p)
}

func (st *state) created(w *readmodel.Txn, e readmodel.CallEvent) error {
	if e.Args == nil {
		return bad("proposal_created outside a governance call")
	}
	id, kind, proposer := e.Attr(governance.AttrProposal), e.Attr(governance.AttrKind), e.Attr(governance.AttrProposer)
	if id == "" || id != e.TxID {
		return bad("proposal_created names proposal %.80q in transaction %s", id, e.TxID)
	}
	if k, err := e.Args.String(governance.ArgKind); err != nil || k != kind || !slices.Contains(governance.Kinds(),
		kind) {
		return bad("proposal %s of kind %.40q", id, kind)
	}
	if proposer == "" || proposer != e.Sender {
		return bad("proposal %s by %.80q sent by %s", id, proposer, e.Sender)
	}
	expires, err := strconv.ParseInt(e.Attr(governance.AttrExpires), 10, 64)
	if err != nil || expires <= unix(e) {
		return bad("proposal %s expires at %.24q", id, e.Attr(governance.AttrExpires))
	}
	if _, ok, err := w.Get(proposalKey(id)); err != nil {
		return err
	} else if ok {
		return bad("proposal %s created twice", id)
	}
	ch, err := changeOf(kind, e.Args)
	if err != nil {
		return bad("proposal %s: %v", id, err)
	}
	p := &Proposal{ID: id, Kind: kind, Proposer: proposer, Change: *ch, Status: governance.StatusOpen,
		Approvals: []Vote{}, Rejections: []Vote{},
		Height: e.Height, Time: e.Time, Expires: expires, Seq: readmodel.Seq(e.Height, e.Tx)}
	w.Put(allKey(p.Seq), []byte(id))
	st.open, st.dirty = append(st.open, openRef{ID: id, Expires: expires}), true
	return put(w, p, "", e.Height)
}

func (st *state) voted(w *readmodel.Txn, e readmodel.CallEvent, approve bool) error {
	p, err := st.loadOpen(w, e)
	if err != nil {
		return err
	}
	if st.pending != "" {
		return bad("a vote on proposal %s after proposal %s reached its threshold", p.ID, st.pending)
	}
	org, member := e.Attr(governance.AttrOrg), e.Attr(governance.AttrMember)
	if member == "" || member != e.Sender || orgOf(member) != org || !slices.Contains(st.orgs, org) {
		return bad("%s of proposal %s by %.80q of %.80q, sent by %s", e.Type, p.ID, member, org, e.Sender)
	}
	for _, v := range append(slices.Clone(p.Approvals), p.Rejections...) {
		if v.Org == org {
			return bad("organisation %s voted twice on proposal %s", org, p.ID)
		}
	}
	v := Vote{Org: org, Member: member, Height: e.Height, Time: e.Time, TxID: e.TxID}
	if approve {
		p.Approvals = append(p.Approvals, v)
	} else {
		p.Rejections = append(p.Rejections, v)
	}
	p.Orgs, p.Percent = slices.Clone(st.orgs), st.pct
	t := TallyOf(p, st.orgs, st.pct)
	switch {
	case len(t.Approved) >= t.Needed:
		st.pending, st.pendingTx = p.ID, e.Tx // executed or failed next
	case len(t.Orgs)-len(t.Rejected) < t.Needed:
		return st.close(w, p, governance.StatusRejected, e.Height, e.Time, false)
	}
	return put(w, p, governance.StatusOpen, e.Height)
}

// decided applies proposal_executed and proposal_failed, which follow the
// deciding approval in the same transaction.
func (st *state) decided(w *readmodel.Txn, e readmodel.CallEvent) error {
	p, err := st.loadOpen(w, e)
	if err != nil {
		return err
	}
	if st.pending != p.ID {
		return bad("%s of proposal %s, which has not reached its threshold", e.Type, p.ID)
	}
	st.pending = ""
	if e.Type == governance.EventProposalFailed {
		if p.Reason = e.Attr(governance.AttrReason); p.Reason == "" {
			return bad("proposal_failed of proposal %s without a reason", p.ID)
		}
		return st.close(w, p, governance.StatusFailed, e.Height, e.Time, false)
	}
	if e.Attr(governance.AttrKind) != p.Kind {
		return bad("proposal_executed of proposal %s of kind %s says kind %.40q", p.ID, p.Kind,
			e.Attr(governance.AttrKind))
	}
	return st.close(w, p, governance.StatusExecuted, e.Height, e.Time, false)
}

// close ends p with status; snapshot records the organisations and the
// threshold now (a decided proposal keeps those of its deciding vote).
func (st *state) close(w *readmodel.Txn, p *Proposal, status string, height uint64, t int64, snapshot bool) error {
	prev := p.Status
	p.Status, p.Closed, p.ClosedTime = status, height, t
	if snapshot {
		p.Orgs, p.Percent = slices.Clone(st.orgs), st.pct
	}
	st.open = slices.DeleteFunc(st.open, func(r openRef) bool { return r.ID == p.ID })
	st.dirty = true
	return put(w, p, prev, height)
}

// expire closes the open proposals whose expiry the block's time reached.
func (st *state) expire(w *readmodel.Txn, height uint64, blockTime int64) error {
	now := time.Unix(0, blockTime).Unix()
	var due []string
	for _, r := range st.open {
		if now >= r.Expires {
			due = append(due, r.ID)
		}
	}
	for _, id := range due {
		p, err := load(w, id)
		if err != nil {
			return err
		}
		if p.Status != governance.StatusOpen {
			return bad("proposal %s is listed open but is %s", id, p.Status)
		}
		if err := st.close(w, p, governance.StatusExpired, height, blockTime, true); err != nil {
			return err
		}
	}
	return nil
}

// argReader reads a proposal's arguments, keeping the first error.
type argReader struct {
	args tx.Args
	err  error
}

func (r *argReader) str(name string) string {
	if r.err != nil {
		return ""
	}
	s, err := r.args.String(name)
	if err == nil && s == "" {
		err = fmt.Errorf("%s is empty", name)
	}
	r.err = err
	return s
}

func (r *argReader) uint(name string) uint64 {
	if r.err != nil {
		return 0
	}
	n, err := r.args.Uint(name)
	r.err = err
	return n
}

func (r *argReader) rules(name string) []string {
	if r.err != nil || !r.args.Has(name) {
		return nil
	}
	lines, err := r.args.Strings(name)
	if err != nil {
		r.err = err
		return nil
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		rl, err := policies.ParseRule(l)
		if err != nil {
			r.err = err
			return nil
		}
		out[i] = rl.String()
	}
	return out
}

// changeOf reads what a proposal of kind asks for from its arguments
// (which the contract checked before it committed them).
func changeOf(kind string, args tx.Args) (*Change, error) {
	c := &Change{}
	r := &argReader{args: args}
	switch kind {
	case governance.KindAddOrg:
		c.Org, c.OrgKind, c.OrgName = r.str(governance.ArgOrgID), r.str(governance.ArgOrgKind), r.str(governance.ArgOrgName)
		admins, err := args.Strings(governance.ArgAdmins)
		if err != nil {
			return nil, err
		}
		for _, s := range admins {
			f := strings.Fields(s)
			if len(f) == 0 {
				return nil, fmt.Errorf("an empty admin")
			}
			c.Admins = append(c.Admins, f[0])
		}
		if args.Has(governance.ArgNewOrgNodeID) {
			n := func(arg string) string { return governance.ArgNodePrefix + arg }
			c.Node, c.RaftID = r.str(governance.ArgNewOrgNodeID), r.uint(n(consortium.ArgRaftID))
			c.RaftAddr, c.APIAddr = r.str(n(consortium.ArgRaftAddr)), r.str(n(consortium.ArgAPIAddr))
		}
	case governance.KindRemoveOrg:
		c.Org = r.str(governance.ArgOrgID)
	case governance.KindAddNode:
		c.Node, c.Org, c.RaftID = r.str(consortium.ArgNodeID), r.str(consortium.ArgOrg), r.uint(consortium.ArgRaftID)
		c.RaftAddr, c.APIAddr = r.str(consortium.ArgRaftAddr), r.str(consortium.ArgAPIAddr)
	case governance.KindRemoveNode:
		c.Node = r.str(governance.ArgNodeID)
	case governance.KindChangePolicy:
		c.AddRules, c.RemoveRules = r.rules(governance.ArgAddRules), r.rules(governance.ArgRemoveRules)
		if r.err == nil && len(c.AddRules)+len(c.RemoveRules) == 0 {
			r.err = fmt.Errorf("a policy change without rules")
		}
	case governance.KindSetThreshold:
		if c.Percent = r.uint(governance.ArgPercent); r.err == nil && (c.Percent < 1 || c.Percent > 99) {
			r.err = fmt.Errorf("threshold %d%%", c.Percent)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return c, nil
}

// Summary describes the change in one line.
func (p *Proposal) Summary() string {
	c := &p.Change
	switch p.Kind {
	case governance.KindAddOrg:
		s := fmt.Sprintf("add %s %s (%q) with admins %s", c.OrgKind, c.Org, c.OrgName, strings.Join(c.Admins, ", "))
		if c.Node != "" {
			s += fmt.Sprintf(" and node %s (raft id %d)", c.Node, c.RaftID)
		}
		return s
	case governance.KindRemoveOrg:
		return "remove organisation " + c.Org + " and its nodes"
	case governance.KindAddNode:
		return fmt.Sprintf("add node %s of %s (raft id %d)", c.Node, c.Org, c.RaftID)
	case governance.KindRemoveNode:
		return "remove node " + c.Node
	case governance.KindChangePolicy:
		var parts []string
		list := func(verb string, rules []string) {
			for i, r := range rules {
				if i == 3 {
					parts = append(parts, fmt.Sprintf("%s %d more", verb, len(rules)-3))
					return
				}
				parts = append(parts, verb+" "+r)
			}
		}
		list("add", c.AddRules)
		list("remove", c.RemoveRules)
		return "change policy: " + strings.Join(parts, "; ")
	case governance.KindSetThreshold:
		return fmt.Sprintf("set the threshold to approvals from more than %d%% of the organisations", c.Percent)
	}
	return p.Kind
}
